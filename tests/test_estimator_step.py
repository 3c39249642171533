"""EstimatorStep as v1 code writes it: an Estimator's script, parameters and environment, run as a step."""

from __future__ import annotations

import pytest

from duto.errors import ConfigError
from duto.pipeline import Pipeline, PipelineData, PipelineParameter
from duto.pipeline.steps import EstimatorStep
from duto.train.estimator import Estimator

TRAIN = """
import argparse, os, pathlib
p = argparse.ArgumentParser(); p.add_argument("--lr"); p.add_argument("--epochs"); p.add_argument("--verbose",
    action="store_true"); p.add_argument("--out")
a = p.parse_args()
pathlib.Path(a.out).mkdir(parents=True, exist_ok=True); (pathlib.Path(a.out) / "m.txt").write_text(a.lr)
print("lr", a.lr, "epochs", a.epochs, "verbose", a.verbose, "seed", os.environ["SEED"])
"""


@pytest.mark.timeout(120)
def test_an_estimator_step_runs_its_script_with_its_params(ws, write_script):
    folder = write_script("train.py", TRAIN, folder="train")
    estimator = Estimator(
        source_directory=folder,
        compute_target="local",
        entry_script="train.py",
        script_params={"--epochs": 3, "--verbose": ""},
        environment_variables={"SEED": "7"},
        vm_size="STANDARD_D2_V2",
        use_gpu=False,
    )
    model = PipelineData("model", is_directory=True)
    lr = PipelineParameter("lr", default_value=0.5)
    step = EstimatorStep(
        name="train",
        estimator=estimator,
        estimator_entry_script_arguments=["--lr", lr, "--out", model],
        outputs=[model],
        compute_target="local",
    )
    run = Pipeline(ws, [step]).submit("estimators", pipeline_parameters={"lr": 0.1})
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert run.find_step_run("train")[0].get_stdout_log().strip() == "lr 0.1 epochs 3 verbose True seed 7"
    again = Pipeline(ws, [step]).submit("estimators", pipeline_parameters={"lr": 0.1})
    assert again.wait_for_completion(show_output=False) == "Finished" and again.get_steps()[0].is_reused


def test_estimator_errors_say_what_to_give(ws):
    with pytest.raises(ConfigError, match="entry_script must be a script"):
        Estimator(source_directory=".")
    with pytest.raises(ConfigError, match=r"unknown arguments \['gpu_count'\]"):
        Estimator(source_directory=".", entry_script="t.py", gpu_count=2)
    with pytest.raises(ConfigError, match="estimator must be an Estimator"):
        EstimatorStep(name="t", estimator=None)
    with pytest.raises(ConfigError, match="runconfig_pipeline_params is not supported"):
        EstimatorStep(name="t", estimator=Estimator(".", entry_script="t.py"), runconfig_pipeline_params={"a": 1})
