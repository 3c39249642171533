"""duto's content-based reuse against DVC: the same pipelines, the same shell one-liners, both tools timed.

Every scenario runs in fresh temp folders, once per tool and way of running it:

- CLI: `duto run pipeline.py:pipeline -w WS` (a fresh process that submits and waits) against `dvc repro`;
- warm API: `Experiment(ws, "bench").submit(pipeline)` + `wait_for_completion` in this long-lived process
  against `Repo(path).reproduce()` in a long-lived, warmed-up process of the DVC venv.

Each is timed three times: cold (first run), no-op (nothing changed) and touched (every input's mtime moved,
contents unchanged). The figures are ratios between the tools measured in this one run, never thresholds; the
script exits 0 once it has printed them. It does not need duto's reuse: without it a no-op run just runs
again, and the tables say so in the `ran` column.

Run it with `make bench` (which makes the DVC venv) or
`.venv/bin/python bench/reuse_vs_dvc.py --dvc .bench-venv/bin/dvc [--quick]`. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from figures import write_figures
from rich.console import Console
from rich.table import Table
from servers import own_command_servers

from duto import Experiment, Workspace
from duto.processes import alive

GIB = 1 << 30
MIB = 1 << 20
CHUNK = 64 * MIB
RUNNER_EXIT_TIMEOUT = 30.0
MEASURABLE_S = 0.02  # a difference of two runs below this is noise, not a hashing time
BACKDATE_NS = 60 * 1_000_000_000
HELPER_READY_TIMEOUT = 120.0
PHASES = ("cold", "no-op", "touched")
SCENARIO_KEYS = ("chain", "large-chain", "fanout", "large-fanout", "big")  # for --only
# duto's ways of running: its CLI as users get it (commands go to the command server, started by the warm-up),
# its CLI with no command server (each command imports everything itself), and the warm API. DVC runs its CLI
# and its warm API; both CLI ways of duto are compared with DVC's CLI.
CLI, PLAIN_CLI, API = "CLI", "CLI, no command server", "warm API"
MODES = (CLI, PLAIN_CLI, API)
DVC_MODE = {CLI: CLI, PLAIN_CLI: CLI, API: API}

# The one-liners both tools run. Only the paths differ: plain file names for DVC; for duto the environment
# variables of the step's inputs and outputs (an output is a folder, so duto's command starts with a mkdir).
COMMANDS = {
    "link": "cat {inp} > {out} && echo {i} >> {out}",
    "branch": "cat {inp} > {out} && echo {i} >> {out}",
    "join": "cat {inputs} > {out}",
    "size": "wc -c < {inp} > {out}",
}

# The body of the pipeline file duto runs (from the CLI) and this process imports (for the warm API).
# The constants above it are written per scenario.
PIPELINE_BODY = '''

def _out(name: str) -> str:
    return f'"$DUTO_OUTPUT_{name}/x.txt"'


def _step(command: str, name: str, inputs: list, output: str) -> tuple[CommandStep, PipelineData]:
    data = PipelineData(output)
    step = CommandStep(f'mkdir -p "$DUTO_OUTPUT_{output}" && {command}', name=name, inputs=inputs, outputs=[data])
    return step, data


def build(ws: Workspace) -> Pipeline:
    """The scenario's pipeline of CommandSteps in `ws`, reading SOURCE from the default datastore."""
    source = Dataset.File.from_files(DataPath(ws.get_default_datastore(), SOURCE)).as_named_input("src")
    src = '"$DUTO_INPUT_src"'
    steps = []
    if SHAPE == "chain":
        previous = None
        for i in range(COUNT):
            if previous is None:
                inp, inputs = src, [source]
            else:
                inp, inputs = '"$DUTO_INPUT_inp/x.txt"', [previous.as_input("inp")]
            command = COMMANDS["link"].format(inp=inp, out=_out(f"d{i}"), i=i)
            step, previous = _step(command, f"s{i}", inputs, f"d{i}")
            steps.append(step)
    elif SHAPE == "fanout":
        branches = []
        for i in range(COUNT):
            command = COMMANDS["branch"].format(inp=src, out=_out(f"f{i}"), i=i)
            step, data = _step(command, f"b{i}", [source], f"f{i}")
            steps.append(step)
            branches.append(data)
        paths = " ".join(f'"$DUTO_INPUT_{d.name}/x.txt"' for d in branches)
        command = COMMANDS["join"].format(inputs=paths, out=_out("joined"))
        steps.append(_step(command, "join", [d.as_input(d.name) for d in branches], "joined")[0])
    else:
        steps.append(_step(COMMANDS["size"].format(inp=src, out=_out("size")), "size", [source], "size")[0])
    return Pipeline(ws, steps=steps, default_source_directory=CODE)


def pipeline() -> Pipeline:
    """For `duto run pipeline.py:pipeline -w WS`."""
    return build(Workspace.from_config())
