"""Registered models as v1 code uses them: versions by content, paths inside and outside steps, download, lineage
to the run and datasets that made them, and `cache gc` keeping their content."""

from __future__ import annotations

from pathlib import Path

import pytest

from duto import Dataset, Experiment, Model
from duto.errors import AssetNotFoundError, ConfigError
from duto.facade.content_cache import collect_garbage
from duto.facade.models import model_document
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep


def test_register_versions_by_content_and_get_list_download(ws, tmp_path):
    model_file = tmp_path / "model.pkl"
    model_file.write_bytes(b"weights 1")
    first = Model.register(
        ws, model_path=str(model_file), model_name="churn", tags={"area": "x"}, model_framework="ScikitLearn"
    )
    again = Model.register(ws, str(model_file), "churn")
    assert (first.version, again.version, first.id) == (1, 1, "churn:1")
    model_file.write_bytes(b"weights 2")
    second = Model.register(ws, str(model_file), "churn", description="retrained")
    assert second.version == 2

    assert Model(ws, "churn").version == 2
    assert Model(ws, name="churn", version=1).tags == {"area": "x"}
    assert Model(ws, id="churn:1").model_framework == "ScikitLearn"
    assert [m.id for m in Model.list(ws)] == ["churn:1", "churn:2"]
    assert list(ws.models) == ["churn"]

    path = Model.get_model_path("churn", version=1, _workspace=ws)
    assert Path(path).name == "model.pkl" and Path(path).read_bytes() == b"weights 1"
    target = tmp_path / "out"
    downloaded = Model(ws, "churn").download(target_dir=str(target))
    assert Path(downloaded).read_bytes() == b"weights 2"
    with pytest.raises(FileExistsError, match="exist_ok=True"):
        Model(ws, "churn").download(target_dir=str(target))
    assert Model(ws, "churn", version=1).download(target_dir=str(target), exist_ok=True) == downloaded

    with pytest.raises(AssetNotFoundError, match="no version 9; its versions: 1, 2"):
        Model(ws, "churn", version=9)
    with pytest.raises(ConfigError, match=r"model name '\.\./escape'"):
        Model.register(ws, str(model_file), "../escape")
    with pytest.raises(ConfigError, match="does not exist"):
        Model.register(ws, str(tmp_path / "missing"), "churn")
    with pytest.raises(ConfigError, match="not a registered dataset"):
        Model.register(ws, str(model_file), "churn", datasets=[("training", Dataset.File.from_files(str(model_file)))])


def test_a_folder_model_with_its_datasets_survives_cache_gc(ws, tmp_path):
    folder = tmp_path / "model_dir"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "w.bin").write_bytes(b"w")
    data = tmp_path / "train.csv"
    data.write_text("x")
    training = Dataset.File.from_files(str(data)).register(ws, "train")
    model = Model.register(ws, str(folder), "folder-model", datasets=[("training data", training)])
    shutil_target = Path(Model.get_model_path("folder-model", _workspace=ws))
    assert shutil_target.name == "model_dir" and (shutil_target / "sub" / "w.bin").read_bytes() == b"w"
    assert model_document(ws, model._row)["datasets"] == [{"id": training.id, "name": "train", "version": 1}]

    collect_garbage(ws)
    assert ws.content_store.intact(model._row.digest)
    assert ws.content_store.intact(Dataset.get_by_name(ws, "train").registration.digest)


