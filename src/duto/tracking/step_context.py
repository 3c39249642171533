"""The step side of tracking: `Run.get_context()` inside a step. Standard library only.

A step appends one JSON line per call to the file named by DUTO_EVENTS_FILE; the runner reads that file
while the step runs and stores each line as a metric and an event of the run. Lines already written
survive the step being killed. Outside a pipeline, the context is an offline run that prints.
"""

from __future__ import annotations

import os
import time

# Steps import this module on every start, so it loads `json` and `shutil` only when a call needs them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

EVENTS_ENV = "DUTO_EVENTS_FILE"
FILES_ENV = "DUTO_FILES_DIR"
RUN_ID_ENV = "DUTO_RUN_ID"
PARENT_ID_ENV = "DUTO_PIPELINE_RUN_ID"
INPUTS_ENV = "DUTO_INPUTS_FILE"
INPUTS_JSON_ENV = "DUTO_INPUTS"  # the same map as JSON, given inline when it is small (see materialize.prepare)
TABULAR_INPUTS_ENV = "DUTO_TABULAR_INPUTS_FILE"  # {input name: recipe} of the tabular datasets given as themselves
EXPERIMENT_ENV = "DUTO_EXPERIMENT_NAME"
WORKSPACE_ENV = "DUTO_WORKSPACE"  # as duto.config reads it, so that Workspace.from_config() finds the run's
OFFLINE_EXPERIMENT = "offline"


