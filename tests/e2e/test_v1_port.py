"""A program written against Azure ML SDK v1, ported by the prefix rule of docs/porting.md and nothing else, runs
to its end: workspace and compute as notebooks touch them first, a run configuration whose pip package is a local
wheel, data references, a DataPath parameter and a file dataset on a datastore glob, a pipeline with a pipeline
output, the runs API, and a ScriptRunConfig.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from conftest import write_wheel

# The rule of docs/porting.md, as its `sed` line applies it.
PREFIXES = [
    (r"\bazureml\.pipeline\.core\b", "duto.pipeline"),
    (r"\bazureml\.pipeline\.steps\b", "duto.pipeline.steps"),
    (r"\bazureml\.core\b", "duto"),
    (r"\bazureml\.data\b", "duto.data"),
    (r"\bazureml\.exceptions\b", "duto.exceptions"),
]

V1_PROGRAM = """
import os, tempfile
import azureml.core
from azureml.core import Workspace, Experiment, Datastore, Dataset, ScriptRunConfig
from azureml.core.compute import AmlCompute, ComputeTarget
from azureml.core.compute_target import ComputeTargetException
from azureml.core.runconfig import RunConfiguration, DEFAULT_CPU_IMAGE
from azureml.core.conda_dependencies import CondaDependencies
from azureml.data.data_reference import DataReference
from azureml.data.datapath import DataPath, DataPathComputeBinding
from azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from azureml.pipeline.steps import PythonScriptStep

print("SDK version:", azureml.core.VERSION)
ws = Workspace.from_config()
print(ws.name, ws.location, ws.resource_group, ws.subscription_id, sep="\\n")
assert ws.get_details()["location"] == ws.location

try:
    cluster = ComputeTarget(workspace=ws, name="cpu-cluster")
    print("found the cluster")
except ComputeTargetException:
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", max_nodes=2)
    cluster = ComputeTarget.create(ws, "cpu-cluster", config)
cluster.wait_for_completion(show_output=True, min_node_count=None, timeout_in_minutes=20)
print("cluster type:", cluster.type)

run_config = RunConfiguration(conda_dependencies=CondaDependencies.create(pip_packages=[os.environ["WHEEL"]]))
run_config.environment.docker.enabled = False
run_config.environment.docker.base_image = DEFAULT_CPU_IMAGE
run_config.environment.python.conda_dependencies.set_pip_option("--no-index")

store = ws.get_default_datastore()
for folder, rows in (("raw/a", "1\\n2\\n3\\n"), ("raw/b", "10\\n20\\n")):
    local = tempfile.mkdtemp()
    with open(os.path.join(local, "numbers.csv"), "w") as f:
        f.write(rows)
    store.upload(src_dir=local, target_path=folder, overwrite=True, show_progress=False)

raw = DataReference(datastore=store, data_reference_name="raw", path_on_datastore="raw/a", mode="mount")
numbers = PipelineParameter(name="numbers", default_value=DataPath(datastore=store, path_on_datastore="raw/a"))
numbers_input = (numbers, DataPathComputeBinding(mode="mount"))
labels = Dataset.File.from_files(path=(store, "raw/a/*.csv"))
total = PipelineData("total", datastore=store, pipeline_output_name="the_total")

add = PythonScriptStep(
    script_name="add.py", source_directory="steps", arguments=["--numbers", numbers_input, "--total", total],
    inputs=[numbers_input], outputs=[total], compute_target=cluster, runconfig=run_config, allow_reuse=True,
)
check = PythonScriptStep(
    script_name="check.py", source_directory="steps",
    arguments=["--raw", raw, "--total", total, "--labels", labels.as_named_input("labels").as_download()],
    inputs=[raw, total], compute_target=cluster, runconfig=run_config,
)
pipeline = Pipeline(workspace=ws, steps=[check])
pipeline_run = Experiment(ws, "v1-port").submit(
    pipeline, pipeline_parameters={"numbers": DataPath(datastore=store, path_on_datastore="raw/b")}
)
pipeline_run.wait_for_completion(show_output=False)
print("pipeline:", pipeline_run.get_status())
for step_run in pipeline_run.get_steps():
    print("step:", step_run.name, step_run.get_status(), "log lines:", len(step_run.get_job_log().splitlines()) > 0)
