"""The digits example runs end to end: two models trained, the better one picked, the holdout scored."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.datasets import load_digits

from duto import Experiment, Workspace

REPO = Path(__file__).resolve().parents[2]
HOLDOUT_SHARE = 0.1  # the holdout-size default of examples/digits/steps/prepare/prepare.py


@pytest.mark.timeout(300)
def test_digits_demo_trains_evaluates_and_scores(ws: Workspace) -> None:
    demo = subprocess.run(
        [sys.executable, "examples/digits/run_demo.py", "--workspace", str(ws.root)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr

    runs = list(Experiment(ws, "digits").get_runs())
    assert len(runs) == 1
    run = runs[0]
    assert run.get_status() == "Finished"
    steps = {step.name: step for step in run.get_steps()}
    assert sorted(steps) == ["evaluate", "prepare", "score", "train_forest", "train_logreg"]
    assert {step.get_status() for step in steps.values()} == {"Finished"}

    evaluate = steps["evaluate"].get_metrics()
    assert evaluate["logreg_accuracy"] > 0.8
    assert evaluate["forest_accuracy"] > 0.8
    assert run.get_metrics()["best_accuracy"] == max(evaluate["logreg_accuracy"], evaluate["forest_accuracy"])
    assert evaluate["per_class"]["digit"] == list(range(10))
    image = Path(evaluate["confusion_matrix"])
    assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    holdout_rows = math.ceil(HOLDOUT_SHARE * len(load_digits().target))
    assert steps["prepare"].get_metrics()["holdout_rows"] == holdout_rows
    predictions = steps["score"].get_output_data("scores").local_path / "predictions.csv"
    with predictions.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == holdout_rows
    assert list(rows[0]) == ["row", "label", "prediction", "confidence"]
    assert "predictions.csv" in demo.stdout
