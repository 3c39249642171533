"""The seed document's pipeline snippet runs with only its import lines changed."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

from duto import Datastore
from duto.compute import ComputeTarget, LocalCompute

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "concept-ml-pipelines.pt-PT.md"
IMPORTS = """\
from duto import Workspace, Datastore, Dataset, DataPath, Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
"""
TRAIN = """\
import argparse, os, pickle
parser = argparse.ArgumentParser()
parser.add_argument("--input")
parser.add_argument("--output")
args = parser.parse_args()
with open(args.input, "rb") as f:
    docs = pickle.load(f)
os.makedirs(args.output, exist_ok=True)
with open(os.path.join(args.output, "count.txt"), "w") as f:
    f.write(str(len(docs)))
"""


def seed_snippet() -> str:
    assert SEED.is_file(), f"the seed document is expected at {SEED}, in shared/ beside the checkout"
    text = SEED.read_text()
    section = text[text.index('name="a-simple-python-pipeline"') :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


def test_seed_snippet_runs_with_only_its_imports_changed(ws, tmp_path):
    ComputeTarget.create(ws, "STANDARD_NC6", LocalCompute.provisioning_configuration())
    data = tmp_path / "20news.pkl"
    data.write_bytes(pickle.dumps(["doc one", "doc two", "doc three"]))
    ws.get_default_datastore().upload_files([str(data)], target_path="20newsgroups", show_progress=False)
    (ws.root / "myfolder").mkdir()
    (ws.root / "myfolder" / "train.py").write_text(TRAIN)

    snippet = seed_snippet()
    program = IMPORTS + snippet
    assert program.splitlines()[len(IMPORTS.splitlines()) :] == snippet.splitlines()
    # The document's `datastore` is its `blob_store`: the same default datastore.
    namespace = {"datastore": Datastore(ws, "workspaceblobstore")}
    exec(compile(program, "seed_snippet.py", "exec"), namespace)

    run = namespace["pipeline_run"]
    assert run.get_status() == "Finished"
    step = run.get_steps()[0]
    assert step.compute_target == "STANDARD_NC6"
    output = step.get_output_data("output_data").local_path
    assert (output / "count.txt").read_text() == "3"
