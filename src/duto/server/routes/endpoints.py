"""`/api/endpoints`: pipeline endpoints, taken by name or id (read to look, admin to change) and their trigger,
`POST /api/endpoints/{id}/runs[?pipelineVersion=V]` (submit), the URL `PipelineEndpoint.endpoint` gives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from duto.facade.tokens import Scope
from duto.server.auth import requires, workspace_of
from duto.server.operations import pipelines
from duto.server.recording import one_at_a_time
from duto.server.routes.pipelines import TRIGGER_PROBLEMS
from duto.server.schemas.common import PROBLEMS, Problem
from duto.server.schemas.pipelines import (
    EndpointCreate,
    EndpointDefault,
    EndpointInfo,
    EndpointVersionAdd,
    TriggerAnswer,
    TriggerBody,
)

router = APIRouter(prefix="/endpoints", tags=["endpoints"], responses=PROBLEMS)
EndpointKey = Annotated[str, Path(min_length=1, max_length=255, description="its name, or its id (or a prefix)")]
MISSING: dict[int | str, dict[str, object]] = {404: {"model": Problem, "description": "no such endpoint"}}
CHANGE: dict[int | str, dict[str, object]] = {
    **MISSING,
    422: {"model": Problem, "description": "no such version or pipeline, or a bad value"},
}


@router.get("", response_model=list[EndpointInfo], **requires(Scope.READ))
def list_endpoints(request: Request, active_only: bool = True) -> list[EndpointInfo]:
    return pipelines.list_endpoints(workspace_of(request), active_only)


@router.post(
    "",
    response_model=EndpointInfo,
    status_code=201,
    responses={
        404: {"model": Problem, "description": "no published pipeline has this id"},
        409: {"model": Problem, "description": "an endpoint of this name exists"},
    },
    **requires(Scope.ADMIN),
)
def create(request: Request, body: EndpointCreate) -> EndpointInfo:
    return pipelines.create_endpoint(workspace_of(request), body)


@router.get("/{id}", response_model=EndpointInfo, responses=MISSING, **requires(Scope.READ))
def get_endpoint(request: Request, id: EndpointKey) -> EndpointInfo:
    return pipelines.get_endpoint(workspace_of(request), id)


@router.post("/{id}/versions", response_model=EndpointInfo, status_code=201, responses=CHANGE, **requires(Scope.ADMIN))
def add_version(request: Request, id: EndpointKey, body: EndpointVersionAdd) -> EndpointInfo:
    """Add a published pipeline as the endpoint's next version (and make it the default if `default`)."""
    return pipelines.add_version(workspace_of(request), id, body)


@router.put("/{id}/default", response_model=EndpointInfo, responses=CHANGE, **requires(Scope.ADMIN))
def set_default(request: Request, id: EndpointKey, body: EndpointDefault) -> EndpointInfo:
    return pipelines.set_default_version(workspace_of(request), id, body.version)


@router.post("/{id}/enable", response_model=EndpointInfo, responses=MISSING, **requires(Scope.ADMIN))
def enable(request: Request, id: EndpointKey) -> EndpointInfo:
    return pipelines.set_endpoint_enabled(workspace_of(request), id, True)


@router.post("/{id}/disable", response_model=EndpointInfo, responses=MISSING, **requires(Scope.ADMIN))
def disable(request: Request, id: EndpointKey) -> EndpointInfo:
    return pipelines.set_endpoint_enabled(workspace_of(request), id, False)


@router.post("/{id}/runs", response_model=TriggerAnswer, responses=TRIGGER_PROBLEMS, **requires(Scope.SUBMIT))
async def trigger(
    request: Request,
    id: EndpointKey,
    body: TriggerBody,
    pipeline_version: Annotated[
        str | None, Query(alias="pipelineVersion", max_length=50, description="a version other than the default")
    ] = None,
) -> TriggerAnswer:
    """Start a run of the endpoint's default version (or `pipelineVersion`) with Azure's REST body."""
    workspace, base_url = workspace_of(request), str(request.base_url)
    return await one_at_a_time(request, pipelines.trigger_endpoint, workspace, id, body, pipeline_version, base_url)
