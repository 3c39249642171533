"""End-to-end runs on the local target: parallelism, failures, parameters, outputs, metrics, cancel."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from duto import DataPath, Dataset, Experiment, Run
from duto.compute import ComputeTarget, LocalCompute
from duto.errors import PipelineValidationError, StepRunError
from duto.pipeline import OutputFileDatasetConfig, Pipeline, PipelineData, PipelineParameter, StepSequence
from duto.pipeline.steps import CommandStep, PythonScriptStep

SLEEPER = """
import json, sys, time
start = time.time(); time.sleep(float(sys.argv[2])); end = time.time()
open(sys.argv[1], "w").write(json.dumps([start, end]))
"""


def _span(path: Path) -> tuple[float, float]:
    start, end = json.loads(path.read_text())
    return start, end


def test_independent_steps_run_in_parallel_up_to_the_targets_capacity(ws, write_script, tmp_path):
    src = write_script("sleep.py", SLEEPER)
    marks = tmp_path / "marks"
    marks.mkdir()
    ComputeTarget.create(ws, "one-at-a-time", LocalCompute.provisioning_configuration(max_concurrency=1))

    def sleepers(prefix: str, target: str | None) -> list[PythonScriptStep]:
        return [
            PythonScriptStep(
                "sleep.py",
                name=f"{prefix}{i}",
                arguments=[str(marks / f"{prefix}{i}"), 1.0],
                source_directory=src,
                compute_target=target,
            )
            for i in range(2)
        ]

    parallel = Experiment(ws, "par").submit(Pipeline(ws, sleepers("p", None)))
    serial = Experiment(ws, "ser").submit(Pipeline(ws, sleepers("s", "one-at-a-time")))
    assert parallel.wait_for_completion(show_output=False) == "Finished"
    assert serial.wait_for_completion(show_output=False) == "Finished"

    (a0, a1), (b0, b1) = _span(marks / "p0"), _span(marks / "p1")
    assert max(a0, b0) < min(a1, b1), "steps of the default target should overlap"
    (_, c1), (d0, _) = sorted([_span(marks / "s0"), _span(marks / "s1")])
    assert c1 <= d0, "a target with max_concurrency=1 runs one step at a time"


def test_a_failed_step_stops_the_run_and_raises_with_its_log(ws, write_script):
    src = write_script("fail.py", "import sys\nprint('about to fail')\nsys.exit(3)\n")
    write_script("ok.py", "print('ok')\n")
    data = PipelineData("data")
    PythonScriptStep("fail.py", source_directory=src, arguments=["--out", data], outputs=[data])
    after = PythonScriptStep("ok.py", name="after", source_directory=src, arguments=["--in", data])
    later = PythonScriptStep("ok.py", name="later", source_directory=src)
    later.run_after(after)
    run = Experiment(ws, "fail").submit(Pipeline(ws, [later]))

    with pytest.raises(StepRunError) as caught:
        run.wait_for_completion(show_output=False)
    error = caught.value
    assert (error.step_name, error.exit_code) == ("fail.py", 3)
    assert "about to fail" in error.log_tail
    assert run.get_status() == "Failed"
    statuses = {s.name: (s.get_status(), s.reason) for s in run.get_steps()}
    assert statuses["fail.py"] == ("Failed", "exited with code 3")
    assert statuses["after"] == ("Canceled", "upstream 'fail.py' failed")
    assert statuses["later"] == ("Canceled", "upstream 'fail.py' failed")


def test_the_steps_a_failure_cancels_name_the_whole_failed_step(ws, write_script):
    src = write_script("fail.py", "import sys\nsys.exit(1)\n")
    write_script("ok.py", "print('ok')\n")
    data = PipelineData("data")
    PythonScriptStep("fail.py", name="train the model", source_directory=src, arguments=[data], outputs=[data])
    after = PythonScriptStep("ok.py", name="score it", source_directory=src, arguments=[data])
    later = PythonScriptStep("ok.py", name="report", source_directory=src)
    later.run_after(after)
    run = Experiment(ws, "spaces").submit(Pipeline(ws, [later]), continue_on_step_failure=True)

    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    statuses = {s.name: (s.get_status(), s.reason) for s in run.get_steps()}
    assert statuses["score it"] == ("Canceled", "upstream 'train the model' failed")
    assert statuses["report"] == ("Canceled", "upstream 'train the model' failed")


def test_continue_on_step_failure_cancels_only_the_dependents(ws, write_script):
    src = write_script("fail.py", "import sys\nsys.exit(1)\n")
    write_script("ok.py", "import time\ntime.sleep(0.3)\nprint('ok')\n")
    data = PipelineData("data")
    fail = PythonScriptStep("fail.py", source_directory=src, arguments=[data], outputs=[data])
    dependent = PythonScriptStep("ok.py", name="dependent", source_directory=src, arguments=[data])
    independent = [PythonScriptStep("ok.py", name=f"independent{i}", source_directory=src) for i in range(3)]
    pipeline = Pipeline(ws, [fail, dependent, *independent])

    run = Experiment(ws, "cont").submit(pipeline, continue_on_step_failure=True)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    statuses = {s.name: s.get_status() for s in run.get_steps()}
    assert statuses == {
        "fail.py": "Failed",
        "dependent": "Canceled",
        "independent0": "Finished",
        "independent1": "Finished",
        "independent2": "Finished",
    }

    ComputeTarget.create(ws, "serial", LocalCompute.provisioning_configuration(max_concurrency=1))
    stop = Experiment(ws, "stop").submit(
        Pipeline(
            ws,
            [
                StepSequence(
                    [
                        PythonScriptStep("fail.py", source_directory=src, compute_target="serial"),
                        PythonScriptStep("ok.py", name="next", source_directory=src, compute_target="serial"),
                    ]
                ),
                PythonScriptStep("ok.py", name="other", source_directory=src, compute_target="serial"),
            ],
        )
    )
    stop.wait_for_completion(show_output=False, raise_on_error=False)
    steps = {s.name: s for s in stop.get_steps()}
    assert steps["next"].get_status() == "Canceled"
    assert steps["next"].reason == "upstream 'fail.py' failed"


def test_parameters_reach_arguments_and_aml_parameter_environment(ws, write_script):
    src = write_script(
        "show.py",
        "import os, sys\nprint('arg', sys.argv[1:])\nprint('env', os.environ['AML_PARAMETER_rate'], "
        "os.environ['AML_PARAMETER_fixed'])\n",
    )
    rate = PipelineParameter("rate", default_value=0.01)
    step = PythonScriptStep(
        "show.py", source_directory=src, arguments=["--rate", rate, "--n", 3], params={"rate": rate, "fixed": "x"}
    )
    default_run = Experiment(ws, "params").submit(Pipeline(ws, [step]))
    override_run = Experiment(ws, "params").submit(Pipeline(ws, [step]), pipeline_parameters={"rate": 0.5})
    default_run.wait_for_completion(show_output=False)
    override_run.wait_for_completion(show_output=False)

    assert "arg ['--rate', '0.01', '--n', '3']" in default_run.get_steps()[0].get_stdout_log()
    log = override_run.get_steps()[0].get_stdout_log()
    assert "arg ['--rate', '0.5', '--n', '3']" in log
    assert "env 0.5 x" in log
    assert override_run.parameters == {"rate": 0.5}


def test_outputs_flow_downstream_and_download(ws, write_script, tmp_path):
    src = write_script(
        "produce.py",
        "import os, sys\nos.makedirs(sys.argv[1], exist_ok=True)\n"
        "open(os.path.join(sys.argv[1], 'n.txt'), 'w').write('41')\n",
    )
    write_script(
        "consume.py",
        "import os, sys\nn = int(open(os.path.join(sys.argv[1], 'n.txt')).read())\n"
        "os.makedirs(sys.argv[2], exist_ok=True)\nopen(os.path.join(sys.argv[2], 'n.txt'), 'w').write(str(n + 1))\n",
    )
    first, second = (
        PipelineData("first"),
        OutputFileDatasetConfig("second", destination=(ws.get_default_datastore(), "results/{run-id}/{output-name}")),
    )
    PythonScriptStep("produce.py", source_directory=src, arguments=[first], outputs=[first])
    consume = PythonScriptStep("consume.py", source_directory=src, arguments=[first.as_download("numbers"), second])
    run = Experiment(ws, "data").submit(Pipeline(ws, [consume]))
    run.wait_for_completion(show_output=False)

    step = run.find_step_run("consume.py")[0]
    reference = step.get_output_data("second")
    assert reference.path_on_datastore == f"results/{step.id}/second"
    downloaded = Path(reference.download(tmp_path / "down", show_progress=False))
    assert (downloaded / "n.txt").read_text() == "42"
    assert downloaded == tmp_path / "down" / "results" / step.id / "second"


def test_datasets_mount_without_copy_and_download_as_copies(ws, write_script, tmp_path):
    source = tmp_path / "raw"
    (source / "sub").mkdir(parents=True)
    (source / "a.csv").write_text("a")
    (source / "sub" / "b.csv").write_text("b")
    ds = ws.get_default_datastore()
    ds.upload(str(source), target_path="raw", show_progress=False)
    src = write_script(
        "inodes.py",
        "import json, os, sys\n"
        "out = {k: [os.stat(p).st_ino, os.path.isdir(p)] for k, p in zip(['one', 'many', 'copy'], sys.argv[1:4])}\n"
        "walk = os.walk(sys.argv[2])\n"
        "out['files'] = sorted(os.path.relpath(os.path.join(d, f), sys.argv[2]) for d, _, fs in walk for f in fs)\n"
        "out['b'] = open(os.path.join(sys.argv[2], 'sub', 'b.csv')).read()\n"
        "print(json.dumps(out))\n",
    )
    one = Dataset.File.from_files(DataPath(ds, "raw/a.csv"))
    many = Dataset.File.from_files((ds, "raw/**"))
    step = PythonScriptStep(
        "inodes.py",
        source_directory=src,
        arguments=[
            one.as_named_input("one").as_mount(),
            many.as_named_input("many").as_mount(),
            one.as_named_input("copy").as_download(),
        ],
        inputs=[one, many],
    )
    run = Experiment(ws, "mount").submit(Pipeline(ws, [step]))
    run.wait_for_completion(show_output=False)
    seen = json.loads(run.get_steps()[0].get_stdout_log().strip().splitlines()[-1])

    original = ds.root / "raw" / "a.csv"
    assert seen["one"] == [original.stat().st_ino, False], "as_mount() of one file is that file, not a copy"
    assert seen["many"][1] is True
    assert seen["files"] == ["a.csv", "sub/b.csv"] and seen["b"] == "b"
    assert seen["copy"][0] != original.stat().st_ino, "as_download() copies"


def test_metrics_are_live_and_survive_a_killed_step(ws, write_script, tmp_path, wait_until):
    barrier = tmp_path / "release"
    src = write_script(
        "wait.py",
        "import os, sys, time\nfrom duto import Run\nrun = Run.get_context()\nrun.log('loss', 0.5)\n"
        "run.log_row('curve', epoch=1, loss=0.5)\nrun.parent.log('seen', 1)\n"
        "while not os.path.exists(sys.argv[1]):\n    time.sleep(0.02)\n",
    )
    step = PythonScriptStep("wait.py", source_directory=src, arguments=[str(barrier)])
    run = Experiment(ws, "live").submit(Pipeline(ws, [step]))

    started = time.monotonic()
    step_run = wait_until(lambda: [s for s in run.get_steps() if s.get_metrics().get("loss") == 0.5], timeout=10)[0]
    metric_events = [e for e in ws.runs_store.events_after(run.id, 0) if e.kind == "metric"]
    assert {e.payload["name"] for e in metric_events} >= {"loss", "curve", "seen"}
    assert step_run.get_status() == "Running" and not barrier.exists()
    first_seen = time.monotonic() - started
    assert run.get_metrics() == {"seen": 1}

    pid = ws.runs_store.step_run(step_run.id).pid
    os.killpg(pid, signal.SIGKILL)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    assert step_run.get_status() == "Failed" and step_run.reason == "killed by signal SIGKILL"
    assert step_run.get_metrics() == {"loss": 0.5, "curve": {"epoch": [1], "loss": [0.5]}}
    assert first_seen < 10


def test_metric_visible_within_two_seconds_of_logging(ws, write_script, tmp_path, wait_until):
    barrier, logged = tmp_path / "release", tmp_path / "logged"
    src = write_script(
        "stamp.py",
        "import os, sys, time\nfrom duto import Run\nRun.get_context().log('acc', 0.9)\n"
        "open(sys.argv[2], 'w').write(repr(time.time()))\n"
        "while not os.path.exists(sys.argv[1]):\n    time.sleep(0.02)\n",
    )
    run = Experiment(ws, "latency").submit(
        Pipeline(ws, [PythonScriptStep("stamp.py", source_directory=src, arguments=[str(barrier), str(logged)])])
    )
    wait_until(logged.exists, timeout=15)
    logged_at = float(wait_until(lambda: logged.read_text(), timeout=5))
    step = run.get_steps()[0]
    wait_until(lambda: step.get_metrics().get("acc") == 0.9, timeout=5)
    events = ws.runs_store.events_after(run.id, 0)
    assert [(e.payload["name"], e.payload["value"]) for e in events if e.kind == "metric"] == [("acc", 0.9)]
    assert time.time() - logged_at < 2.0, "the metric reached get_metrics() and the event stream within 2 s"
    assert not barrier.exists() and step.get_status() == "Running"
    barrier.touch()
    assert run.wait_for_completion(show_output=False) == "Finished"


def test_source_edits_during_a_run_do_not_leak_in(ws, write_script, tmp_path, wait_until):
    barrier = tmp_path / "release"
    src = write_script(
        "gate.py", "import os, sys, time\nwhile not os.path.exists(sys.argv[1]):\n    time.sleep(0.02)\n"
    )
    write_script("say.py", "print('original')\n")
    gate = PythonScriptStep("gate.py", source_directory=src, arguments=[str(barrier)])
    say = PythonScriptStep("say.py", source_directory=src)
    say.run_after(gate)
    run = Experiment(ws, "snap").submit(Pipeline(ws, [say]))
    wait_until(lambda: run.find_step_run("gate.py")[0].get_status() == "Running", timeout=15)
    (Path(src) / "say.py").write_text("print('edited')\n")
    barrier.touch()
    run.wait_for_completion(show_output=False)
    assert run.find_step_run("say.py")[0].get_stdout_log().strip() == "original"


def test_cancel_stops_running_steps(ws, write_script, wait_until):
    src = write_script("long.py", "import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    write_script("never.py", "print('never')\n")
    long = PythonScriptStep("long.py", source_directory=src)
    never = PythonScriptStep("never.py", source_directory=src)
    never.run_after(long)
    run = Experiment(ws, "cancel").submit(Pipeline(ws, [never]))
    step = wait_until(lambda: [s for s in run.get_steps() if "started" in s.get_stdout_log()], timeout=15)[0]
    pid = ws.runs_store.step_run(step.id).pid
    began = time.monotonic()
    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Canceled"
    assert time.monotonic() - began < 5
    assert {s.name: s.get_status() for s in run.get_steps()} == {"long.py": "Canceled", "never.py": "Canceled"}
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_command_steps_and_step_sequence_order(ws, write_script, tmp_path):
    src = write_script("noop.py", "")
    out = PipelineData("out")
    CommandStep(
        'mkdir -p "$DUTO_OUTPUT_out" && echo hi > "$DUTO_OUTPUT_out/said.txt"',
        name="shell",
        outputs=[out],
        source_directory=src,
    )
    listed = CommandStep(["ls", out.as_input("said")], name="listed", source_directory=src)
    marks = tmp_path / "order.txt"
    write_script("mark.py", f"import sys\nopen({str(marks)!r}, 'a').write(sys.argv[1] + '\\n')\n")
    a, b, c, d = (
        PythonScriptStep("mark.py", name=n, arguments=[n], source_directory=src) for n in ("a", "b", "c", "d")
    )
    run = Experiment(ws, "cmd").submit(Pipeline(ws, [listed, StepSequence([a, [b, c], d])]))
    run.wait_for_completion(show_output=False)
    assert run.find_step_run("listed")[0].get_stdout_log().split() == ["said.txt"]
    order = marks.read_text().split()
    assert order[0] == "a" and order[-1] == "d" and sorted(order[1:3]) == ["b", "c"]


def test_submit_refuses_an_invalid_pipeline_with_every_problem(ws, write_script):
    src = write_script("a.py", "")
    orphan = PipelineData("orphan")
    steps = [
        PythonScriptStep("a.py", source_directory=src, arguments=[orphan], compute_target="gpu"),
        PythonScriptStep("missing.py", source_directory=src),
    ]
    with pytest.raises(PipelineValidationError) as caught:
        Experiment(ws, "bad").submit(Pipeline(ws, steps), pipeline_parameters={"nope": 1})
    text = str(caught.value)
    for fragment in ("'orphan' has no producer", "compute target 'gpu'", "missing.py", "unknown pipeline parameter"):
        assert fragment in text
    assert len(caught.value.problems) == 4
    assert ws.runs_store.pipeline_runs() == []


def test_run_context_is_offline_outside_a_step(capsys):
    run = Run.get_context()
    run.log("acc", 0.5)
    assert "acc" in capsys.readouterr().out


def test_runner_can_run_in_the_submitting_process(ws, write_script, monkeypatch):
    monkeypatch.setenv("DUTO_RUNNER", "thread")
    src = write_script("a.py", "print('in thread mode')\n")
    run = Experiment(ws, "thread").submit(Pipeline(ws, [PythonScriptStep("a.py", source_directory=src)]))
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert ws.runs_store.pipeline_run(run.id).runner_pid == os.getpid()
    details = run.get_steps()[0].get_details_with_logs()
    assert details["status"] == "Finished"
    assert details["logFiles"]["std_log.txt"].strip() == "in thread mode"