class StepExperiment:
    """The experiment a step's run belongs to, seen from inside the step: its `name`.

    v1's `experiment.workspace` has no twin here: this side runs without duto's dependencies, so it cannot open a
    workspace. Inside a step, `Workspace.from_config()` opens the run's own (DUTO_WORKSPACE names it).
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r})"


class Run:
    """A step run as seen from inside its own process.

    Use `Run.get_context()`; `run.parent` logs onto the pipeline run instead.
    """

    _context: Run | None = None

    def __init__(self, run_id: str, events_file: str | None, files_dir: str | None, target: str = "self") -> None:
        self.id = run_id
        self._events_file = events_file
        self._files_dir = files_dir
        self._target = target
        self._parent: Run | None = None

    @classmethod
    def get_context(cls, allow_offline: bool = True) -> Run:
        """The current step's run, or an offline run that prints when not inside a pipeline step."""
        if cls._context is None:
            events = os.environ.get(EVENTS_ENV)
            if events is None and not allow_offline:
                raise RuntimeError("not inside a duto step, and allow_offline is False")
            cls._context = cls(os.environ.get(RUN_ID_ENV, "OfflineRun"), events, os.environ.get(FILES_ENV))
        return cls._context

    @property
    def offline(self) -> bool:
        return self._events_file is None

    @property
    def parent(self) -> Run:
        """The pipeline run this step belongs to; what is logged there shows on the whole run."""
        if self._parent is None:
            parent_id = os.environ.get(PARENT_ID_ENV, "OfflineRun")
            self._parent = Run(parent_id, self._events_file, self._files_dir, target="parent")
        return self._parent

    @property
    def experiment(self) -> StepExperiment:
        """The experiment of the run, with its `name` ("offline" outside a step)."""
        if self.offline:
            return StepExperiment(OFFLINE_EXPERIMENT)
        return StepExperiment(os.environ.get(EXPERIMENT_ENV, OFFLINE_EXPERIMENT))

    @property
    def input_datasets(self) -> dict[str, Any]:
        """The local path of each named input of this step; a tabular dataset named with `as_named_input` and
        neither `as_download()` nor `as_mount()` is the dataset itself, whose `to_pandas_dataframe()` reads the
        files placed for the step."""
        import json

        inline, path = os.environ.get(INPUTS_JSON_ENV), os.environ.get(INPUTS_ENV)
        if inline is not None:
            inputs: dict[str, Any] = dict(json.loads(inline))
        elif path is not None:
            with open(path) as handle:
                inputs = dict(json.load(handle))
        else:
            return {}
        tabular = os.environ.get(TABULAR_INPUTS_ENV)
        if tabular is not None:
            from duto.graph.tabular import TabularDataset

            with open(tabular) as handle:
                recipes = json.load(handle)
            inputs.update({name: TabularDataset._in_step(name, r, inputs[name]) for name, r in recipes.items()})
        return inputs

    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        """Log a value; a name logged again becomes the list of its values, in order."""
        del description
        self._emit("metric", name=name, kind="scalar", value=_plain(value), step=step)

    def log_list(self, name: str, value: list[Any], description: str = "") -> None:
        del description
        self._emit("metric", name=name, kind="list", value=[_plain(v) for v in value])

    def log_row(self, name: str, description: str = "", **kwargs: Any) -> None:
        """Add one row to the table `name`; `get_metrics()` gives `{column: [values]}`."""
        del description
        self._emit("metric", name=name, kind="row", value={k: _plain(v) for k, v in kwargs.items()})

    def log_table(self, name: str, value: dict[str, list[Any]], description: str = "") -> None:
        del description
        self._emit("metric", name=name, kind="table", value={k: [_plain(v) for v in vs] for k, vs in value.items()})

    def log_image(self, name: str, path: str | None = None, plot: Any = None, description: str = "") -> None:
        """Keep an image with the run: a file at `path`, or a matplotlib figure given as `plot`."""
        del description
        if (path is None) == (plot is None):
            raise ValueError("log_image takes exactly one of path= or plot=")
        stored = self._stored_path(f"{name}.png" if plot is not None else os.path.basename(str(path)), "images")
        if stored is None:
            print(f"Attempted to log image metric {name}: {path or 'plot'}")
            return
        if plot is not None:
            savefig = getattr(plot, "savefig", None) or plot.gcf().savefig
            savefig(stored, format="png")
        else:
            _copy(str(path), stored)
        self._emit("metric", name=name, kind="image", value=str(stored))

    def set_tags(self, tags: dict[str, Any]) -> None:
        self._emit("tags", tags={str(k): str(v) for k, v in tags.items()})

    def tag(self, key: str, value: Any = "") -> None:
        self.set_tags({key: value})

    def upload_file(self, name: str, path_or_stream: Any) -> str | None:
        """Keep a file with the run under `name`; returns where it is stored."""
        stored = self._stored_path(name, prefix="files")
        if stored is None:
            print(f"Attempted to upload file {name}")
            return None
        if isinstance(path_or_stream, str | os.PathLike):
            _copy(os.fspath(path_or_stream), stored)
        else:
            import shutil

            with open(stored, "wb") as out:
                shutil.copyfileobj(path_or_stream, out)
        self._emit("file", name=name, path=str(stored))
        return str(stored)

    def register_model(
        self,
        model_name: str,
        model_path: str,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        model_framework: str | None = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Register the file or folder at `model_path` (relative to the step's working folder) as a version of
        model `model_name`, linked to this run; the runner registers it as it reads the step's events (within
        about a second, and before the step is recorded as ended)."""
        del kwargs  # v1's asset_id, sample inputs and the like: nothing in duto reads them
        source = os.path.abspath(model_path)
        if not os.path.exists(source):
            raise FileNotFoundError(f"register_model: model_path {model_path!r} does not exist")
        stored = self._stored_path(os.path.join(model_name, os.path.basename(source.rstrip(os.sep))), prefix="models")
        if stored is None:
            print(f"Attempted to register model {model_name}")
            return
        import shutil

        if os.path.isdir(source):
            shutil.rmtree(stored, ignore_errors=True)
            shutil.copytree(source, stored)
        else:
            _copy(source, stored)
        self._emit(
            "model",
            name=model_name,
            path=stored,
            tags={str(k): str(v) for k, v in (tags or {}).items()},
            properties={str(k): str(v) for k, v in (properties or {}).items()},
            framework=model_framework,
            description=description,
        )

    def _stored_path(self, name: str, prefix: str) -> str | None:
        if self._files_dir is None:
            return None
        if os.path.isabs(name) or ".." in name.replace("\\", "/").split("/"):
            raise ValueError(f"file name {name!r} must be a relative path inside the run")
        stored = os.path.join(self._files_dir, self._target, prefix, name)
        os.makedirs(os.path.dirname(stored), exist_ok=True)
        return stored

    def _emit(self, record_type: str, **fields: Any) -> None:
        record = {"type": record_type, "target": self._target, "time": time.time(), **fields}
        if self._events_file is None:
            shown = fields.get("value", fields.get("tags"))
            print(f"Attempted to log {fields.get('kind', record_type)} metric {fields.get('name', '')}: {shown}")
            return
        import json

        line = (json.dumps(record, default=str) + "\n").encode()
        fd = os.open(self._events_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def __repr__(self) -> str:
        return f"Run(id={self.id!r})"


def _plain(value: Any) -> Any:
    """Numbers from numpy and friends as plain Python values."""
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str | bytes):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def _copy(source: str, target: str) -> None:
    import shutil

    shutil.copyfile(source, target)
