"""Run the digits pipeline end to end in a workspace, then show its steps, metrics and predictions.

.venv/bin/python examples/digits/run_demo.py --workspace build/demo-workspace
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pipeline import RAW_CSV, build_pipeline
from rich.console import Console
from rich.table import Table
from sklearn.datasets import load_digits

from duto import Experiment, Workspace
from duto.pipeline import PipelineRun


def export_digits(folder: Path) -> Path:
    """Write scikit-learn's bundled digits as a CSV: 64 pixel columns, then the label."""
    digits = load_digits()
    path = folder / Path(RAW_CSV).name
    header = [f"pixel_{i}" for i in range(digits.data.shape[1])] + ["label"]
    rows = np.column_stack([digits.data, digits.target]).astype(int)
    np.savetxt(path, rows, fmt="%d", delimiter=",", header=",".join(header), comments="")
    return path


def duration(details: dict[str, Any]) -> str:
    if not details["startTimeUtc"] or not details["endTimeUtc"]:
        return ""
    took = datetime.fromisoformat(details["endTimeUtc"]) - datetime.fromisoformat(details["startTimeUtc"])
    return f"{took.total_seconds():.1f}s"


def show_value(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def print_summary(console: Console, run: PipelineRun, downloads: Path) -> None:
    """The steps with their metrics, then the tables and images they logged, then where the predictions are."""
    steps = run.steps_in_order()  # get_steps() is newest first, as in v1
    metrics = run.get_metrics(recursive=True)
    rows = [(step.name, step.get_status(), duration(step.get_details()), metrics[step.id]) for step in steps]
    rows.append(("(pipeline run)", run.get_status(), duration(run.get_details()), metrics[run.id]))

    summary = Table(title=f"Run {run.id}")
    for column in ("step", "status", "duration", "metrics"):
        summary.add_column(column)
    tables: list[tuple[str, dict[str, list[Any]]]] = []
    files: list[tuple[str, str]] = []
    for name, status, took, logged in rows:
        shown = []
        for metric, value in logged.items():
            if isinstance(value, dict):
                tables.append((f"{name}: {metric}", value))
                shown.append(f"{metric}=(table below)")
            elif isinstance(value, str) and Path(value).is_file():
                files.append((f"{name}: {metric}", value))
                shown.append(f"{metric}=(image below)")
            else:
                shown.append(f"{metric}={show_value(value)}")
        summary.add_row(name, status, took, "\n".join(shown))
    console.print(summary)

    for title, columns in tables:
        table = Table(title=title)
        for column in columns:
            table.add_column(column, justify="right")
        for values in zip(*columns.values(), strict=True):
            table.add_row(*(show_value(v) for v in values))
        console.print(table)
    for title, path in files:
        console.print(f"{title}: {path}", soft_wrap=True)

    score = run.find_step_run("score")[0]
    folder = Path(score.get_output_data("scores").download(downloads, overwrite=True, show_progress=False))
    with open(folder / "predictions.csv", newline="") as f:
        count = sum(1 for _ in csv.DictReader(f))
    best = run.get_tags().get("best_model", "?")
    console.print(f"Predictions of {best} for {count} held-out digits: {folder / 'predictions.csv'}", soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", required=True, help="the workspace folder (created if missing)")
    args = parser.parse_args(argv)
    console = Console()

    ws = Workspace.create(args.workspace, exist_ok=True)
    console.print(f"Workspace: {ws.root}", soft_wrap=True)
    ds = ws.get_default_datastore()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = export_digits(Path(tmp))
        ds.upload_files([str(csv_path)], target_path=str(Path(RAW_CSV).parent), overwrite=True, show_progress=False)
    console.print(f"Uploaded {csv_path.name} to {ds.name}:{RAW_CSV}")

    run = Experiment(ws, "digits").submit(build_pipeline(ws))
    console.print(f"Submitted run {run.id} to experiment 'digits'")
    run.wait_for_completion(show_output=True)

    print_summary(console, run, ws.root / "downloads")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
