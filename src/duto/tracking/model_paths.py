"""Where a registered model's files are, by name and version: standard library only, so a step finds its models
(`Model.get_model_path`) in a venv without duto's dependencies."""

from __future__ import annotations

import os

from duto.tracking.step_context import WORKSPACE_ENV

MODELS_FOLDER = "models"  # under the workspace's .duto folder, as storage/model_files.py lays versions out


def version_folder(models_root: str, name: str, version: int) -> str:
    return os.path.join(models_root, name, str(version))


def versions(models_root: str, name: str) -> list[int]:
    """The versions of model `name` laid out under `models_root`, oldest first."""
    try:
        entries = os.listdir(os.path.join(models_root, name))
    except FileNotFoundError:
        return []
    return sorted(int(e) for e in entries if e.isdigit())


def model_path(models_root: str, name: str, version: int | None = None) -> str:
    """The path of model `name`'s file or folder at `version` (the latest when None).

    Raises:
        LookupError: no such model or version is laid out there.
    """
    known = versions(models_root, name)
    if not known:
        raise LookupError(f"no model {name!r} is registered in this workspace; register it with Model.register")
    chosen = known[-1] if version is None else int(version)
    if chosen not in known:
        raise LookupError(f"model {name!r} has no version {chosen}; its versions: {', '.join(map(str, known))}")
    folder = version_folder(models_root, name, chosen)
    entries = [e for e in os.listdir(folder) if not e.startswith(".")]
    if len(entries) != 1:
        raise LookupError(f"model {name!r} version {chosen} is not laid out whole at {folder}")
    return os.path.join(folder, entries[0])


def step_models_root() -> str | None:
    """The models folder of the workspace a step runs in, or None outside a step."""
    root = os.environ.get(WORKSPACE_ENV)
    return None if root is None else os.path.join(root, ".duto", MODELS_FOLDER)


class Model:
    """`Model` inside a step whose venv has none of duto's dependencies: it finds registered models by name."""

    @staticmethod
    def get_model_path(model_name: str, version: int | None = None, _workspace: object = None) -> str:
        """The path of the model's file or folder in the workspace the step runs in.

        Raises:
            LookupError: outside a step, or no such model or version.
        """
        root = step_models_root()
        if root is None or _workspace is not None:
            raise LookupError("outside a step, Model.get_model_path needs duto installed and _workspace=ws")
        return model_path(root, model_name, version)