'''

# Runs in the DVC venv's python: warms up on a one-stage repo, then times `Repo(root).reproduce()` once per
# `repro` line it reads, answering with one RESULT line of JSON each time.
DVC_HELPER = """\
import json, os, sys, time
from dvc.repo import Repo

def reproduce(root, **kwargs):
    repo = Repo(root)
    try:
        start = time.perf_counter()
        stages = repo.reproduce(**kwargs)
        return time.perf_counter() - start, len(stages)
    finally:
        repo.close()

root, warm = sys.argv[1], sys.argv[2]
os.chdir(warm)
reproduce(warm, force=True)
os.chdir(root)
print("READY", flush=True)
for line in sys.stdin:
    if line.strip() != "repro":
        break
    try:
        seconds, ran = reproduce(root)
        answer = {"seconds": seconds, "ran": ran}
    except Exception as error:
        answer = {"error": f"{type(error).__name__}: {error}"}
    print("RESULT " + json.dumps(answer), flush=True)
"""


@dataclass(frozen=True)
class Scenario:
    """A pipeline shape at one size, and whether DVC runs it too."""

    shape: str  # chain | fanout | big
    count: int  # links of the chain, branches of the fan-out; the big file's size in bytes for "big"
    dvc: bool = True
    plain_cli: bool = False  # also run duto's CLI with no command server

    @property
    def steps(self) -> int:
        return {"chain": self.count, "fanout": self.count + 1}.get(self.shape, 1)

    @property
    def key(self) -> str:
        return f"{self.shape}-{self.count}" if self.shape != "big" else "big"

    @property
    def folder(self) -> str:
        """A short folder name: duto passes a step every input path in one environment variable, and at 1,000
        inputs long paths push it past Linux's 128 KiB limit for one string (see bench/README.md)."""
        return f"{self.shape[0]}{self.count}" if self.shape != "big" else "big"

    @property
    def title(self) -> str:
        if self.shape == "chain":
            return f"chain of {self.count} steps"
        if self.shape == "fanout":
            return f"fan-out: one source, {self.count} independent steps and a join"
        return f"one step with one {size_text(self.count)} input"


@dataclass
class Timing:
    """One timed run of one tool; `seconds` is None when it was not measured, the limit when it hit it."""

    scenario: str
    steps: int
    tool: str
    mode: str
    phase: str
    seconds: float | None = None
    hit_limit: bool = False
    ran: int | None = None  # steps that ran (the others were reused or skipped); None when unknown
    failed: bool = False  # the run failed: its seconds (if any) are shown, never compared
    note: str = ""

    @property
    def usable(self) -> bool:
        """Whether the seconds can be compared: measured and not failed (a limit is a lower bound)."""
        return self.seconds is not None and not self.failed

    @property
    def per_step_ms(self) -> float | None:
        return None if self.seconds is None else self.seconds / self.steps * 1000

    def text(self) -> str:
        if self.seconds is None:
            return "-"
        return f"> {self.seconds:.0f}" if self.hit_limit else f"{self.seconds:.2f}"


@dataclass
class Bench:
    """Settings, the tools, what was measured, and every process and folder to clean up."""

    root: Path
    dvc: Path
    duto: Path
    dvc_limit: float
    duto_limit: float
    console: Console
    status: Any = None
    timings: list[Timing] = field(default_factory=list)
    raw_hashes: dict[tuple[str, str], float | None] = field(default_factory=dict)  # (mode, phase): seconds
    command_start: dict[str, float] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    big_file: Path | None = None

    def say(self, text: str) -> None:
        if self.status is not None:
            self.status.update(text)

    def dvc_env(self, site_cache: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        env["DVC_NO_ANALYTICS"] = "1"
        env["DVC_SITE_CACHE_DIR"] = str(site_cache)  # DVC's state and index, kept in the temp folder
        return env

    def record(self, timing: Timing) -> Timing:
        self.timings.append(timing)
        return timing

    def find(self, scenario: str, tool: str, mode: str, phase: str) -> Timing | None:
        for t in self.timings:
            if (t.scenario, t.tool, t.mode, t.phase) == (scenario, tool, mode, phase):
                return t
        return None


def size_text(size: int) -> str:
    return f"{size / GIB:g} GiB" if size >= GIB else f"{size / MIB:g} MiB"


# ---------------------------------------------------------------------------------------------------------------
# Processes: every one started here runs in its own process group, is tracked, and is ended by its id.


def own_processes(marker: Path) -> list[int]:
    """Pids of the processes whose command line names `marker` (a temp folder of ours), this one aside."""
    needle = str(marker).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(") ", 1)[-1][:1]
        except OSError:
            continue
        if needle in cmdline and state != "Z":
            found.append(int(entry))
    return found


def wait_for_exit(marker: Path, timeout: float = RUNNER_EXIT_TIMEOUT) -> None:
    """Let duto's detached runner of a workspace exit, so it takes no CPU from the next measurement."""
    deadline = time.monotonic() + timeout
    while own_processes(marker):
        if time.monotonic() > deadline:
            end_processes(marker)
            return
        time.sleep(0.01)


def end_processes(marker: Path) -> None:
    """SIGTERM, then SIGKILL, the processes started for `marker` that are still there."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = own_processes(marker)
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while pids and own_processes(marker) and time.monotonic() < deadline:
            time.sleep(0.05)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def timed_command(bench: Bench, argv: list[str], cwd: Path, log: Path, limit: float, env: dict[str, str]) -> float:
    """Wall seconds of `argv`; raises TimeoutError after `limit` seconds (its whole group killed)."""
    with open(log, "ab") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        bench.processes.append(proc)
        # A blocking wait, stopped by a timer at the limit: `wait(timeout=...)` polls, sleeping up to 50 ms
        # between looks, which would add up to 50 ms to a run that takes a few hundred.
        limit_hit = threading.Event()

        def stop() -> None:
            limit_hit.set()
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(limit, stop)
        timer.start()
        try:
            code = proc.wait()
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        if limit_hit.is_set():
            raise TimeoutError
    if code != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{Path(argv[0]).name} exited {code}: {' | '.join(tail)}")
    return seconds


def quiet_run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdin=subprocess.DEVNULL, capture_output=True)


# ---------------------------------------------------------------------------------------------------------------
# Data and touching


def write_big_file(path: Path, size: int) -> None:
    """`size` random bytes, written for real (not sparse) in 64 MiB chunks."""
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(CHUNK, left)
            f.write(os.urandom(n))
            left -= n
    os.sync()


def touch(paths: list[Path]) -> None:
    """Move each file's mtime forward, contents unchanged."""
    for path in paths:
        old = path.stat().st_mtime_ns
        new = max(time.time_ns(), old + 1_000_000)
        os.utime(path, ns=(new, new))


def backdate(paths: list[Path]) -> None:
    """Date the files a minute back, as inputs that existed before the pipeline ran. A file written in the
    last moments is not trusted to a stat cache (duto, like git, re-reads such "racily fresh" files)."""
    then = time.time_ns() - BACKDATE_NS
    for path in paths:
        os.utime(path, ns=(then, then))


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------------------------
# DVC


def dvc_stages(scenario: Scenario) -> tuple[dict[str, Any], list[str]]:
    """dvc.yaml's stages for the scenario, and every dependency path (what `touched` touches)."""
    stages: dict[str, Any] = {}
    if scenario.shape == "chain":
        previous = "src.txt"
        for i in range(scenario.count):
            out = f"out_{i}.txt"
            cmd = COMMANDS["link"].format(inp=previous, out=out, i=i)
            stages[f"s{i}"] = {"cmd": cmd, "deps": [previous], "outs": [out]}
            previous = out
    elif scenario.shape == "fanout":
        outs = [f"fan_{i}.txt" for i in range(scenario.count)]
        for i, out in enumerate(outs):
            cmd = COMMANDS["branch"].format(inp="src.txt", out=out, i=i)
            stages[f"b{i}"] = {"cmd": cmd, "deps": ["src.txt"], "outs": [out]}
        stages["join"] = {"cmd": COMMANDS["join"].format(inputs=" ".join(outs), out="joined.txt"), "deps": outs}
        stages["join"]["outs"] = ["joined.txt"]
    else:
        stages["size"] = {"cmd": COMMANDS["size"].format(inp="big.bin", out="size.txt"), "deps": ["big.bin"]}
        stages["size"]["outs"] = ["size.txt"]
    deps = sorted({d for stage in stages.values() for d in stage["deps"]})
    return stages, deps


def stages_started(log: Path) -> int:
    """How many stages `dvc repro` started, from what it printed."""
    return len(re.findall(r"^Running stage ", log.read_text(errors="replace"), re.M))


def make_dvc_repo(bench: Bench, repo: Path, scenario: Scenario, source: Path) -> list[Path]:
    """A DVC repo (no git) holding the scenario's dvc.yaml and its source; returns the dependency paths.

    dvc.yaml is written directly (as JSON, which YAML reads) rather than by one `dvc stage add` per stage,
    which would take minutes for 1,000 stages and is not what is measured.
    """
    repo.mkdir(parents=True)
    quiet_run([str(bench.dvc), "init", "--no-scm", "-q"], repo, bench.dvc_env(repo.with_suffix(".site")))
    target = repo / ("big.bin" if scenario.shape == "big" else "src.txt")
    if scenario.shape == "big":
        os.link(source, target)  # the same bytes, no second GiB on disk
    else:
        shutil.copyfile(source, target)
    backdate([target])
    stages, deps = dvc_stages(scenario)
    (repo / "dvc.yaml").write_text(json.dumps({"stages": stages}, indent=1) + "\n")
    return [repo / d for d in deps]


class DvcHelper:
    """A long-lived python of the DVC venv timing `Repo(root).reproduce()` on request (the warm API)."""

    def __init__(self, bench: Bench, repo: Path, warm_repo: Path) -> None:
        python = bench.dvc.parent / "python"
        script = bench.root / "dvc_helper.py"
        if not script.exists():
            script.write_text(DVC_HELPER)
        self.log = open(repo.with_suffix(".helper.log"), "ab")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [str(python), str(script), str(repo), str(warm_repo)],
            cwd=repo,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=bench.dvc_env(repo.with_suffix(".site")),
            start_new_session=True,
        )
        bench.processes.append(self.proc)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        if self._next(HELPER_READY_TIMEOUT) != "READY":
            self.close()
            raise RuntimeError(f"the DVC helper did not start; see {self.log.name}")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").strip())
        self.lines.put(None)

    def _next(self, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                raise TimeoutError from None
            if line is None or line == "READY" or line.startswith("RESULT "):
                return line

    def reproduce(self, limit: float) -> tuple[float, int]:
        """(seconds of reproduce(), stages it ran); TimeoutError after `limit` (the helper is killed)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"repro\n")
        self.proc.stdin.flush()
        try:
            line = self._next(limit)
        except TimeoutError:
            self.close()
            raise
        if line is None:
            raise RuntimeError(f"the DVC helper exited; see {self.log.name}")
        answer = json.loads(line.removeprefix("RESULT "))
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return float(answer["seconds"]), int(answer["ran"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            with suppress(OSError):
                self.proc.stdin.close()
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        kill_group(self.proc)
        self.log.close()


def measure_dvc(bench: Bench, scenario: Scenario, mode: str, folder: Path, source: Path, warm_repo: Path) -> None:
    """The three phases of one DVC repo, run from the CLI or the warm API."""
    repo = folder / ("vc" if mode == CLI else "va")  # DVC, CLI or API
    deps = make_dvc_repo(bench, repo, scenario, source)
    os.sync()
    helper = None
    try:
        if mode != CLI:
            helper = DvcHelper(bench, repo, warm_repo)
        for phase in PHASES:
            timing = bench.record(Timing(scenario.key, scenario.steps, "dvc", mode, phase))
            bench.say(f"{scenario.title}: dvc, {mode}, {phase}")
            if phase == "touched":
                touch(deps)
            log = repo.with_suffix(f".{phase}.log")
            try:
                if helper is None:
                    argv = [str(bench.dvc), "repro"]
                    env = bench.dvc_env(repo.with_suffix(".site"))
                    timing.seconds = timed_command(bench, argv, repo, log, bench.dvc_limit, env)
                    timing.ran = stages_started(log)
                else:
                    timing.seconds, timing.ran = helper.reproduce(bench.dvc_limit)
            except TimeoutError:
                timing.seconds, timing.hit_limit = bench.dvc_limit, True
                timing.note = f"stopped at the {bench.dvc_limit:.0f} s limit"
                if helper is None:
                    timing.note += f" after starting {stages_started(log)} of {scenario.steps} stages"
                break  # the repo is half-reproduced: the later phases would mean nothing
            except Exception as error:
                timing.failed, timing.note = True, f"failed: {error}"
                break
    finally:
        if helper is not None:
            helper.close()


# ---------------------------------------------------------------------------------------------------------------
# duto


def write_duto_project(folder: Path, scenario: Scenario, source_on_datastore: str) -> Path:
    """pipeline.py and its code folder `steps/`; returns pipeline.py."""
    code = folder / "steps"
    code.mkdir(parents=True)
    (code / "README.txt").write_text("The steps' code folder: snapshotted and hashed with each step.\n")
    header = "\n".join(
        [
            '"""The benchmark pipeline for duto, written by bench/reuse_vs_dvc.py; run as pipeline.py:pipeline."""',
            "",
            "from pathlib import Path",
            "",
            "from duto import DataPath, Dataset, Workspace",
            "from duto.pipeline import Pipeline, PipelineData",
            "from duto.pipeline.steps import CommandStep",
            "",
            f"SHAPE = {scenario.shape!r}",
            f"COUNT = {scenario.count!r}",
            f"SOURCE = {source_on_datastore!r}  # the input, on the default datastore",
            f"COMMANDS = {COMMANDS!r}",
            'CODE = Path(__file__).resolve().parent / "steps"  # every step\'s code folder',
        ]
    )
    path = folder / "pipeline.py"
    path.write_text(header + "\n" + PIPELINE_BODY)
    return path


def load_module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reused_count(run: Any) -> int | None:
    """How many of a run's steps were reused; None when this duto does not tell (no reuse yet)."""
    steps = run.get_steps()
    if not steps or not hasattr(steps[0], "is_reused"):
        return None
    return sum(bool(s.is_reused) for s in steps)


def check_output(run: Any, scenario: Scenario, scratch: Path) -> str:
    """'' when the run's last output holds what it should, else what is wrong (a chain or fan-out only)."""
    if scenario.shape == "big":
        return ""
    step, output = (f"s{scenario.count - 1}", f"d{scenario.count - 1}")
    if scenario.shape == "fanout":
        step, output = "join", "joined"
    expected = scenario.count + 1 if scenario.shape == "chain" else 2 * scenario.count
    try:
        where = run.find_step_run(step)[0].get_output_data(output).download(scratch, show_progress=False)
        lines = len((Path(where) / "x.txt").read_text().splitlines())
    except Exception as error:
        return f"output not checked ({type(error).__name__}: {error})"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return "" if lines == expected else f"wrong: the last output has {lines} lines, expected {expected}"


def raw_blake3(path: Path) -> float | None:
    """Seconds of a raw multi-threaded BLAKE3 of the file (memory-mapped), as duto's hashing is compared."""
    try:
        import blake3
    except ImportError:
        return None
    start = time.perf_counter()
    blake3.blake3(max_threads=blake3.blake3.AUTO).update_mmap(path).digest()
    return time.perf_counter() - start


def measure_duto(bench: Bench, scenario: Scenario, mode: str, folder: Path, source: Path) -> None:
    """The three phases of one duto workspace, run from the CLI or submitted from this process."""
    project = folder / {CLI: "uc", PLAIN_CLI: "up", API: "ua"}[mode]  # duto: CLI, plain CLI or API
    target = "src/big.bin" if scenario.shape == "big" else "src/x.txt"
    pipeline_file = write_duto_project(project, scenario, target)
    ws_root = project / "ws"
    ws = Workspace.create(ws_root)
    datastore = ws.get_default_datastore()
    datastore.upload_files([source], target_path="src", overwrite=True, show_progress=False)
    stored = datastore.root / target
    deps = [stored, *files_under(project / "steps")]
    backdate(deps)
    os.sync()
    pipeline = None
    if mode == API:
        module = load_module(pipeline_file, f"duto_bench_{scenario.key.replace('-', '_')}")
        pipeline = module.build(ws)
    for phase in PHASES:
        timing = bench.record(Timing(scenario.key, scenario.steps, "duto", mode, phase))
        bench.say(f"{scenario.title}: duto, {mode}, {phase}")
        if phase == "touched":
            touch(deps)
        if scenario.shape == "big" and phase != "no-op":  # right before each run of duto's that reads the file
            bench.raw_hashes[(mode, phase)] = raw_blake3(stored)
        run = None
        try:
            if pipeline is None:
                log = project / f"{phase}.log"
                argv = [str(bench.duto), "run", "pipeline.py:pipeline", "-w", str(ws_root), "-e", "bench"]
                env = dict(os.environ)
                if mode == PLAIN_CLI:
                    env["DUTO_COMMAND_SERVER"] = "off"
                timing.seconds = timed_command(bench, argv, project, log, bench.duto_limit, env)
                found = re.search(r"submitted run (\S+)", log.read_text(errors="replace"))
                run = ws.get_run(found.group(1)) if found else None
            else:
                with pushd(project):
                    start = time.perf_counter()
                    run = Experiment(ws, "bench").submit(pipeline)
                    status = run.wait_for_completion(
                        show_output=False, raise_on_error=False, timeout_seconds=bench.duto_limit
                    )
                    timing.seconds = time.perf_counter() - start
                if status != "Finished":
                    timing.failed, timing.note = True, f"failed: the run ended {status}"
        except TimeoutError:
            timing.seconds, timing.hit_limit = bench.duto_limit, True
            timing.note = f"stopped at the {bench.duto_limit:.0f} s limit"
            if run is not None:
                with suppress(Exception):
                    run.cancel()
        except Exception as error:
            timing.failed, timing.note = True, f"failed: {type(error).__name__}: {error}"
        wait_for_exit(ws_root)
        if run is not None:
            wait_for_runner(run)
            with suppress(Exception):
                reused = reused_count(run)
                timing.ran = None if reused is None else scenario.steps - reused
            if phase == "cold" and not timing.note:
                timing.note = check_output(run, scenario, project / "check")
                timing.failed = timing.note.startswith("wrong:")
        if not timing.usable or timing.hit_limit:
            break  # later phases would compare with a run that did not finish


def wait_for_runner(run: Any, timeout: float = RUNNER_EXIT_TIMEOUT) -> None:
    """Let the run's runner exit, so it takes no CPU from the next measurement. A runner forked from the
    command that submitted it has that command's command line, so `wait_for_exit` may not see it."""
    with suppress(Exception):
        pid = run.workspace.runs_store.pipeline_run(run.id).runner_pid
        deadline = time.monotonic() + timeout
        while pid and alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)


@contextmanager
def pushd(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


# ---------------------------------------------------------------------------------------------------------------
# Scenarios


def run_scenario(bench: Bench, scenario: Scenario, warm_repo: Path) -> None:
    folder = bench.root / scenario.folder
    folder.mkdir()
    if scenario.shape == "big":
        assert bench.big_file is not None
        source = bench.big_file
    else:
        source = folder / "x.txt"
        source.write_text("source\n")
    try:
        for mode in MODES:
            if mode == PLAIN_CLI and not scenario.plain_cli:
                continue
            measure_duto(bench, scenario, mode, folder, source)
            if scenario.dvc and mode in DVC_MODE.values():
                measure_dvc(bench, scenario, mode, folder, source, warm_repo)
    finally:
        end_processes(folder)
        shutil.rmtree(folder, ignore_errors=True)


def warm_up(bench: Bench) -> Path:
    """One small run of each tool and way, so interpreters and imports are in the page cache; returns the
    one-stage DVC repo the API helpers warm up on."""
    folder = bench.root / "warm-up"
    folder.mkdir()
    source = folder / "x.txt"
    source.write_text("source\n")
    tiny = Scenario("chain", 2)
    bench.say("warming up: interpreters, duto and DVC into the page cache; duto's command server starts")
    bench.command_start = command_start(bench)
    measure_duto(bench, tiny, CLI, folder, source)
    measure_duto(bench, tiny, API, folder, source)
    measure_dvc(bench, tiny, CLI, folder, source, folder)
    repo = folder / "dvc-warm"
    make_dvc_repo(bench, repo, Scenario("chain", 1), source)
    bench.timings = [t for t in bench.timings if t.scenario != tiny.key]
    end_processes(folder)
    return repo


def command_start(bench: Bench) -> dict[str, float]:
    """Seconds of `duto --version`: the first (which starts the command server), the next ones (forks of
    it), and with no command server (every import in the command's own process)."""
    argv = [str(bench.duto), "--version"]
    log = bench.root / "version.log"
    plain = {**os.environ, "DUTO_COMMAND_SERVER": "off"}
    first = timed_command(bench, argv, bench.root, log, 60, dict(os.environ))
    served = min(timed_command(bench, argv, bench.root, log, 60, dict(os.environ)) for _ in range(5))
    alone = min(timed_command(bench, argv, bench.root, log, 60, plain) for _ in range(5))
    return {"first_s": first, "served_s": served, "no_server_s": alone}


# ---------------------------------------------------------------------------------------------------------------
# Report


def ratio(dvc: Timing | None, duto_t: Timing | None) -> str:
    if dvc is None or duto_t is None or not dvc.usable or not duto_t.usable or duto_t.hit_limit:
        return "-"
    assert dvc.seconds is not None and duto_t.seconds is not None
    value = dvc.seconds / duto_t.seconds
    return f"> {value:.1f}" if dvc.hit_limit else f"{value:.1f}"


def ran_text(t: Timing) -> str:
    return "?" if t.ran is None else f"{t.ran}/{t.steps}"


def scenario_table(bench: Bench, scenario: Scenario) -> Table:
    table = Table(title=f"{scenario.title} ({scenario.steps} steps)", title_justify="left")
    for column in ("tool", "mode", "phase", "seconds", "DVC/duto", "ms/step", "ran"):
        table.add_column(column, justify="left" if column in ("tool", "mode", "phase") else "right")
    table.add_column("note")
    for mode in MODES:
        for phase in PHASES:
            duto_t = bench.find(scenario.key, "duto", mode, phase)
            dvc_t = bench.find(scenario.key, "dvc", DVC_MODE[mode], phase)
            shown = (duto_t, dvc_t) if mode == DVC_MODE[mode] else (duto_t,)
            for t in shown:
                if t is None:
                    continue
                per_step = "-" if t.per_step_ms is None else f"{t.per_step_ms:.1f}"
                if t.hit_limit:
                    per_step = f"> {per_step}"
                table.add_row(
                    t.tool,
                    t.mode,
                    phase,
                    t.text(),
                    ratio(dvc_t, duto_t) if t is duto_t else "",
                    per_step,
                    ran_text(t),
                    t.note,
                    style="bold" if t is duto_t else None,
                )
        if any(bench.find(scenario.key, "duto", mode, p) for p in PHASES):
            table.add_section()
    return table


def growth_rows(bench: Bench, small: int, large: int) -> list[dict[str, Any]]:
    rows = []
    for shape in ("chain", "fanout"):
        for tool in ("duto", "dvc"):
            for mode in MODES if tool == "duto" else tuple(dict.fromkeys(DVC_MODE.values())):
                for phase in PHASES:
                    a = bench.find(f"{shape}-{small}", tool, mode, phase)
                    b = bench.find(f"{shape}-{large}", tool, mode, phase)
                    if a is None or b is None or not a.usable or not b.usable:
                        continue
                    assert a.seconds is not None and b.seconds is not None
                    assert a.per_step_ms is not None and b.per_step_ms is not None
                    row = {"shape": shape, "tool": tool, "mode": mode, "phase": phase}
                    row["small_ms_per_step"] = a.per_step_ms
                    row["large_ms_per_step"] = b.per_step_ms
                    row["large_hit_limit"] = b.hit_limit
                    row["growth"] = b.per_step_ms / a.per_step_ms
                    row["marginal_ms_per_step"] = (b.seconds - a.seconds) / (b.steps - a.steps) * 1000
                    rows.append(row)
    return rows


def growth_table(rows: list[dict[str, Any]], small: int, large: int) -> Table:
    table = Table(title=f"growth: ms per step at {small} and at {large} steps", title_justify="left")
    columns = ("shape", "tool", "mode", "phase", f"{small}", f"{large}", f"{large}/{small}", "each added step")
    for column in columns:
        table.add_column(column, justify="left" if column in columns[:4] else "right")
    for r in rows:
        more = "> " if r["large_hit_limit"] else ""
        table.add_row(
            r["shape"],
            r["tool"],
            r["mode"],
            r["phase"],
            f"{r['small_ms_per_step']:.1f}",
            f"{more}{r['large_ms_per_step']:.1f}",
            f"{more}{r['growth']:.2f}",
            f"{more}{r['marginal_ms_per_step']:.1f}",
            style="bold" if r["tool"] == "duto" else None,
        )
    return table


def hash_lines(bench: Bench, big: Scenario) -> list[dict[str, Any]]:
    """Per way of running: duto's effective hash throughput next to raw BLAKE3's on the same file.

    duto's is effective: the size over (touched - no-op), everything a touched input costs beyond a no-op.
    Both runs reuse the step; after the touch the file is read and hashed again, and whatever else duto does
    for a changed input (such as starting a runner) counts too. Raw BLAKE3 is timed right before each duto
    run that reads the file (the first run, the touched run), so both see the same page-cache state.
    """
    lines = []
    gib = big.count / GIB
    for mode in MODES:
        first, noop, touched = (bench.find(big.key, "duto", mode, phase) for phase in PHASES)
        raw_first, raw_touched = bench.raw_hashes.get((mode, "cold")), bench.raw_hashes.get((mode, "touched"))
        line: dict[str, Any] = {"mode": mode, "size_bytes": big.count}
        line["raw_blake3_before_first_s"] = raw_first
        line["raw_blake3_before_touched_s"] = raw_touched
        raw = raw_touched or raw_first
        line["raw_blake3_gib_s"] = gib / raw if raw else None
        line["duto_first_s"] = first.seconds if first is not None and first.usable else None
        rehash = None
        if noop is not None and touched is not None and noop.usable and touched.usable and noop.ran == touched.ran == 0:
            assert noop.seconds is not None and touched.seconds is not None
            rehash = touched.seconds - noop.seconds
        line["duto_rehash_s"] = rehash  # None: not separable (no reuse, or a run failed)
        line["duto_rehash_gib_s"] = gib / rehash if rehash is not None and rehash >= MEASURABLE_S else None
        lines.append(line)
    return lines


def hash_text(h: dict[str, Any]) -> str:
    """One line: duto's effective hash throughput next to raw BLAKE3's on the same file."""
    size = size_text(h["size_bytes"])
    if h["duto_rehash_gib_s"] is not None:
        duto_part = f"duto effective (touched - no-op) {h['duto_rehash_s']:.3f} s = {h['duto_rehash_gib_s']:.2f} GiB/s"
    elif h["duto_rehash_s"] is not None:
        duto_part = f"duto touched - no-op {h['duto_rehash_s']:.3f} s (under {MEASURABLE_S} s: too small to tell)"
    else:
        duto_part = "duto: re-hash not separable (its no-op or touched run did not reuse the step)"
    raw_s = h["raw_blake3_before_touched_s"] or h["raw_blake3_before_first_s"]
    if raw_s is None:
        raw = "raw blake3: the blake3 module is not installed"
    else:
        raw = f"raw blake3 {raw_s:.3f} s = {h['raw_blake3_gib_s']:.2f} GiB/s"
    first = "" if h["duto_first_s"] is None else f"; duto's first run {h['duto_first_s']:.2f} s (hashing + running it)"
    return f"hash throughput, {size}, {h['mode']}: {duto_part}; {raw} (same file, same page-cache state){first}"


def headline(bench: Bench, small: int, large: int, big_size: int | None) -> list[dict[str, Any]]:
    """The issue's aims, each with the figure measured now, per way of running."""
    rows = []
    aims: list[tuple[str, str, Callable[[str], float | None], str]] = [
        (f"chain{small} cold, DVC/duto", ">= 5", lambda m: speedup(bench, f"chain-{small}", m, "cold"), "x"),
        (f"chain{small} no-op, DVC/duto", ">= 3", lambda m: speedup(bench, f"chain-{small}", m, "no-op"), "x"),
        (
            f"fan-out{large} ms/step / chain{small} ms/step (duto, cold)",
            "<= 1.2",
            lambda m: per_step_ratio(bench, f"fanout-{large}", f"chain-{small}", m),
            "",
        ),
    ]
    if big_size is not None:
        big = size_text(big_size)
        aims += [
            (f"{big} first run, DVC/duto", ">= 4", lambda m: speedup(bench, "big", m, "cold"), "x"),
            (f"{big} no-op, DVC/duto", ">= 2", lambda m: speedup(bench, "big", m, "no-op"), "x"),
            (f"{big} after touch, DVC/duto", ">= 3.5", lambda m: speedup(bench, "big", m, "touched"), "x"),
        ]
    for name, aim, measure, unit in aims:
        row: dict[str, Any] = {"figure": name, "aim": aim}
        for mode in MODES:
            row[mode] = measure(mode)
        row["unit"] = unit
        rows.append(row)
    return rows


def speedup(bench: Bench, scenario: str, mode: str, phase: str) -> float | None:
    d, u = bench.find(scenario, "dvc", DVC_MODE[mode], phase), bench.find(scenario, "duto", mode, phase)
    if d is None or u is None or not d.usable or not u.usable or d.hit_limit or u.hit_limit:
        return None
    assert d.seconds is not None and u.seconds is not None
    return d.seconds / u.seconds


def per_step_ratio(bench: Bench, a: str, b: str, mode: str) -> float | None:
    x, y = bench.find(a, "duto", mode, "cold"), bench.find(b, "duto", mode, "cold")
    if x is None or y is None or not x.usable or not y.usable or x.hit_limit or y.hit_limit:
        return None
    assert x.per_step_ms is not None and y.per_step_ms is not None
    return x.per_step_ms / y.per_step_ms


def headline_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="the issue's figures (aims from the issue; this run's ratios)", title_justify="left")
    for column in ("figure", "aim", *MODES):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for r in rows:
        cells = ["-" if r[m] is None else f"{r[m]:.2f}{r['unit']}" for m in MODES]
        table.add_row(r["figure"], r["aim"], *cells)
    return table


def report(bench: Bench, scenarios: list[Scenario], small: int, large: int) -> dict[str, Any]:
    console = bench.console
    for scenario in scenarios:
        console.print(scenario_table(bench, scenario))
    rows = growth_rows(bench, small, large)
    console.print(growth_table(rows, small, large))
    big = next((s for s in scenarios if s.shape == "big"), None)
    hashes = [] if big is None else hash_lines(bench, big)
    for h in hashes:
        console.print(hash_text(h), highlight=False)
    heads = headline(bench, small, large, None if big is None else big.count)
    console.print(headline_table(heads))
    start = bench.command_start
    if start:
        console.print(
            f"a command's start (`duto --version`): {start['first_s']:.2f} s for the first, which starts the command "
            f"server; {start['served_s']:.3f} s once it runs; {start['no_server_s']:.3f} s with no command server",
            highlight=False,
        )
    notes = [
        "DVC/duto = DVC's seconds / duto's seconds for the same scenario, way and phase (> when DVC hit its limit).",
        "ran = steps that ran (the rest were reused or skipped); ? when this duto does not tell.",
        "CLI: fresh processes (`duto run` / `dvc repro`); duto's go to its command server, started by the warm-up "
        "as by a user's first command. CLI, no command server: DUTO_COMMAND_SERVER=off, every `duto run` imports "
        "everything itself (against DVC's CLI). warm API: submit + wait_for_completion in this process / "
        "Repo(path).reproduce() in a warmed-up DVC process, imports done before the clock starts.",
        "touched: os.utime on every input (duto: the source on the datastore, the code folder; DVC: every dep).",
    ]
    for note in notes:
        console.print(note, style="dim", highlight=False)
    return {"growth": rows, "hash_throughput": hashes, "headline": heads, "command_start": bench.command_start}


# ---------------------------------------------------------------------------------------------------------------


def dvc_version(dvc: Path) -> str:
    try:
        done = subprocess.run([str(dvc), "--version"], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = Path(sys.executable).parent
    parser.add_argument("--dvc", type=Path, default=Path(".bench-venv/bin/dvc"), help="the dvc executable")
    parser.add_argument("--duto", type=Path, default=here / "duto", help="the duto executable (the CLI runs)")
    parser.add_argument("--dvc-limit", type=float, default=120.0, help="seconds before a DVC run is stopped")
    parser.add_argument("--duto-limit", type=float, default=600.0, help="seconds before a duto run is stopped")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20 and 50 steps, a 64 MiB file")
    parser.add_argument("--steps", type=int, default=100, help="the size every ratio is taken at")
    parser.add_argument("--large-steps", type=int, default=1000, help="the size the growth is measured at")
    parser.add_argument("--big-mib", type=int, default=1024, help="the size of the big input, MiB")
    parser.add_argument(
        "--dvc-large-chain", action="store_true", help="also run DVC on the large chain (within --dvc-limit)"
    )
    parser.add_argument(
        "--only",
        metavar="SCENARIO",
        action="append",
        choices=SCENARIO_KEYS,
        help=f"run only this scenario (repeat for more): {', '.join(SCENARIO_KEYS)}; the report leaves out the rest",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.large_steps, args.big_mib = 20, 50, 64
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.pop("DUTO_RUNNER", None)  # the default, as users get it: a detached runner process
    os.environ.pop("DUTO_WORKSPACE", None)
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)  # piped or captured: room for the tables
    dvc = args.dvc.resolve()
    if not dvc.exists():
        console.print(f"no dvc at {args.dvc}; `make bench-venv` makes one", style="red")
        return 0
    small, large = args.steps, args.large_steps
    every = {
        "chain": Scenario("chain", small, plain_cli=True),
        "large-chain": Scenario("chain", large, dvc=args.dvc_large_chain),
        "fanout": Scenario("fanout", small),
        "large-fanout": Scenario("fanout", large),
        "big": Scenario("big", args.big_mib * MIB, plain_cli=True),
    }
    scenarios = [scenario for key, scenario in every.items() if not args.only or key in args.only]
    root = Path(tempfile.mkdtemp(prefix="dvd-"))  # short: see Scenario.folder
    bench = Bench(root, dvc, args.duto.absolute(), args.dvc_limit, args.duto_limit, console)
    started = time.perf_counter()
    try:
        with console.status("starting") as status:
            bench.status = status
            warm_repo = warm_up(bench)
            for scenario in scenarios:
                if scenario.shape == "big":
                    bench.say(f"writing a {size_text(scenario.count)} file of random bytes")
                    bench.big_file = root / "big.bin"
                    write_big_file(bench.big_file, scenario.count)
                try:
                    run_scenario(bench, scenario, warm_repo)
                except Exception:  # report what the others measured all the same
                    console.print(f"{scenario.title}: the benchmark itself failed", style="red")
                    console.print_exception()
            bench.status = None
    finally:
        for proc in bench.processes:
            kill_group(proc)
        end_processes(root)
        shutil.rmtree(root, ignore_errors=True)
    total = time.perf_counter() - started
    try:
        derived = report(bench, scenarios, small, large)
    except Exception:  # the timings still go to the JSON
        console.print_exception()
        derived = {}
    console.print(f"the whole benchmark took {total:.0f} s", highlight=False)
    figures = {
        "dvc_version": dvc_version(dvc),
        "quick": args.quick,
        "settings": {"steps": small, "large_steps": large, "big_bytes": args.big_mib * MIB},
        "dvc_limit_s": args.dvc_limit,
        "commands": COMMANDS,
        "total_s": round(total, 2),
        "timings": [{**asdict(t), "per_step_ms": t.per_step_ms} for t in bench.timings],
        **derived,
    }
    write_figures("reuse_vs_dvc", figures, console)
    return 0


if __name__ == "__main__":
    with own_command_servers():
        sys.exit(main())
