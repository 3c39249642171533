"""Building the venvs steps run in, with uv, shared by every step and run that needs the same packages."""

from __future__ import annotations

from duto.environments.builder import BuildLog, BuiltEnvironment, EnvironmentBuilder, TextLog, workspace_envs_dir
from duto.errors import EnvironmentBuildError

__all__ = [
    "BuildLog",
    "BuiltEnvironment",
    "EnvironmentBuildError",
    "EnvironmentBuilder",
    "TextLog",
    "workspace_envs_dir",
]
