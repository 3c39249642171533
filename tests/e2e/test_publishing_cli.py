"""`duto pipelines ...` and `duto endpoints ...`, run as real subprocesses on a real workspace."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import run_duto
from duto.pipeline import PublishedPipeline

PIPELINE = """
from duto import Workspace
from duto.pipeline import Pipeline, PipelineParameter
from duto.pipeline.steps import PythonScriptStep

ws = Workspace.from_config()
lr = PipelineParameter("lr", default_value=0.5)
pipeline = Pipeline(ws, [PythonScriptStep("say.py", source_directory="src", arguments=[lr])])
"""


def duto(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_duto(*args, cwd=cwd, columns=250)


def ok(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = duto(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


def write_code(root: Path, version: str) -> None:
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "say.py").write_text(f"import sys\nprint('{version}', sys.argv[1])\n")


@pytest.mark.timeout(180)
def test_publish_list_show_disable_and_run_the_published_code(ws):
    root = ws.root
    write_code(root, "v1")
    (root / "pipe.py").write_text(textwrap.dedent(PIPELINE))

    published = ok("pipelines", "publish", "pipe.py:pipeline", "--name", "say", "--version", "1", cwd=root)
    pipeline_id, endpoint_line = published.stdout.splitlines()
    assert endpoint_line == f"endpoint http://127.0.0.1:8642/api/pipelines/{pipeline_id}/runs"
    write_code(root, "v2")
    other_id = ok("pipelines", "publish", "pipe.py", "--name", "say", cwd=root).stdout.splitlines()[0]
    assert other_id != pipeline_id

    shown = json.loads(ok("pipelines", "show", pipeline_id[:10], "--json", cwd=root).stdout)
    assert shown["name"] == "say" and shown["version"] == "1" and shown["parameters"] == {"lr": 0.5}
    assert shown["steps"] == ["say.py"] and shown["status"] == "Active"
    table = ok("pipelines", "show", pipeline_id, cwd=root).stdout
    assert "lr=0.5" in table and pipeline_id in table

    assert "is Disabled" in ok("pipelines", "disable", other_id[:10], cwd=root).stdout
    listed = ok("pipelines", "list", cwd=root).stdout
    assert pipeline_id[:8] in listed and other_id[:8] not in listed
    every = json.loads(ok("pipelines", "list", "--all", "--json", cwd=root).stdout)
    assert {p["id"] for p in every} == {pipeline_id, other_id}
    assert "is Active" in ok("pipelines", "enable", other_id, cwd=root).stdout

    run = PublishedPipeline.get(ws, pipeline_id).submit(ws, "cli", pipeline_parameters={"lr": 0.1})
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert run.get_steps()[0].get_stdout_log().strip().splitlines()[-1] == "v1 0.1"

    unknown = duto("pipelines", "show", "nope", cwd=root)
    assert unknown.returncode == 1 and "no published pipeline 'nope'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    assert "deleted published pipeline 'say'" in ok("pipelines", "delete", other_id, cwd=root).stdout
    assert other_id[:8] not in ok("pipelines", "list", "--all", cwd=root).stdout


def test_endpoints_create_add_set_default_show_and_list(ws):
    root = ws.root
    write_code(root, "v1")
    (root / "pipe.py").write_text(textwrap.dedent(PIPELINE))
    first = ok("pipelines", "publish", "pipe.py", "--name", "a", cwd=root).stdout.splitlines()[0]
    second = ok("pipelines", "publish", "pipe.py", "--name", "b", cwd=root).stdout.splitlines()[0]

    created = ok("endpoints", "create", "nightly", "--pipeline", first[:10], "-d", "every night", cwd=root)
    endpoint_id = created.stdout.splitlines()[0]
    assert created.stdout.splitlines()[1] == f"endpoint http://127.0.0.1:8642/api/endpoints/{endpoint_id}/runs"
    again = duto("endpoints", "create", "nightly", "--pipeline", first, cwd=root)
    assert again.returncode == 1 and "'nightly' exists already" in again.stderr

    added = ok("endpoints", "add", "nightly", "--pipeline", second, cwd=root).stdout
    assert "as version 1; default: 0" in added
    assert (
        "as version 2; default: 2"
        in ok("endpoints", "add", endpoint_id[:10], "--pipeline", second, "--default", cwd=root).stdout
    )
    assert "runs version 1 by default" in ok("endpoints", "set-default", "nightly", "1", cwd=root).stdout
    missing = duto("endpoints", "set-default", "nightly", "5", cwd=root)
    assert missing.returncode == 1 and "no version '5'; its versions: 0, 1, 2" in missing.stderr

    document = json.loads(ok("endpoints", "show", "nightly", "--json", cwd=root).stdout)
    assert document["default_version"] == "1" and document["description"] == "every night"
    assert [(v["version"], v["pipeline_id"]) for v in document["versions"]] == [
        ("0", first),
        ("1", second),
        ("2", second),
    ]
    assert "1 (default)" in ok("endpoints", "show", endpoint_id[:8], cwd=root).stdout
    refused = duto("pipelines", "delete", first, cwd=root)
    assert refused.returncode == 1 and "nightly version 0" in refused.stderr

    assert "is Disabled" in ok("endpoints", "disable", "nightly", cwd=root).stdout
    assert json.loads(ok("endpoints", "list", "--json", cwd=root).stdout) == []
    assert [e["name"] for e in json.loads(ok("endpoints", "list", "--all", "--json", cwd=root).stdout)] == ["nightly"]
    unknown = duto("endpoints", "show", "weekly", cwd=root)
    assert unknown.returncode == 1 and "no pipeline endpoint 'weekly'" in unknown.stderr
