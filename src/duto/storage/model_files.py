"""A registered model's file or folder: kept in the content store, and laid out where a step finds it by name.

A version's files are laid out (hard links to the store's blobs) at `.duto/models/<name>/<version>/<file name>`,
the place `Model.get_model_path` gives, inside a step as outside one (`tracking/model_paths.py` reads it there).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from duto.errors import ConfigError
from duto.graph.datasets import check_registered_name
from duto.storage import models
from duto.storage.asset_store import AssetStore, Producer
from duto.storage.cas import ContentStore

MODELS_FOLDER = "models"  # under .duto; tracking/model_paths.py reads the same layout with the standard library


def version_folder(models_root: str, name: str, version: int) -> str:
    return os.path.join(models_root, name, str(version))


def store_model(
    cas: ContentStore,
    assets: AssetStore,
    path: Path,
    name: str,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    properties: dict[str, str] | None = None,
    framework: str | None = None,
    dataset_version_ids: list[str] | None = None,
    producer: Producer | None = None,
) -> models.ModelVersion:
    """Store the file or folder at `path` and register it as a version of model `name` (the latest, when it
    holds the same content already); its files are then laid out where `get_model_path` finds them.

    Raises:
        ConfigError: a bad name, nothing at `path`, or an empty folder.
    """
    check_registered_name("model", name)  # it names a folder under .duto/models
    if not path.exists():
        raise ConfigError(f"model {name!r}: model_path {str(path)!r} does not exist; give a file or a folder")
    if path.is_dir():
        files = [os.path.relpath(os.path.join(d, f), path.parent) for d, _, names in os.walk(path) for f in names]
        if not files:
            raise ConfigError(f"model {name!r}: the folder {str(path)!r} is empty; nothing to register")
    else:
        files = [path.name]
    digest = cas.put_tree(path.parent, move=False, files=sorted(files))
    row = assets.add_model_version(
        name,
        digest,
        path.name,
        description,
        tags or {},
        properties or {},
        framework,
        dataset_version_ids or [],
        producer,
    )
    lay_out_model(cas, row)
    return row


def models_root(cas: ContentStore) -> Path:
    """`.duto/models`, beside the content store."""
    return cas.root.parent / MODELS_FOLDER


def lay_out_model(cas: ContentStore, row: models.ModelVersion) -> Path:
    """A version's file or folder at its place under `.duto/models` (laid out again when missing); its path."""
    folder = Path(version_folder(str(models_root(cas)), row.name, row.version))
    target = folder / row.file_name
    if target.exists():
        return target
    staging = folder.parent / f".{row.version}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    cas.materialize(row.digest, staging, link=True)
    try:
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # laid out by another process first
    return target
