"""`duto datasets list|show|lineage` and `duto models list|show`, run as the console script runs."""

from __future__ import annotations

import json

import pytest

from conftest import run_duto
from duto import Dataset, Experiment
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep

pytestmark = pytest.mark.timeout(120)


def test_datasets_and_models_commands(ws, tmp_path, write_script):  # type: ignore[no-untyped-def]
    data = tmp_path / "train.csv"
    data.write_text("rows")
    Dataset.File.from_files(str(data)).register(ws, "train", description="training rows")
    src = write_script(
        "train.py",
        """
        import sys
        from duto import Run
        open("model.txt", "w").write(open(sys.argv[1]).read())
        Run.get_context().register_model("clf", "model.txt")
        """,
    )
    train = Dataset.get_by_name(ws, "train").as_named_input("train").as_download()
    run = Experiment(ws, "cli").submit(
        Pipeline(ws, [PythonScriptStep("train.py", source_directory=src, arguments=[train], inputs=[train])])
    )
    run.wait_for_completion(show_output=False, raise_on_error=True)

    listed = run_duto("datasets", "list", cwd=ws.root)
    assert listed.returncode == 0 and "train" in listed.stdout and "training rows" in listed.stdout
    shown = json.loads(run_duto("datasets", "show", "train", "--json", cwd=ws.root).stdout)
    assert (shown["version"], shown["single_file"]) == (1, "train.csv")
    lineage = run_duto("datasets", "lineage", "train", cwd=ws.root)
    assert run.id in lineage.stdout and "clf:1" in lineage.stdout, lineage.stdout
    models = json.loads(run_duto("models", "list", "--json", cwd=ws.root).stdout)
    assert [(m["name"], m["version"], m["produced_by"]["pipeline_run_id"]) for m in models] == [("clf", 1, run.id)]
    model = run_duto("models", "show", "clf", cwd=ws.root)
    assert model.returncode == 0 and "model.txt" in model.stdout and "train" in model.stdout

    missing = run_duto("datasets", "show", "nope", cwd=ws.root)
    assert missing.returncode == 1 and "no dataset 'nope'" in missing.stderr
    bad = run_duto("models", "show", "clf", "--version", "x", cwd=ws.root)
    assert bad.returncode == 1 and "version 'x'" in bad.stderr


def test_unregistering_datasets_and_deleting_models(ws, tmp_path):  # type: ignore[no-untyped-def]
    from duto import Model

    data = tmp_path / "train.csv"
    data.write_text("rows")
    Dataset.File.from_files(str(data)).register(ws, "train")
    Model.register(ws, str(data), "clf")
    data.write_text("more rows")
    Model.register(ws, str(data), "clf")

    neither = run_duto("models", "delete", "clf", "--yes", cwd=ws.root)
    assert neither.returncode == 2 and "--all" in neither.stderr
    asked = run_duto("models", "delete", "clf", "--version", "1", cwd=ws.root)
    assert asked.returncode == 1 and [m.version for m in Model.list(ws)] == [1, 2], "no answer, nothing deleted"
    deleted = run_duto("models", "delete", "clf", "--version", "1", "--yes", cwd=ws.root)
    assert deleted.returncode == 0 and "unregistered model 'clf' version 1" in deleted.stdout, deleted.stderr
    assert [m.version for m in Model.list(ws)] == [2]
    again = run_duto("models", "delete", "clf", "--version", "1", "--yes", cwd=ws.root)
    assert again.returncode == 1 and "its versions: 2" in again.stderr

    gone = run_duto("datasets", "unregister", "train", "--all", "--yes", cwd=ws.root)
    assert gone.returncode == 0 and "version 1" in gone.stdout
    assert run_duto("datasets", "show", "train", cwd=ws.root).returncode == 1
