"""`/api/datasets` and `/api/models`: registered versions and their lineage (read to look, submit to register a
dataset from datastore paths, admin to unregister). Models are registered with `Model.register` in Python, or by
steps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from duto.facade.tokens import Scope
from duto.server.auth import requires, workspace_of
from duto.server.operations import assets
from duto.server.schemas.assets import (
    DatasetRegistration,
    DatasetVersionInfo,
    DatasetVersionLineage,
    ModelVersionInfo,
    Unregistration,
)
from duto.server.schemas.common import PROBLEMS, Problem

datasets = APIRouter(prefix="/datasets", tags=["datasets"], responses=PROBLEMS)
models = APIRouter(prefix="/models", tags=["models"], responses=PROBLEMS)
Name = Annotated[str, Path(min_length=1, max_length=255, description="the registered name")]
Version = Annotated[str, Query(max_length=32, description="a version number, or 'latest'")]
ToUnregister = Annotated[
    str | None, Query(max_length=32, description="a version number, or 'latest'; every version when left out")
]
NO_DATASET: dict[int | str, dict[str, object]] = {404: {"model": Problem, "description": "no such dataset or version"}}
NO_MODEL: dict[int | str, dict[str, object]] = {404: {"model": Problem, "description": "no such model or version"}}


@datasets.get("", response_model=list[DatasetVersionInfo], **requires(Scope.READ))
def list_datasets(request: Request) -> list[DatasetVersionInfo]:
    """Every registered dataset at its latest version, by name."""
    return assets.list_datasets(workspace_of(request))


@datasets.post("", response_model=DatasetVersionInfo, status_code=201, **requires(Scope.SUBMIT))
def register_dataset(request: Request, body: DatasetRegistration) -> DatasetVersionInfo:
    """Register the files at datastore paths now as a version of a dataset (the latest again for the same
    content; a conflict for other content without `create_new_version`)."""
    return assets.register_dataset(workspace_of(request), body)


@datasets.get("/{name}", response_model=DatasetVersionInfo, responses=NO_DATASET, **requires(Scope.READ))
def show_dataset(request: Request, name: Name, version: Version = "latest") -> DatasetVersionInfo:
    return assets.show_dataset(workspace_of(request), name, version)


@datasets.get(
    "/{name}/lineage", response_model=list[DatasetVersionLineage], responses=NO_DATASET, **requires(Scope.READ)
)
def dataset_lineage(request: Request, name: Name) -> list[DatasetVersionLineage]:
    """Each version, oldest first: the run that produced it, the steps that read it, the models made from it."""
    return assets.lineage(workspace_of(request), name)


@models.get("", response_model=list[ModelVersionInfo], **requires(Scope.READ))
def list_models(request: Request, name: str | None = Query(None, max_length=255)) -> list[ModelVersionInfo]:
    """Every version of every registered model (or of `name`), by name then version."""
    return assets.list_models(workspace_of(request), name)


@models.get("/{name}", response_model=ModelVersionInfo, responses=NO_MODEL, **requires(Scope.READ))
def show_model(request: Request, name: Name, version: Version = "latest") -> ModelVersionInfo:
    return assets.show_model(workspace_of(request), name, version)


@datasets.delete("/{name}", response_model=Unregistration, responses=NO_DATASET, **requires(Scope.ADMIN))
def unregister_dataset(request: Request, name: Name, version: ToUnregister = None) -> Unregistration:
    """Unregister a version of a dataset, or all of them without `version`: gone by name, its number never given
    again; runs that read it still name it, and what they pinned stays."""
    return assets.unregister(workspace_of(request), "dataset", name, version)


@models.delete("/{name}", response_model=Unregistration, responses=NO_MODEL, **requires(Scope.ADMIN))
def delete_model(request: Request, name: Name, version: ToUnregister = None) -> Unregistration:
    """Unregister a version of a model (v1's `Model.delete`), or all of them without `version`."""
    return assets.unregister(workspace_of(request), "model", name, version)
