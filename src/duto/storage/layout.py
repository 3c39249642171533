"""Where a workspace keeps each run's files under `.duto/runs/`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunLayout:
    """The folders of one pipeline run: a folder per step run (code snapshots live in the content store)."""

    runs_dir: Path
    run_id: str

    @property
    def root(self) -> Path:
        return self.runs_dir / self.run_id

    @property
    def runner_log(self) -> Path:
        return self.root / "runner.log"

    def step(self, step_run_id: str) -> StepLayout:
        return StepLayout(self.root / "steps" / step_run_id)


@dataclass(frozen=True)
class StepLayout:
    """A step run's folder: its log, its events file, its working copy of the code, inputs and outputs."""

    root: Path

    @property
    def std_log(self) -> Path:
        return self.root / "std_log.txt"

    @property
    def events(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def code(self) -> Path:
        return self.root / "code"

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def inputs_map(self) -> Path:
        """The map of each input's name to the path the step was given (`Run.input_datasets`)."""
        return self.root / "inputs.json"

    @property
    def tabular_inputs(self) -> Path:
        """The recipe of each tabular dataset the step gets as itself (`Run.input_datasets` rebuilds them)."""
        return self.root / "tabular_inputs.json"

    @property
    def outputs(self) -> Path:
        """Outputs while the step writes them; they move to their final place only when it succeeds."""
        return self.root / "outputs"

    @property
    def files(self) -> Path:
        return self.root / "files"

    def attempt(self, number: int) -> Path:
        """Where an ended attempt's log, events and uploaded files are kept once another one starts."""
        return self.root / "attempts" / str(number)
