"""The `duto` command tree's help: commands in a sensible order, flags without a type, one-line summaries."""

from __future__ import annotations

from typing import Any

import typer

from duto.cli.app import app
from duto.cli.group import COMMAND_ORDER, ordered, show_flags_as_flags


def tree() -> tuple[Any, Any]:
    command = typer.main.get_command(app)
    ctx = command.make_context("duto", ["--help"], resilient_parsing=True)
    show_flags_as_flags(command, ctx)
    return command, ctx


def walk(command: Any, path: str = "duto") -> list[tuple[str, Any]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found.extend(walk(sub, f"{path} {name}"))
    return found


def test_commands_come_in_the_order_a_user_meets_them_and_unknown_ones_last() -> None:
    assert ordered(["cache", "why", "zeta", "run", "init", "alpha"]) == ["init", "run", "why", "cache", "zeta", "alpha"]
    command, ctx = tree()
    listed = command.list_commands(ctx)
    assert listed[:9] == ["init", "run", "runs", "experiments", "logs", "metrics", "why", "status", "dag"]
    assert listed == ordered(listed)
    assert set(listed) <= set(COMMAND_ORDER)


def test_no_flag_of_any_command_is_shown_as_taking_a_value() -> None:
    command, ctx = tree()
    flags = []
    for path, each in walk(command):
        help_option = each.get_help_option(ctx)
        for param in [*each.params, help_option]:
            if getattr(param, "is_flag", False):
                flags.append((path, param.opts[0], param.display_type_rich(ctx)))
    assert ("duto runs list", "--json", "") in flags
    assert [f for f in flags if f[2]] == []


def test_every_command_summary_is_one_paragraph_without_line_breaks() -> None:
    command, _ = tree()
    broken = [path for path, each in walk(command) if "\n" in (each.help or "").split("\n\n")[0].strip()]
    assert broken == []


def test_no_option_names_its_value_by_a_python_type() -> None:
    command, ctx = tree()
    typed = []
    for path, each in walk(command):
        for param in each.params:
            if param.param_type_name == "option" and not getattr(param, "is_flag", False):
                shown = param.display_type_rich(ctx) or ""
                if shown.startswith("<"):
                    typed.append((path, param.opts[0], shown))
    assert typed == []
