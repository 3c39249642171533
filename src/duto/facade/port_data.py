"""Where a step run's outputs are, as v1 hands them out: `StepRunOutput` and the `PortDataReference` it points to."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duto.errors import DatastoreError

if TYPE_CHECKING:
    from duto.facade.step_runs import StepRun
    from duto.facade.workspace import Workspace


class StepRunOutput:
    """One output of a step run, as v1's `StepRun.get_output(name)` gives it."""

    def __init__(self, step_run: StepRun, name: str, declared: dict[str, Any]) -> None:
        self.step_run = step_run
        self.name = name
        self.pipeline_output_name: str | None = declared.get("pipeline_output_name")
        # {"type": "Metrics" or "Model", "model_file": ...} when the PipelineData had a TrainingOutput: recorded
        # only, as no duto step treats such an output apart.
        self.training_output: dict[str, Any] | None = declared.get("training_output")

    def get_port_data_reference(self) -> PortDataReference:
        """Where the output was published.

        Raises:
            DutoError: when the step has not published it (it has not finished).
        """
        return self.step_run.get_output_data(self.name)

    def __repr__(self) -> str:
        return f"StepRunOutput(name={self.name!r}, step={self.step_run.name!r})"


class PortDataReference:
    """Where a step run's output is: a datastore and a path on it."""

    def __init__(
        self,
        workspace: Workspace,
        name: str,
        datastore_name: str,
        path_on_datastore: str,
        digest: str | None = None,
    ) -> None:
        self.workspace = workspace
        self.name = name
        self.datastore_name = datastore_name
        self.path_on_datastore = path_on_datastore
        self.digest = digest  # the output's manifest in the content store

    @property
    def local_path(self) -> Path:
        """Where the output is on this machine.

        Raises:
            DatastoreError: it is on an object store; `download` it instead.
        """
        return Path(self.workspace.datastores[self.datastore_name].root) / self.path_on_datastore

    def download(self, local_path: str | os.PathLike[str], overwrite: bool = False, show_progress: bool = True) -> str:
        """Copy the output to `local_path/<path on datastore>`; returns that path."""
        datastore = self.workspace.datastores[self.datastore_name]
        if not datastore.backend.exists(self.path_on_datastore):
            raise DatastoreError(f"output {self.name!r} is no longer at {self.datastore_name}:{self.path_on_datastore}")
        datastore.download(local_path, prefix=self.path_on_datastore, overwrite=overwrite, show_progress=show_progress)
        return str(Path(local_path) / self.path_on_datastore)

    def __repr__(self) -> str:
        return f"PortDataReference(name={self.name!r}, path={self.datastore_name}:{self.path_on_datastore})"
