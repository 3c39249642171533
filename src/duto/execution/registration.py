"""Outputs registered as dataset versions when their step finishes (`register_on_complete`, `as_dataset().register`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from duto.errors import AssetExistsError
from duto.graph.datasets import FileDataset
from duto.graph.spec import StepSpec
from duto.storage.asset_store import AssetStore, Producer


def register_outputs(
    assets: AssetStore, spec: StepSpec, outputs: Mapping[str, Mapping[str, Any]], producer: Producer
) -> list[str]:
    """Register each output the step asks for as a version of its dataset, in the caller's transaction.

    Returns what could not be registered (a name that holds other content, with `create_new_version=False`),
    as lines for the step's log: the step's outputs stand either way.
    """
    problems: list[str] = []
    for port in spec.outputs:
        request, location = port.register_as, outputs.get(port.name)
        if request is None or location is None:
            continue
        definition = {
            "type": FileDataset.DEFINITION_TYPE,
            "paths": [{"datastore": location["datastore"], "path": location["path"]}],
        }
        try:
            assets.add_dataset_version(
                request["name"],
                definition,
                location["digest"],
                None,
                request.get("description"),
                dict(request.get("tags") or {}),
                bool(request.get("create_new_version", True)),
                producer,
            )
        except AssetExistsError as exc:
            problems.append(f"output {port.name!r} was not registered: {exc}")
    return problems
