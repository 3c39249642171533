"""v1's `ScriptRunConfig`: one script (or command) with its folder, arguments and run configuration (pure).

Submitted on its own it becomes a one-step pipeline run (`ScriptRun`), so logs, metrics and `why` work as for
any step; `CommandStep(runconfig=...)` takes its command, folder and environment from one.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from typing import Any

from duto.errors import ConfigError
from duto.graph.environment import Environment
from duto.graph.runconfig import DockerConfiguration, MpiConfiguration, RunConfiguration
from duto.graph.steps import CommandStep, PythonScriptStep, Step, _target_name


class ScriptRunConfig:
    """What to run, where and how: v1's `ScriptRunConfig`, in the shape v1 code builds it.

    Args:
        source_directory: the folder snapshotted and run from; the script's `./outputs` is kept with the run.
        script: the script's path relative to `source_directory`.
        arguments: command-line items, resolved as PythonScriptStep's.
        run_config: a RunConfiguration (a new one when None); `compute_target`, `environment`,
            `docker_runtime_config` and `distributed_job_config` are set on it, as v1 does.
        compute_target: a ComputeTarget or its name.
        environment: the Environment the script runs in.
        distributed_job_config: an MpiConfiguration, recorded; one process runs.
        max_run_duration_seconds: how long the run may take; None for no limit.
        command: a command to run instead of a script (a string, or a list of items).
        docker_runtime_config: a DockerConfiguration.
    """

    def __init__(
        self,
        source_directory: str | os.PathLike[str],
        script: str | None = None,
        arguments: Sequence[Any] | None = None,
        run_config: RunConfiguration | None = None,
        _telemetry_values: Any = None,
        compute_target: Any = None,
        environment: Environment | None = None,
        distributed_job_config: MpiConfiguration | None = None,
        resume_from: Any = None,
        max_run_duration_seconds: float | None = None,
        command: str | Sequence[Any] | None = None,
        docker_runtime_config: DockerConfiguration | None = None,
    ) -> None:
        del _telemetry_values, resume_from  # accepted so ported code runs
        if not isinstance(source_directory, str | os.PathLike):
            raise ConfigError(f"ScriptRunConfig: source_directory must be a folder path, not {source_directory!r}")
        if (script is None) == (command is None):
            raise ConfigError("ScriptRunConfig: give either script ('train.py') or command, and only one of them")
        if script is not None and (not isinstance(script, str) or not script.strip()):
            raise ConfigError(f"ScriptRunConfig: script must be a file name such as 'train.py', not {script!r}")
        if run_config is not None and not isinstance(run_config, RunConfiguration):
            raise ConfigError(f"ScriptRunConfig: run_config must be a RunConfiguration, not {run_config!r}")
        self.source_directory = os.fspath(source_directory)
        self.script = script
        self.command = command
        self.arguments = list(arguments or [])
        self.run_config = copy.copy(run_config) if run_config is not None else RunConfiguration()
        if environment is not None:
            if not isinstance(environment, Environment):
                raise ConfigError(f"ScriptRunConfig: environment must be an Environment, not {environment!r}")
            self.run_config.environment = environment
            self.run_config.conda_dependencies = None  # as in v1, the environment replaces the packages wholesale
        if compute_target is not None:
            self.run_config.target = _target_name(compute_target)
        if docker_runtime_config is not None:
            self.run_config.docker = docker_runtime_config
        if distributed_job_config is not None:
            self.run_config.mpi = distributed_job_config
        if max_run_duration_seconds is not None:
            self.run_config.max_run_duration_seconds = max_run_duration_seconds
        self.run_config.__post_init__()  # the same checks whichever way a setting arrived

    @property
    def name(self) -> str:
        """The name of the run's one step: the script's, or the command's first word."""
        if self.script is not None:
            return self.script
        step = self.to_step()
        return step.name

    def to_step(self, allow_reuse: bool = False) -> Step:
        """The one step that runs this configuration (never reused by default: each v1 submission runs)."""
        if self.script is not None:
            return PythonScriptStep(
                self.script,
                arguments=self.arguments,
                runconfig=self.run_config,
                source_directory=self.source_directory,
                allow_reuse=allow_reuse,
            )
        assert self.command is not None  # __init__ requires one of script and command
        command = self.command if isinstance(self.command, str) else [*self.command, *self.arguments]
        return CommandStep(
            command,
            runconfig=self.run_config,
            source_directory=self.source_directory,
            allow_reuse=allow_reuse,
        )

    def __repr__(self) -> str:
        what = f"script={self.script!r}" if self.script is not None else f"command={self.command!r}"
        return f"ScriptRunConfig(source_directory={self.source_directory!r}, {what})"