print("metrics:", sorted(pipeline_run.get_metrics(recursive=True)[pipeline_run.id].items()))
out = tempfile.mkdtemp()
pipeline_run.get_pipeline_output("the_total").download(local_path=out)
for root, _dirs, files in os.walk(out):
    for name in files:
        print("downloaded:", name, open(os.path.join(root, name)).read().strip())

src = ScriptRunConfig(source_directory="steps", script="report.py", arguments=["--times", 3],
                      compute_target=cluster, run_config=run_config)
script_run = Experiment(ws, "v1-port").submit(src)
script_run.wait_for_completion(show_output=False)
print("script run:", script_run.get_status(), script_run.get_metrics(), script_run.get_file_names())
"""

ADD = """
import argparse, os
from azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--numbers")
parser.add_argument("--total")
args = parser.parse_args()
with open(os.path.join(args.numbers, "numbers.csv")) as f:
    total = sum(int(line) for line in f if line.strip())
os.makedirs(args.total, exist_ok=True)
with open(os.path.join(args.total, "total.txt"), "w") as f:
    f.write(str(total))
Run.get_context().parent.log("total", total)
"""

CHECK = """
import argparse, os
import tinypkg
from azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--raw")
parser.add_argument("--total")
parser.add_argument("--labels")
args = parser.parse_args()
print("raw holds", sorted(os.listdir(args.raw)))
print("total is", open(os.path.join(args.total, "total.txt")).read())
labels = args.labels if os.path.isfile(args.labels) else os.path.join(args.labels, "numbers.csv")
Run.get_context().parent.log("labels", len(open(labels).read().split()))
Run.get_context().parent.log("tinypkg", tinypkg.VERSION)
"""

REPORT = """
import argparse, os
from azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--times", type=int)
args = parser.parse_args()
Run.get_context().log("times", args.times)
os.makedirs("outputs", exist_ok=True)
with open("outputs/report.txt", "w") as f:
    f.write("ok " * args.times)
"""


def port(source: str) -> str:
    """The program as docs/porting.md ports it: its imports' prefixes replaced, nothing else."""
    for pattern, replacement in PREFIXES:
        source = re.sub(pattern, replacement, source)
    return source


def test_the_rule_leaves_other_packages_alone():
    assert port("import azureml.dataprep\nfrom azureml.data.datapath import DataPath") == (
        "import azureml.dataprep\nfrom duto.data.datapath import DataPath"
    )


@pytest.mark.timeout(180)
def test_a_v1_program_ported_by_its_imports_runs_to_its_end(ws, tmp_path):
    wheel = write_wheel(tmp_path / "dist", "tinypkg", "1.0", says="from a local wheel")
    steps = ws.root / "steps"
    steps.mkdir()
    for name, code in (("add.py", ADD), ("check.py", CHECK), ("report.py", REPORT)):
        (steps / name).write_text(port(textwrap.dedent(code)))
    program = port(textwrap.dedent(V1_PROGRAM))
    assert "azureml" not in program
    (ws.root / "v1_program.py").write_text(program)
    env = {k: v for k, v in os.environ.items() if k not in ("DUTO_WORKSPACE", "DUTO_RUNNER")}
    env["WHEEL"] = str(wheel)

    done = subprocess.run(
        [sys.executable, "v1_program.py"],
        cwd=ws.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
        stdin=subprocess.DEVNULL,
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:5] == [f"SDK version: {__import__('duto').VERSION}", ws.name, "local", "local", "local"]
    assert "cluster type: AmlCompute" in lines
    assert "pipeline: Finished" in lines
    assert sorted(line for line in lines if line.startswith("step:")) == [
        "step: add.py Finished log lines: True",
        "step: check.py Finished log lines: True",
    ]
    # total: the DataPath parameter's override, raw/b (10 + 20); labels: the dataset's raw/a/*.csv, three lines
    assert "metrics: [('labels', 3), ('tinypkg', 'from a local wheel'), ('total', 30)]" in lines
    assert "downloaded: total.txt 30" in lines
    assert "script run: Finished {'times': 3} ['outputs/report.txt']" in lines
