"""Which Python a step runs with: duto's own, a user-managed interpreter, or a built environment's venv.

Environments are built on worker threads, so a run goes on following its other steps meanwhile; each
environment is built once per runner (and once per machine, under the builder's lock).
"""

from __future__ import annotations

import platform
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

from duto.config import WorkspaceConfig
from duto.environments.builder import BuiltEnvironment, EnvironmentBuilder, workspace_envs_dir
from duto.execution.materialize import Interpreter, step_api_folder


class Building:
    """The environment is still being built; ask again later."""


class Interpreters:
    """Resolves each step's environment spec to an Interpreter, building venvs in the background."""

    def __init__(self, config: WorkspaceConfig) -> None:
        self.builder = EnvironmentBuilder(workspace_envs_dir(config))
        self._builds: dict[str, Future[BuiltEnvironment]] = {}
        self._pool: ThreadPoolExecutor | None = None

    @staticmethod
    def runners_own() -> Interpreter:
        return Interpreter(sys.executable, platform.python_version())

    def resolve(self, spec: dict[str, Any] | None, build_log: Path, may_build: bool = True) -> Interpreter | Building:
        """The interpreter for an environment spec; Building while its venv is being built (or would be).

        Raises:
            EnvironmentBuildError: when the build failed (its output is in `build_log`).
        """
        if spec is None:
            return self.runners_own()
        if spec.get("user_managed"):
            python = spec.get("interpreter") or sys.executable
            return Interpreter(python, _python_version(python))
        built = self.builder.find(spec)
        if built is None:
            key = self.builder.key(spec)
            future = self._builds.get(key)
            if future is None:
                if not may_build:
                    return Building()
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="duto-env-build")
                build_log.parent.mkdir(parents=True, exist_ok=True)
                self._builds[key] = self._pool.submit(_build, self.builder, spec, build_log)
                return Building()
            if not future.done():
                return Building()
            built = future.result()
        packages = dict(built.packages)
        api = None if "duto" in packages else str(step_api_folder(self.builder.envs_dir))
        return Interpreter(
            str(built.python), built.python_version, packages, str(built.python.parent), api, dict(built.sources)
        )

    def building(self, spec: dict[str, Any]) -> bool:
        """Whether a build of this spec has started in this runner.

        Raises:
            EnvironmentBuildError: a local wheel or folder the spec installs from is not there.
        """
        return self.builder.key(spec) in self._builds

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _build(builder: EnvironmentBuilder, spec: dict[str, Any], log_path: Path) -> BuiltEnvironment:
    """Build an environment on a worker thread, its output going into the step's log."""
    with log_path.open("ab") as log:
        return builder.build(spec, log)


@cache
def _python_version(python: str) -> str:
    found = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return found.stdout.strip() or "unknown"
