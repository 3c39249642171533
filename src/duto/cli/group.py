"""The `duto` command group: its commands listed in the order a user meets them, and flags shown as flags.

Typer lists commands in the order they were registered and shows a flag's type (`<bool>`) as if it took a
value; this group fixes both for the whole tree of commands, subcommands included.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

# init and run first, then what looks at runs, then the dry run and the graph, then publishing, then the
# housekeeping.
COMMAND_ORDER: tuple[str, ...] = (
    "init",
    "run",
    "runs",
    "experiments",
    "logs",
    "metrics",
    "why",
    "status",
    "dag",
    "pipelines",
    "endpoints",
    "schedules",
    "datasets",
    "models",
    "server",
    "token",
    "secrets",
    "cache",
    "env",
    "compute",
    "runner",
    "command-server",
)


def ordered(names: list[str], order: tuple[str, ...] = COMMAND_ORDER) -> list[str]:
    """`names` in `order`; names it does not mention come after, in the order they were given."""
    rank = {name: position for position, name in enumerate(order)}
    return sorted(names, key=lambda name: rank.get(name, len(rank)))


# What an option's value is called in help when it names no metavar of its own, by its type's name; Typer
# would show the Python type instead (`<str>`, `<int range>`).
_VALUE_NAMES = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH"}


def show_flags_as_flags(command: Any, ctx: Any) -> None:
    """Give every flag of `command` and of the commands under it an empty metavar, so help shows no type, and
    every other option without a metavar the plain name of its value (TEXT, INTEGER, NUMBER, PATH)."""
    help_option = command.get_help_option(ctx)
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        if getattr(param, "is_flag", False) and not getattr(param, "count", False):
            param.metavar = ""
        elif getattr(param, "param_type_name", "") == "option" and param.metavar is None:
            bare_type = getattr(param, "bare_type", None)  # the annotation's name, in Typer's own options
            name = _VALUE_NAMES.get(bare_type()) if bare_type is not None else None
            if name is not None:
                param.metavar = name
    for sub in getattr(command, "commands", {}).values():
        show_flags_as_flags(sub, ctx)


class DutoGroup(TyperGroup):
    """The root `duto` group: commands in `COMMAND_ORDER`, flags of every command without a type."""

    def list_commands(self, ctx: Any) -> list[str]:
        return ordered(super().list_commands(ctx))

    def get_params(self, ctx: Any) -> Any:
        # The root parses its own options before any subcommand renders help, so this reaches all of them.
        show_flags_as_flags(self, ctx)
        return super().get_params(ctx)
