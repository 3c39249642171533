"""ParallelRunStep in real runs: 1,000 files with failing items under and over error_threshold, a re-run that
scores only the changed files, v1's logs layout, a hung run() killed by run_invocation_timeout, and the nodes of a
Dask target."""

from __future__ import annotations

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


def read_rows(step) -> list[str]:  # type: ignore[no-untyped-def]
    return (Path(step.get_output_data("scores").local_path) / "parallel_run_step.txt").read_text().splitlines()


def test_failing_items_under_the_threshold_finish_and_over_it_fail(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    make_files(ws.get_default_datastore().root / "images", 1000, bad={3, 500, 998})
    scored = tmp_path / "scored"
    scored.mkdir()

    p, _ = pipeline(ws, write_script, scored, error_threshold=5)
    run = Experiment(ws, "prs").submit(p)
    assert run.wait_for_completion(show_output=False, timeout_seconds=150) == "Finished"
    step = run.find_step_run("score")[0]
    rows = read_rows(step)
    assert len(rows) == 997
    assert rows[:3] == ["f0000.txt 1", "f0001.txt 2", "f0002.txt 3"]
    assert {"f0003.txt", "f0500.txt", "f0998.txt"}.isdisjoint(r.split()[0] for r in rows)
    assert sorted(scored_items(scored)) == [f"f{i:04d}.txt" for i in range(1000)]

    logs = step.layout.files / "logs"
    result = (logs / "job_result.txt").read_text()
    assert "rows: 997" in result and "failed items: 3" in result and "result: Finished" in result
    failed = (logs / "sys" / "failed_items.txt").read_text()
    assert failed.count("run() returned 9 rows for 10 items") == 3
    assert "f0003.txt" in failed and "f0500.txt" in failed and "f0998.txt" in failed
    process_logs = [p.read_text() for p in (logs / "user" / "entry_script_log" / "0").iterdir()]
    # Each process runs init() once; a process still starting when the others finished every mini-batch is let go.
    assert all(log.count("init") <= 1 for log in process_logs) and sum(log.count("init") for log in process_logs) >= 1
    script_logs = "".join(process_logs)
    assert all(f"cannot score f{i:04d}.txt" in script_logs for i in (3, 500, 998))
    assert (logs / "user" / "stdout" / "0" / "process001.stdout.txt").exists()
    assert (logs / "sys" / "node" / "0" / "_main.txt").exists()

    p, _ = pipeline(ws, write_script, scored, error_threshold=2)
    failing = Experiment(ws, "prs").submit(p)
    assert failing.wait_for_completion(show_output=False, timeout_seconds=150, raise_on_error=False) == "Failed"
    step = failing.find_step_run("score")[0]
    assert step.reason is not None
    assert "3 items failed, more than error_threshold (2) allows" in step.reason


def test_a_rerun_after_ten_files_changed_scores_those_ten(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    images = ws.get_default_datastore().root / "images"
    make_files(images, 1000)
    scored = tmp_path / "scored"
    scored.mkdir()
    p, _ = pipeline(ws, write_script, scored)
    first = Experiment(ws, "prs").submit(p)
    assert first.wait_for_completion(show_output=False, timeout_seconds=150) == "Finished"
    before = read_rows(first.find_step_run("score")[0])
    assert len(scored_items(scored)) == 1000

    changed = [f"f{i:04d}.txt" for i in range(5, 1000, 100)]
    for name in changed:
        (images / name).write_text("changed, longer than before")
    for f in scored.iterdir():
        f.unlink()
    p, _ = pipeline(ws, write_script, scored)
    second = Experiment(ws, "prs").submit(p)
    assert second.wait_for_completion(show_output=False, timeout_seconds=150) == "Finished"
    assert sorted(scored_items(scored)) == changed, "only the changed files are scored"
    step = second.find_step_run("score")[0]
    assert not step.is_reused
    after = read_rows(step)
    expected = [f"{r.split()[0]} 27" if r.split()[0] in changed else r for r in before]
    assert after == expected, "the reused rows and the new ones, in the files' order"
    assert "990 reused from earlier mini-batches, 10 to score in 1 mini-batches" in step.get_stdout_log()

    third = Experiment(ws, "prs").submit(pipeline(ws, write_script, scored)[0])
    assert third.wait_for_completion(show_output=False, timeout_seconds=150) == "Finished"
    assert third.find_step_run("score")[0].is_reused, "nothing changed: the whole step is reused"

    for f in scored.iterdir():
        f.unlink()
    fourth = Experiment(ws, "prs").submit(pipeline(ws, write_script, scored)[0], regenerate_outputs=True)
    assert fourth.wait_for_completion(show_output=False, timeout_seconds=150) == "Finished"
    assert len(scored_items(scored)) == 1000, "regenerate_outputs scores every file again"


HANGS = """
import os, time
def run(mini_batch):
    if any(os.path.basename(p) == "f0001.txt" for p in mini_batch):
        time.sleep(60)
    return [os.path.basename(p) for p in mini_batch]
"""


def test_a_hung_run_is_killed_at_run_invocation_timeout_and_tried_run_max_try_times(ws, write_script):  # type: ignore[no-untyped-def]
    make_files(ws.get_default_datastore().root / "images", 6)
    folder = write_script("hangs.py", HANGS)
    files = Dataset.File.from_files(DataPath(ws.get_default_datastore(), "images")).as_named_input("images")
    out = PipelineData("scores", datastore=ws.get_default_datastore())
    prc = ParallelRunConfig(
        entry_script="hangs.py",
        source_directory=folder,
        output_action="append_row",
        error_threshold=1,
        mini_batch_size=1,
        run_invocation_timeout=1,
        run_max_try=2,
    )
    run = Experiment(ws, "prs").submit(Pipeline(ws, [ParallelRunStep("hangs", prc, [files], output=out)]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"
    step = run.find_step_run("hangs")[0]
    rows = (Path(step.get_output_data("scores").local_path) / "parallel_run_step.txt").read_text().split()
    assert rows == ["f0000.txt", "f0002.txt", "f0003.txt", "f0004.txt", "f0005.txt"]
    logs = step.layout.files / "logs"
    assert "f0001.txt\trun() did not return within 1 s" in (logs / "sys" / "failed_items.txt").read_text()
    assert "failed mini-batches: 1" in (logs / "job_result.txt").read_text()
    assert "trying it again" in (logs / "sys" / "node" / "0" / "_main.txt").read_text()


def test_bad_configurations_are_refused_naming_the_field():  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="entry_script"):
        ParallelRunConfig(entry_script="", error_threshold=1)
    with pytest.raises(ConfigError, match="output_action"):
        ParallelRunConfig(entry_script="s.py", output_action="append")
    with pytest.raises(ConfigError, match=r"mini_batch_size .* tabular"):
        files = Dataset.File.from_files("x", validate=False)
        ParallelRunStep("s", ParallelRunConfig(entry_script="s.py", mini_batch_size="1MB"), [files], PipelineData("o"))
    with pytest.raises(ConfigError, match=r"partition_keys .* need a partitioned input"):
        files = Dataset.File.from_files("x", validate=False)
        ParallelRunStep(
            "s", ParallelRunConfig(entry_script="s.py", partition_keys=["state"]), [files], PipelineData("o")
        )
    with pytest.raises(ConfigError, match="allowed_failed_percent"):
        ParallelRunConfig(entry_script="s.py", allowed_failed_percent=150)
    with pytest.raises(ConfigError, match="needs an output"):
        files = Dataset.File.from_files("x", validate=False)
        ParallelRunStep("s", ParallelRunConfig(entry_script="s.py"), inputs=[files])


def test_two_nodes_on_a_dask_cluster_share_the_mini_batches(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    from duto.compute import ComputeTarget, DaskCompute

    ComputeTarget.create(ws, "cluster", DaskCompute.provisioning_configuration(n_workers=2))
    make_files(ws.get_default_datastore().root / "images", 200)
    scored = tmp_path / "scored"
    scored.mkdir()
    p, _ = pipeline(ws, write_script, scored, node_count=2, compute_target="cluster")
    run = Experiment(ws, "prs").submit(p)
    assert run.wait_for_completion(show_output=False, timeout_seconds=150) == "Finished"
    step = run.find_step_run("score")[0]
    assert step.compute_target == "cluster"
    assert len(read_rows(step)) == 200
    assert sorted(scored_items(scored)) == [f"f{i:04d}.txt" for i in range(200)], "each file scored once"
    nodes = step.layout.files / "logs" / "sys" / "node"
    for node in ("0", "1"):
        assert "10 mini-batches to score with 2 processes" in (nodes / node / "_main.txt").read_text()


def test_nodes_on_this_machine_run_as_one_process_tree(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    make_files(ws.get_default_datastore().root / "images", 100)
    scored = tmp_path / "scored"
    scored.mkdir()
    p, _ = pipeline(ws, write_script, scored, node_count=2, process_count_per_node=2)
    run = Experiment(ws, "prs").submit(p)
    assert run.wait_for_completion(show_output=False, timeout_seconds=150) == "Finished"
    step = run.find_step_run("score")[0]
    assert len(read_rows(step)) == 100
    main = (step.layout.files / "logs" / "sys" / "node" / "0" / "_main.txt").read_text()
    assert "10 mini-batches to score with 4 processes" in main, "node_count times process_count_per_node workers"


# Scores with a "model" read from a side input: a changed model scores every file again.
WITH_MODEL = """
import os, sys
def init():
    global weight
    weight = open(sys.argv[1]).read().strip()

def run(mini_batch):
    return [f"{os.path.basename(p)} {weight}" for p in mini_batch]
"""


def test_a_local_folder_scored_with_a_side_input_is_scored_again_when_the_side_input_changes(
    ws, write_script, tmp_path
):  # type: ignore[no-untyped-def]
    folder = tmp_path / "local-images"
    make_files(folder, 25)
    model = tmp_path / "model.txt"
    model.write_text("w1")
    src = write_script("with_model.py", WITH_MODEL)

    def submit():  # type: ignore[no-untyped-def]
        files = Dataset.File.from_files(str(folder)).as_named_input("images").as_mount()
        weights = Dataset.File.from_files(str(model)).as_named_input("model").as_download()
        out = PipelineData("scores", datastore=ws.get_default_datastore())
        config = ParallelRunConfig(entry_script="with_model.py", source_directory=src, mini_batch_size=4)
        step = ParallelRunStep("score", config, [files], output=out, side_inputs=[weights], arguments=[weights])
        run = Experiment(ws, "prs").submit(Pipeline(ws, [step]))
        assert run.wait_for_completion(show_output=False, timeout_seconds=120) == "Finished"
        return run.find_step_run("score")[0]

    step = submit()
    assert read_rows(step) == [f"f{i:04d}.txt w1" for i in range(25)]
    assert step.reason is None
    model.write_text("w2")
    step = submit()
    assert read_rows(step) == [f"f{i:04d}.txt w2" for i in range(25)]
    assert "0 reused from earlier mini-batches, 25 to score in 7 mini-batches" in step.get_stdout_log()


WRITE_FILES = """
import os, sys
os.makedirs(os.path.join(sys.argv[1], "sub"), exist_ok=True)
for i in range(5):
    open(os.path.join(sys.argv[1], "sub" if i % 2 else "", f"g{i}.txt"), "w").write("y" * (i + 1))
"""


def test_a_folder_another_step_writes_is_scored(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    from duto.pipeline.steps import PythonScriptStep

    src = write_script("write_files.py", WRITE_FILES)
    write_script("score.py", SCORE)
    made = PipelineData("made", datastore=ws.get_default_datastore())
    producer = PythonScriptStep("write_files.py", source_directory=src, arguments=[made], outputs=[made])
    scored = tmp_path / "scored"
    scored.mkdir()
    out = PipelineData("scores", datastore=ws.get_default_datastore())
    config = ParallelRunConfig(entry_script="score.py", source_directory=src, mini_batch_size=2)
    step = ParallelRunStep("score", config, [made], output=out, arguments=["--scored", str(scored)])
    run = Experiment(ws, "prs").submit(Pipeline(ws, [producer, step]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=120) == "Finished"
    rows = read_rows(run.find_step_run("score")[0])
    assert rows == ["g0.txt 1", "g2.txt 3", "g4.txt 5", "g1.txt 2", "g3.txt 4"], "in path order: g0, g2, g4, sub/"
