"""A run of one script (v1's `Experiment.submit(ScriptRunConfig)`): a one-step pipeline run seen as one run.

Its step runs like any step (logs, metrics, `why`); what the script leaves in `./outputs` is kept in the step's
folder and listed by `get_file_names()` as `outputs/...`, where v1 uploads that folder to the run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duto.errors import DutoError
from duto.facade.runs import PipelineRun
from duto.facade.step_runs import StepRun

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace
    from duto.graph.script_run_config import ScriptRunConfig


class ScriptRun(PipelineRun):
    """The run of a ScriptRunConfig: v1's `Run` methods over the one step it holds."""

    @property
    def step(self) -> StepRun:
        """The step that runs the script."""
        return self.get_steps()[0]

    def get_metrics(self, recursive: bool = False) -> dict[str, Any]:
        """What the script logged."""
        del recursive  # a script run has no children
        return self.step.get_metrics()

    def get_file_names(self) -> list[str]:
        """The run's files: `outputs/...` the script left in `./outputs`, and those it uploaded."""
        names = {
            f"outputs/{name}": path for name, path in _files(self.step.layout.code / "outputs").items()
        } | _uploaded(self.step.layout.files)
        return sorted(names)

    def download_file(self, name: str, output_file_path: str | os.PathLike[str] | None = None) -> str:
        """Copy the run's file `name` (as `get_file_names()` lists it) to `output_file_path`; returns where.

        Raises:
            DutoError: when the run has no such file.
        """
        found = _files(self.step.layout.code / "outputs")
        path = found.get(name.removeprefix("outputs/")) if name.startswith("outputs/") else None
        path = path or _uploaded(self.step.layout.files).get(name)
        if path is None:
            known = ", ".join(self.get_file_names()) or "none"
            raise DutoError(f"run {self.id!r} has no file {name!r}; its files: {known}")
        target = Path(output_file_path) if output_file_path is not None else Path(Path(name).name)
        if target.is_dir():
            target = target / Path(name).name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return str(target)

    def get_stdout_log(self) -> str:
        """The script's output."""
        return self.step.get_stdout_log()

    def __repr__(self) -> str:
        return f"ScriptRun(id={self.id!r}, status={self.get_status()!r})"


def _files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def _uploaded(files_dir: Path) -> dict[str, Path]:
    """Files the script uploaded with `Run.upload_file`, by the name it gave (`<files>/<target>/files/<name>`)."""
    found: dict[str, Path] = {}
    for folder in sorted(files_dir.glob("*/files")) if files_dir.is_dir() else []:
        found.update(_files(folder))
    return found


def submit_script_run(
    workspace: Workspace, config: ScriptRunConfig, experiment_name: str, tags: Mapping[str, str] | None
) -> ScriptRun:
    """Submit the one step of `config` as a run of its own; returns at once while it runs."""
    from duto.facade.submission import Pipeline, submit_pipeline

    pipeline = Pipeline(workspace, [config.to_step()], description=f"ScriptRunConfig {config.name}")
    run = submit_pipeline(pipeline, experiment_name, None, False, False, tags)
    script_run = ScriptRun(workspace, run.id)
    script_run._runner_thread = run._runner_thread
    return script_run
