"""Loading the pipeline of a user's file for `duto run FILE.py[:NAME]`.

The file is imported as a module, not run as `__main__`, so a file that also submits when executed as a
script does not submit twice. What the file's own code raises is shown from the file's first frame on, as
`python FILE.py` shows it, not through duto, Typer and importlib.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from duto.errors import DutoError, UserCodeError, UserFileError
from duto.facade.submission import Pipeline

MODULE_NAME = "duto_user_pipeline"
YAML_SUFFIXES = (".yml", ".yaml")  # a pipeline in v1's YAML shape
DUTO_PACKAGE = str(Path(__file__).resolve().parents[1])
T = TypeVar("T")


@dataclass(frozen=True)
class PipelineTarget:
    """`FILE.py[:NAME]` as given on the command line."""

    path: str
    name: str | None

    @classmethod
    def parse(cls, text: str) -> PipelineTarget:
        path, sep, name = text.rpartition(":")
        # Only an identifier after the last ':' names an object; otherwise the ':' belongs to the path.
        if sep and name.isidentifier() and path:
            return cls(path, name)
        return cls(text, None)

    @property
    def usage(self) -> str:
        return f"{self.path}:NAME"


def load_pipeline(target: PipelineTarget) -> Pipeline:
    """Import the target's file and return the Pipeline it names, or the only one it holds.

    Raises:
        UserFileError: when the file is missing, or does not hold exactly the pipeline asked for.
        UserCodeError: when the file's own code raises (at its top level, or in the function called).
    """
    path = Path(target.path).expanduser().resolve()
    if not path.is_file():
        raise UserFileError(target.path, "no such file; give the path of a Python file that defines a Pipeline")
    if path.suffix in YAML_SUFFIXES:
        from duto.facade.workspace import Workspace

        return Pipeline.load_yaml(Workspace.from_config(), target.path)
    module = _import_file(path, target.path)
    if target.name is not None:
        return _named_pipeline(module, target)
    return _only_pipeline(module, target)


def _import_file(path: Path, shown: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise UserFileError(shown, "cannot be imported as a Python module; give a .py file")
    module = importlib.util.module_from_spec(spec)
    # As `python FILE.py` would: modules next to the file import by their plain names.
    sys.path.insert(0, str(path.parent))
    # Registered before it runs, so dataclasses and pickling inside the file can find their module.
    sys.modules[MODULE_NAME] = module
    loader = spec.loader
    try:
        _run_user_code(path, shown, lambda: loader.exec_module(module))
    except UserCodeError:
        del sys.modules[MODULE_NAME]  # as a failed import leaves no module behind
        raise
    return module


def _run_user_code(path: Path, shown: str, call: Callable[[], T]) -> T:
    """Call into the user's file; what it raises becomes a UserCodeError with the user's own traceback."""
    try:
        return call()
    except Exception as exc:
        raise UserCodeError(shown, exc, user_traceback(exc, path)) from exc


def user_traceback(error: BaseException, path: Path) -> str:
    """`error`'s traceback from the first frame in the file at `path` on, as `python FILE.py` would print it.

    Frames of duto, Typer and importlib that led into the file are left out; so are duto's own frames under
    it when the error is one duto raised on purpose (its message says what to change). A SyntaxError in the
    file itself has no frame there: it shows as Python shows one, file, line and caret.
    """
    shown = traceback.TracebackException.from_exception(error)
    frames = list(shown.stack)
    first = next((i for i, frame in enumerate(frames) if frame.filename == str(path)), len(frames))
    deliberate = isinstance(error, DutoError)
    kept = [
        frame
        for frame in frames[first:]
        if not frame.filename.startswith("<frozen importlib")
        and not (deliberate and frame.filename.startswith(DUTO_PACKAGE))
    ]
    shown.stack = traceback.StackSummary.from_list(kept)
    return "".join(shown.format())


def _named_pipeline(module: ModuleType, target: PipelineTarget) -> Pipeline:
    assert target.name is not None
    if not hasattr(module, target.name):
        raise UserFileError(target.path, f"defines no {target.name!r}; {_inventory(module)}")
    found = getattr(module, target.name)
    if isinstance(found, Pipeline):
        return found
    if callable(found):
        return _call_factory(found, target.name, target)
    raise UserFileError(
        target.path,
        f"{target.name!r} is of type {type(found).__name__}, not a Pipeline or a function that returns one",
    )


def _only_pipeline(module: ModuleType, target: PipelineTarget) -> Pipeline:
    pipelines = _pipelines(module)
    if len(pipelines) == 1:
        return next(iter(pipelines.values()))
    if len(pipelines) > 1:
        names = ", ".join(sorted(pipelines))
        raise UserFileError(
            target.path, f"holds {len(pipelines)} pipelines ({names}); say which one to run as {target.usage}"
        )
    factories = _factories(module)
    annotated = [name for name, function in factories.items() if _returns_pipeline(function)]
    if len(annotated) == 1:
        return _call_factory(factories[annotated[0]], annotated[0], target)
    if not factories:
        raise UserFileError(
            target.path,
            "defines no Pipeline and no function to make one; define `pipeline = Pipeline(ws, steps=[...])` in it",
        )
    listed = ", ".join(f"{name}()" for name in sorted(factories))
    raise UserFileError(
        target.path,
        f"holds no Pipeline object, but functions that may make one: {listed}; say which one to run as {target.usage}",
    )


def _call_factory(function: Any, name: str, target: PipelineTarget) -> Pipeline:
    if not _takes_no_arguments(function):
        raise UserFileError(target.path, f"{name}() needs arguments; `duto run` calls it with none")
    made = _run_user_code(Path(target.path).expanduser().resolve(), target.path, function)
    if not isinstance(made, Pipeline):
        raise UserFileError(target.path, f"{name}() returned an object of type {type(made).__name__}, not a Pipeline")
    return made


def _pipelines(module: ModuleType) -> dict[str, Pipeline]:
    """The module's Pipeline objects by name, each object once (an alias does not make a second one)."""
    found: dict[int, tuple[str, Pipeline]] = {}
    for name, value in vars(module).items():
        if isinstance(value, Pipeline) and not name.startswith("_"):
            found.setdefault(id(value), (name, value))
    return dict(found.values())


def _factories(module: ModuleType) -> dict[str, Any]:
    """The module's own public functions that can be called with no arguments."""
    return {
        name: value
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and value.__module__ == MODULE_NAME
        and not name.startswith("_")
        and _takes_no_arguments(value)
    }


def _takes_no_arguments(function: Any) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values()
    )


def _returns_pipeline(function: Any) -> bool:
    annotation = inspect.signature(function).return_annotation
    # With `from __future__ import annotations` the annotation is the text as written.
    if isinstance(annotation, str):
        return annotation.rpartition(".")[2] == "Pipeline"
    return annotation is Pipeline


def _inventory(module: ModuleType) -> str:
    pipelines = sorted(_pipelines(module))
    functions = sorted(_factories(module))
    return (
        f"Pipeline objects: {', '.join(pipelines) or 'none'}; "
        f"functions callable with no arguments: {', '.join(f'{f}()' for f in functions) or 'none'}"
    )
