"""The pipeline snippet of the document duto was specified from runs with only its import lines added."""

from __future__ import annotations

import pickle

from duto import Datastore
from duto.compute import ComputeTarget, LocalCompute

IMPORTS = """\
from duto import Workspace, Datastore, Dataset, DataPath, Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
"""
# The pipeline of the document duto was specified from ("a simple Python pipeline"), as that document has it.
SNIPPET = """\
ws = Workspace.from_config()
blob_store = Datastore(ws, "workspaceblobstore")
compute_target = ws.compute_targets["STANDARD_NC6"]
experiment = Experiment(ws, 'MyExperiment')

input_data = Dataset.File.from_files(
    DataPath(datastore, '20newsgroups/20news.pkl'))

output_data = PipelineData("output_data", datastore=blob_store)

input_named = input_data.as_named_input('input')

steps = [ PythonScriptStep(
    script_name="train.py",
    arguments=["--input", input_named.as_download(), "--output", output_data],
    inputs=[input_data],
    outputs=[output_data],
    compute_target=compute_target,
    source_directory="myfolder"
) ]

pipeline = Pipeline(workspace=ws, steps=steps)

pipeline_run = experiment.submit(pipeline)
pipeline_run.wait_for_completion()
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


def test_seed_snippet_runs_with_only_its_imports_changed(ws, tmp_path):
    ComputeTarget.create(ws, "STANDARD_NC6", LocalCompute.provisioning_configuration())
    data = tmp_path / "20news.pkl"
    data.write_bytes(pickle.dumps(["doc one", "doc two", "doc three"]))
    ws.get_default_datastore().upload_files([str(data)], target_path="20newsgroups", show_progress=False)
    (ws.root / "myfolder").mkdir()
    (ws.root / "myfolder" / "train.py").write_text(TRAIN)

    program = IMPORTS + SNIPPET
    # The document's `datastore` is its `blob_store`: the same default datastore.
    namespace = {"datastore": Datastore(ws, "workspaceblobstore")}
    exec(compile(program, "seed_snippet.py", "exec"), namespace)

    run = namespace["pipeline_run"]
    assert run.get_status() == "Finished"
    step = run.get_steps()[0]
    assert step.compute_target == "STANDARD_NC6"
    output = step.get_output_data("output_data").local_path
    assert (output / "count.txt").read_text() == "3"
