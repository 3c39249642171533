"""`duto run FILE.py` on a file whose own code fails: the user's frames, as `python FILE.py` prints them.

Each case runs through the command server (the default) and in the command's own process.
"""

from __future__ import annotations

import subprocess
import textwrap

import pytest

from conftest import run_duto
from duto import Workspace

pytestmark = pytest.mark.timeout(90)

WAYS = {"command server": {}, "own process": {"DUTO_COMMAND_SERVER": "off"}}
HELPER = """
def load_settings():
    raise RuntimeError("no setting 'lr' in settings.toml")
"""


def run_file(ws: Workspace, way: str, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for name, code in files.items():
        (ws.root / name).write_text(textwrap.dedent(code))
    return run_duto("run", "pipeline.py", cwd=ws.root, env=WAYS[way])


def assert_only_the_users_frames(result: subprocess.CompletedProcess[str], last_line: str) -> list[str]:
    """Exit code 1, nothing on stdout, a short traceback ending in `last_line` with none of duto's frames."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.rstrip("\n").splitlines()
    assert lines[-1] == last_line, result.stderr
    assert len(lines) <= 10, result.stderr
    for frame in ("duto/cli", "/duto/", "typer", "click", "importlib", "command_server"):
        assert frame not in result.stderr
    return lines


@pytest.mark.parametrize("way", WAYS)
def test_an_exception_at_the_top_of_the_file_shows_the_users_frames(ws: Workspace, way: str) -> None:
    result = run_file(
        ws, way, {"settings.py": HELPER, "pipeline.py": "import settings\n\nlr = settings.load_settings()\n"}
    )

    lines = assert_only_the_users_frames(result, "RuntimeError: no setting 'lr' in settings.toml")
    assert lines[:3] == [
        "Traceback (most recent call last):",
        f'  File "{ws.root / "pipeline.py"}", line 3, in <module>',
        "    lr = settings.load_settings()",
    ]
    assert f'  File "{ws.root / "settings.py"}", line 3, in load_settings' in lines


@pytest.mark.parametrize("way", WAYS)
def test_a_syntax_error_shows_file_line_and_caret(ws: Workspace, way: str) -> None:
    result = run_file(ws, way, {"pipeline.py": "steps = [\n    'prep',\n    'train'\n\nprint(steps)\n"})

    lines = assert_only_the_users_frames(result, "SyntaxError: '[' was never closed")
    assert lines == [
        f'  File "{ws.root / "pipeline.py"}", line 1',
        "    steps = [",
        "            ^",
        "SyntaxError: '[' was never closed",
    ]


@pytest.mark.parametrize("way", WAYS)
def test_an_import_error_shows_the_users_import(ws: Workspace, way: str) -> None:
    result = run_file(ws, way, {"pipeline.py": "from duto import Workspace\nimport sklearnn\n"})

    lines = assert_only_the_users_frames(result, "ModuleNotFoundError: No module named 'sklearnn'")
    assert lines == [
        "Traceback (most recent call last):",
        f'  File "{ws.root / "pipeline.py"}", line 2, in <module>',
        "    import sklearnn",
        "ModuleNotFoundError: No module named 'sklearnn'",
    ]


def test_a_duto_error_raised_in_the_users_file_shows_the_line_that_raised_it(ws: Workspace) -> None:
    pipeline = "from duto.pipeline.steps import PythonScriptStep\n\nstep = PythonScriptStep('')\n"
    result = run_file(ws, "command server", {"pipeline.py": pipeline})

    lines = assert_only_the_users_frames(
        result,
        "duto.errors.ConfigError: PythonScriptStep: script_name must be a file name such as 'train.py', not ''",
    )
    assert lines[1:3] == [f'  File "{ws.root / "pipeline.py"}", line 3, in <module>', "    step = PythonScriptStep('')"]


def test_a_failing_pipeline_function_shows_its_frames(ws: Workspace) -> None:
    pipeline = """
    from duto.pipeline import Pipeline
    import settings

    def build() -> Pipeline:
        settings.load_settings()
    """
    result = run_file(ws, "command server", {"settings.py": HELPER, "pipeline.py": pipeline})

    lines = assert_only_the_users_frames(result, "RuntimeError: no setting 'lr' in settings.toml")
    assert lines[1:3] == [f'  File "{ws.root / "pipeline.py"}", line 6, in build', "    settings.load_settings()"]
