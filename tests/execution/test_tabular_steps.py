"""Tabular datasets as inputs of real pipeline steps: the files or the dataset itself, in the runner's Python, in
an environment without pandas and from an S3 datastore; reuse follows the recipe and the files' content."""

from __future__ import annotations

import pytest

from conftest import write_wheel
from duto import DataPath, Dataset, Datastore, Environment, Experiment, RunConfiguration
from duto.conda_dependencies import CondaDependencies
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep

pytestmark = pytest.mark.timeout(120)

PEOPLE = "name,age,city\nAna,34,Porto\nRui,19,Lisboa\nEva,51,Porto\n"

# Reads the dataset itself: its type, its rows after the recipe, and a recipe the step adds.
DIRECT = """
from duto import Run
run = Run.get_context()
people = run.input_datasets["people"]
frame = people.to_pandas_dataframe()
run.log("type", type(people).__name__)
run.log("names", ",".join(frame["name"]))
run.log("first_in_step", ",".join(people.take(1).to_pandas_dataframe()["name"]))
"""

# Reads the files it was given, with the standard library alone.
FILES = """
import os, sys
from duto import Run
run = Run.get_context()
path = sys.argv[1]
files = [path] if os.path.isfile(path) else sorted(os.path.join(d, n) for d, _, ns in os.walk(path) for n in ns)
run.log("given", run.input_datasets["people"] == path)
run.log("lines", sum(len(open(f).read().splitlines()) for f in files))
"""


def finished(ws, pipeline):  # type: ignore[no-untyped-def]
    run = Experiment(ws, "tabular").submit(pipeline)
    assert run.wait_for_completion(show_output=False) == "Finished", [s.get_stdout_log() for s in run.get_steps()]
    return run


def only_step(run):  # type: ignore[no-untyped-def]
    (step,) = run.get_steps()
    return step


@pytest.fixture
def people(ws) -> Datastore:  # type: ignore[no-untyped-def]
    datastore = ws.get_default_datastore()
    folder = ws.root / "upload" / "people"
    folder.mkdir(parents=True)
    (folder / "part1.csv").write_text(PEOPLE)
    datastore.upload(str(ws.root / "upload"), show_progress=False)
    return datastore


def test_a_step_gets_the_dataset_itself_and_reuse_follows_recipe_and_content(ws, write_script, people):
    src = write_script("direct.py", DIRECT)
    ds = Dataset.Tabular.from_delimited_files(DataPath(people, "people/*.csv"))

    def build(dataset):  # type: ignore[no-untyped-def]
        named = dataset.as_named_input("people")
        return Pipeline(ws, [PythonScriptStep("direct.py", source_directory=src, inputs=[named])])

    porto = ds.filter(ds["city"] == "Porto")
    first = only_step(finished(ws, build(porto)))
    assert first.get_metrics() == {"type": "TabularDataset", "names": "Ana,Eva", "first_in_step": "Ana"}

    again = only_step(finished(ws, build(ds.filter(ds["city"] == "Porto"))))
    assert again.is_reused, "the same recipe over the same files"

    changed = only_step(finished(ws, build(ds.filter(ds["city"] == "Lisboa"))))
    assert not changed.is_reused and changed.get_metrics()["names"] == "Rui"
    assert changed.get_reuse_info()["reasons"] == ["input 'people': its tabular dataset's recipe changed"]

    (ws.root / "upload" / "people" / "part1.csv").write_text(PEOPLE + "Rita,40,Porto\n")
    people.upload(str(ws.root / "upload"), overwrite=True, show_progress=False)
    edited = only_step(finished(ws, build(ds.filter(ds["city"] == "Lisboa"))))
    assert not edited.is_reused
    assert edited.get_reuse_info()["reasons"] == ["file people/part1.csv changed"]
    grown = only_step(finished(ws, build(porto)))
    assert grown.get_metrics()["names"] == "Ana,Eva,Rita"


def test_a_step_can_take_the_files_instead(ws, write_script, people):
    src = write_script("files.py", FILES)
    ds = Dataset.Tabular.from_delimited_files(DataPath(people, "people/*.csv")).take(1)
    for consumed in (ds.as_named_input("people").as_download(), ds.as_named_input("people").as_mount()):
        step = PythonScriptStep("files.py", source_directory=src, arguments=[consumed])
        metrics = only_step(finished(ws, Pipeline(ws, [step]))).get_metrics()
        assert metrics == {"given": True, "lines": 4}, "all the files, whatever the recipe"


# In an environment with no pandas: the files still arrive, and the dataset says what to install.
NO_PANDAS = """
from duto import Run
run = Run.get_context()
people = run.input_datasets["people"]
run.log("type", type(people).__name__)
try:
    people.to_pandas_dataframe()
except ImportError as exc:
    run.log("error", str(exc))
"""


def test_in_an_environment_without_pandas_the_step_is_told_what_to_add(ws, write_script, people, tmp_path):
    wheels = tmp_path / "wheels"
    write_wheel(wheels, "tinypkg", "1.0")
    env = Environment("bare")
    dependencies = CondaDependencies.create(pip_packages=["tinypkg==1.0"])
    dependencies.set_pip_option(f"--find-links={wheels}")
    dependencies.set_pip_option("--no-index")
    env.python.conda_dependencies = dependencies
    src = write_script("bare.py", NO_PANDAS)
    ds = Dataset.Tabular.from_delimited_files(DataPath(people, "people/*.csv"))
    step = PythonScriptStep(
        "bare.py",
        source_directory=src,
        inputs=[ds.as_named_input("people")],
        runconfig=RunConfiguration(environment=env),
    )
    metrics = only_step(finished(ws, Pipeline(ws, [step]))).get_metrics()
    assert metrics["type"] == "TabularDataset"
    assert "to_pandas_dataframe() needs pandas" in metrics["error"]
    assert "pip install 'duto[data]'" in metrics["error"] and "pip_packages=['pandas']" in metrics["error"]


def test_a_dataset_on_an_s3_datastore_reaches_the_step(ws, write_script, s3_endpoint, s3_bucket, s3_client):
    s3_client.put_object(Bucket=s3_bucket, Key="team/people/a.csv", Body=PEOPLE.encode())
    lake = Datastore.register_s3(
        ws,
        "lake",
        s3_bucket,
        prefix="team",
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id="AKIASTEPTEST",
        secret_access_key="step-test-secret",
    )
    src = write_script("direct.py", DIRECT)
    ds = Dataset.Tabular.from_delimited_files((lake, "people/*.csv"))
    step = PythonScriptStep("direct.py", source_directory=src, inputs=[ds.skip(1).as_named_input("people")])
    assert only_step(finished(ws, Pipeline(ws, [step]))).get_metrics()["names"] == "Rui,Eva"
