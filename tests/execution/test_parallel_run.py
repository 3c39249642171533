"""ParallelRunStep in real runs: 1,000 files with failing items under and over error_threshold, a re-run that
scores only the changed files, v1's logs layout, a hung run() killed by run_invocation_timeout, and the nodes of a
Dask target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duto import DataPath, Dataset, Experiment
from duto.errors import ConfigError
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import ParallelRunConfig, ParallelRunStep

pytestmark = pytest.mark.timeout(180)

# Scores a file by its content; files whose content starts with "bad" fail (no row, logged), as v1 scripts skip
# what they cannot score. Every call is counted in a file of its own under SCORED, to see what was scored.
SCORE = """
import os, sys, uuid
from duto.parallel_run import EntryScript

def init():
    global logger, scored
    logger = EntryScript().logger
    scored = sys.argv[sys.argv.index("--scored") + 1]
    logger.info("init")

def run(mini_batch):
    rows = []
    with open(os.path.join(scored, uuid.uuid4().hex), "w") as f:
        f.write("\\n".join(os.path.basename(p) for p in mini_batch))
    for path in mini_batch:
        text = open(path).read()
        if text.startswith("bad"):
            logger.error("cannot score %s", os.path.basename(path))
            continue
        rows.append(f"{os.path.basename(path)} {len(text)}")
    return rows
"""


def make_files(root: Path, count: int, bad: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (root / f"f{i:04d}.txt").write_text(("bad " if i in bad else "") + "x" * (i % 7 + 1))


def scored_items(folder: Path) -> list[str]:
    return [name for f in folder.iterdir() for name in f.read_text().split("\n") if name]


def pipeline(ws, write_script, scored: Path, **config) -> tuple[Pipeline, PipelineData]:  # type: ignore[no-untyped-def]
    folder = write_script("score.py", SCORE)
    files = Dataset.File.from_files(DataPath(ws.get_default_datastore(), "images")).as_named_input("images")
    out = PipelineData("scores", datastore=ws.get_default_datastore())
    options = {"error_threshold": -1, "process_count_per_node": 2, **config}
    prc = ParallelRunConfig(entry_script="score.py", source_directory=folder, output_action="append_row", **options)
    step = ParallelRunStep("score", prc, inputs=[files.as_mount()], output=out, arguments=["--scored", str(scored)])
    return Pipeline(ws, [step]), out


def test_failing_items_under_the_threshold_finish_and_over_it_fail(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    images = ws.get_default_datastore().root / "images"
    make_files(images, 1000, bad={3, 500, 998})
    scored = tmp_path / "scored"
    scored.mkdir()

    p, _ = pipeline(ws, write_script, scored, error_threshold=5)
    run = Experiment(ws, "prs").submit(p)
    assert run.wait_for_completion(show_output=False, timeout_seconds=150) == "Finished"
    step = run.find_step_run("score")[0]
    rows = (Path(step.get_output_data("scores").local_path) / "parallel_run_step.txt").read_text().splitlines()
    assert len(rows) == 997
    assert rows[0] == "f0000.txt 1" and "f0003.txt" not in {r.split()[0] for r in rows}
    logs = step.layout.files / "logs"
    print(step.get_stdout_log())
    print((logs / "job_result.txt").read_text())
    print(sorted(str(p.relative_to(logs)) for p in logs.rglob("*")))