@pytest.mark.timeout(120)
def test_a_step_registers_a_model_and_another_reads_it_by_name(ws, write_script, tmp_path):
    data = tmp_path / "train.csv"
    data.write_text("rows")
    Dataset.File.from_files(str(data)).register(ws, "train")
    src = write_script(
        "train.py",
        """
        import os, sys
        from duto import Run
        os.makedirs("outputs", exist_ok=True)
        open("outputs/model.txt", "w").write("trained on " + open(sys.argv[1]).read())
        Run.get_context().register_model(model_name="from-step", model_path="outputs/model.txt", tags={"t": "1"})
        from duto import Model, Workspace
        Model.register(Workspace.from_config(), "outputs/model.txt", "by-sdk")
        """,
    )
    score = write_script(
        "score.py",
        """
        from duto import Model
        print(open(Model.get_model_path("from-step")).read())
        """,
        folder="score",
    )
    train_input = Dataset.get_by_name(ws, "train").as_named_input("train").as_download()
    train = PythonScriptStep("train.py", source_directory=src, arguments=[train_input], inputs=[train_input])
    run = Experiment(ws, "models").submit(Pipeline(ws, [train]))
    run.wait_for_completion(show_output=False, raise_on_error=True)
    (train_run,) = run.get_steps()

    model = Model(ws, "from-step")
    assert (model.version, model.tags, model.run_id) == (1, {"t": "1"}, train_run.id)
    assert Model(ws, "by-sdk").run_id == train_run.id  # Model.register inside a step links the step run too
    document = model_document(ws, model._row)
    assert document["produced_by"] == {"pipeline_run_id": run.id, "step_run_id": train_run.id, "step_name": "train.py"}
    assert [d["name"] for d in document["datasets"]] == ["train"]

    scoring = Experiment(ws, "models").submit(Pipeline(ws, [PythonScriptStep("score.py", source_directory=score)]))
    scoring.wait_for_completion(show_output=False, raise_on_error=True)
    assert scoring.get_steps()[0].get_stdout_log().strip().splitlines()[-1] == "trained on rows"


def test_a_step_venv_without_dutos_dependencies_finds_a_model_by_name(ws, tmp_path):
    """The step API alone (standard library only, no site-packages): `from duto import Model` is the step side's."""
    import os
    import subprocess
    import sys

    from duto.execution.materialize import step_api_folder

    model_file = tmp_path / "m.pkl"
    model_file.write_bytes(b"v1")
    Model.register(ws, str(model_file), "bare")
    model_file.write_bytes(b"v2")
    Model.register(ws, str(model_file), "bare")
    api = step_api_folder(tmp_path / "envs")
    code = (
        "from duto import Model; import sys; "
        "print(Model.__module__, open(Model.get_model_path('bare')).read(), "
        "open(Model.get_model_path('bare', version=1)).read())"
    )
    env = {"PYTHONPATH": str(api), "DUTO_WORKSPACE": str(ws.root), "PATH": os.environ["PATH"]}
    done = subprocess.run([sys.executable, "-S", "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, "duto.tracking.model_paths v2 v1"), done.stderr
    missing = subprocess.run(
        [sys.executable, "-S", "-c", "from duto import Model; Model.get_model_path('nope')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 1 and "no model 'nope'" in missing.stderr


def test_a_deleted_version_is_gone_by_name_its_number_is_never_given_again_and_gc_reclaims_it(ws, tmp_path):
    model_file = tmp_path / "model.pkl"
    model_file.write_bytes(b"weights 1")
    first = Model.register(ws, str(model_file), "churn")
    model_file.write_bytes(b"weights 2")
    second = Model.register(ws, str(model_file), "churn")

    second.delete()
    assert Model(ws, "churn").version == 1, "the latest is the newest version still registered"
    with pytest.raises(AssetNotFoundError, match="no version 2; its versions: 1"):
        Model(ws, "churn", version=2)
    with pytest.raises(AssetNotFoundError, match="no version 2"):
        second.delete()
    assert [m.id for m in Model.list(ws)] == ["churn:1"]

    # The same content again is a new version: the deleted number is not given twice.
    assert Model.register(ws, str(model_file), "churn").version == 3

    first.delete()
    collect_garbage(ws)
    assert not ws.content_store.intact(first._row.digest), "nothing keeps a deleted version's file"
    assert ws.content_store.intact(second._row.digest), "version 3 holds the same content as deleted version 2"
