"""Lazy re-exports for the public modules, so `import duto` loads nothing heavy until a name is used."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # the idiom type checkers honour: steps import duto, so it skips importing typing
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def lazy_exports(
    module_name: str, exports: dict[str, str], step_side: dict[str, str] | None = None
) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `exports[name]` (a module path) on first use of `name`.

    `step_side[name]`, when given, is taken instead where `exports[name]` cannot be imported: in a step's venv,
    which holds only duto's standard-library step API (see `execution/materialize.py`'s `step_api_folder`).
    """

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError:
            if step_side is None or name not in step_side:
                raise
            module = importlib.import_module(step_side[name])
        value = getattr(module, name)
        globals_of_module = importlib.import_module(module_name).__dict__
        globals_of_module[name] = value
        return value

    return __getattr__
