"""The command server: `duto` commands run in forks of a resident process, as if they ran on their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from conftest import poll, run_duto
from duto import Workspace, resident
from duto.cli.command_servers import live_servers
from duto.processes import alive

SLOW_PIPELINE = """
from pathlib import Path
from duto import Workspace
from duto.pipeline import Pipeline
from duto.pipeline.steps import CommandStep

ws = Workspace.from_config()
pipeline = Pipeline(ws, [CommandStep("echo sleeping && sleep 60", name="slow")])
"""


def servers() -> list[int]:
    return [pid for pid, _ in live_servers(resident.server_folder())]


def title(pid: int) -> str:
    """What `ps -o args` shows for a process: its command line, as its process title set it."""
    return Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").replace(b"\0", b" ").decode()


# Any PYTHON* variable is part of a server's key: a process with this one set is served by another server, as
# a process of another interpreter or another copy of duto would be.
ANOTHER_KEY = {"PYTHONDUTOTESTKEY": "another"}


def children_of(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(") ", 1)[1].split()[1]) == pid:
                found.append(int(name))
    return found


class Lines:
    """Lines a process writes to a pipe, read on a thread so the test can wait for one."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            self.lines.append(line)

    def join(self) -> None:
        self._thread.join(timeout=10)

    def text(self) -> str:
        return "".join(self.lines)


@contextmanager
def started_duto(*args: str, cwd: Path) -> Iterator[tuple[subprocess.Popen[str], Lines, Lines]]:
    """`duto ARGS` going on in the background, its output read as it comes; killed at the end if still there."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "duto.cli", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    with proc:
        streams = Lines(proc.stdout), Lines(proc.stderr)
        try:
            yield proc, *streams
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            for lines in streams:
                lines.join()


def test_commands_run_in_forks_of_one_server_with_the_callers_folder_environment_and_streams(
    server_folder: Path, tmp_path: Path
) -> None:
    made = run_duto("init", "proj", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "proj" / ".duto" / "config.json").is_file()  # the caller's folder
    (server,) = servers()

    probe = tmp_path / "proj" / "probe.py"
    probe.write_text(
        textwrap.dedent(
            f"""
            import os, sys
            open({str(tmp_path / "seen")!r}, "w").write(f"{{os.getppid()}} {{os.environ['PROBE']}} {{os.getcwd()}}")
            print("to stdout"); print("to stderr", file=sys.stderr)
            from duto import Workspace
            from duto.pipeline import Pipeline
            from duto.pipeline.steps import CommandStep
            pipeline = Pipeline(Workspace.from_config(), [CommandStep("true", name="t")])
            """
        )
    )
    ran = run_duto("run", "probe.py", cwd=tmp_path / "proj", env={"PROBE": "from-the-caller"})
    failed = run_duto("runs", "show", "no-such-run", cwd=tmp_path / "proj")

    assert ran.returncode == 0, ran.stderr
    parent, value, cwd = (tmp_path / "seen").read_text().split(" ", 2)
    assert (int(parent), value, cwd) == (server, "from-the-caller", str(tmp_path / "proj"))
    assert "to stdout" in ran.stdout and "to stderr" in ran.stderr
    assert "Finished" in ran.stdout
    assert failed.returncode == 1
    assert "no-such-run" in failed.stderr and failed.stdout == ""
    assert servers() == [server], "every command ran on the one server"
    status = run_duto("command-server", "status", cwd=tmp_path)
    assert f"pid {server}: this one: serves this interpreter and duto" in status.stdout


def test_ctrl_c_reaches_the_command_and_its_exit_status_comes_back(server_folder: Path, ws: Workspace) -> None:
    (ws.root / "slow.py").write_text(SLOW_PIPELINE)
    with started_duto("run", "slow.py", cwd=ws.root) as (proc, out, err):
        poll(lambda: "sleeping" in out.text(), timeout=30)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130, out.text() + err.text()
        poll(lambda: "stopped following" in err.text(), timeout=5)
    (run, _), *_ = ws.runs_store.pipeline_runs()
    assert run.status == "Running", "only the following stopped; the run goes on"
    ws.get_run(run.id).cancel()
    poll(lambda: ws.runs_store.pipeline_run(run.id).status == "Canceled", timeout=15)


def test_a_command_whose_caller_was_killed_is_hung_up(server_folder: Path, ws: Workspace) -> None:
    (ws.root / "slow.py").write_text(SLOW_PIPELINE)
    submitted = run_duto("run", "slow.py", "--detach", cwd=ws.root)
    run_id = submitted.stdout.strip()
    try:
        with started_duto("logs", run_id, "--follow", cwd=ws.root) as (proc, out, _):
            poll(lambda: "sleeping" in out.text(), timeout=30)
            (server,) = servers()
            (command,) = children_of(server)
            proc.kill()
            proc.wait(timeout=10)
        poll(lambda: not alive(command), timeout=15)
        assert alive(server)
    finally:
        ws.get_run(run_id).cancel()


def test_changed_code_or_interpreter_settings_get_a_server_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    before = resident.server_key()
    assert resident.server_key() == before
    # Put back as it was, not removed: dask's process pool (an earlier test may have used one) sets it for good.
    with monkeypatch.context() as changed:
        changed.setenv("PYTHONHASHSEED", "7")
        assert resident.server_key() != before
    source = Path(resident.__file__)
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    try:
        assert resident.server_key() != before
    finally:
        os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert resident.server_key() == before


def test_off_or_a_closed_stream_runs_the_command_in_its_own_process(server_folder: Path, tmp_path: Path) -> None:
    off = run_duto("--version", cwd=tmp_path, env={resident.SERVER_ENV: "off"})
    closed = subprocess.run(
        [sys.executable, "-m", "duto.cli", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(0),  # no standard input to pass on
    )
    assert off.returncode == 0 and "duto " in off.stdout
    assert closed.returncode == 0 and "duto " in closed.stdout, closed.stderr
    assert servers() == []


def test_a_server_exits_when_idle_and_on_stop(server_folder: Path, tmp_path: Path) -> None:
    assert run_duto("--version", cwd=tmp_path, env={resident.IDLE_ENV: "1"}).returncode == 0
    (idle,) = servers()
    poll(lambda: not alive(idle), timeout=15)
    assert not (server_folder / next(server_folder.glob("*.lock")).stem).with_suffix(".sock").exists()

    assert run_duto("--version", cwd=tmp_path).returncode == 0
    (running,) = servers()
    stopped = run_duto("command-server", "stop", cwd=tmp_path)
    assert stopped.returncode == 0 and "stopped 1 command server" in stopped.stdout
    poll(lambda: not alive(running), timeout=15)
    assert servers() == []


def test_commands_started_at_once_share_the_one_server_they_start(server_folder: Path, tmp_path: Path) -> None:
    with ExitStack() as stack:
        commands = [stack.enter_context(started_duto("--version", cwd=tmp_path)) for _ in range(4)]
        for proc, out, _ in commands:
            assert proc.wait(timeout=60) == 0
            poll(lambda out=out: "duto " in out.text(), timeout=5)
    assert len(servers()) == 1
    assert len(list(server_folder.glob("*.sock"))) == 1


def test_stop_stops_the_server_of_this_duto_and_all_stops_every_one(server_folder: Path, tmp_path: Path) -> None:
    assert run_duto("--version", cwd=tmp_path).returncode == 0
    (ours,) = servers()
    assert run_duto("--version", cwd=tmp_path, env=ANOTHER_KEY).returncode == 0
    (other,) = set(servers()) - {ours}

    status = run_duto("command-server", "status", cwd=tmp_path).stdout
    assert f"pid {ours}: this one: serves this interpreter and duto" in status
    assert f"pid {other}: serves another duto or interpreter" in status
    stopped = run_duto("command-server", "stop", cwd=tmp_path)
    assert stopped.returncode == 0 and "stopped 1 command server" in stopped.stdout
    poll(lambda: not alive(ours), timeout=15)
    assert servers() == [other] and alive(other)
    again = run_duto("command-server", "stop", cwd=tmp_path, env={resident.SERVER_ENV: "off"})
    assert "no command server serves this interpreter and duto; 1 serve others" in again.stdout
    assert alive(other)

    assert run_duto("--version", cwd=tmp_path).returncode == 0
    (ours,) = set(servers()) - {other}
    every = run_duto("command-server", "stop", "--all", cwd=tmp_path)
    assert every.returncode == 0 and "stopped 2 command server" in every.stdout
    poll(lambda: not alive(ours) and not alive(other), timeout=15)
    assert servers() == []


def test_ps_tells_servers_commands_and_runners_apart(server_folder: Path, ws: Workspace) -> None:
    (ws.root / "slow.py").write_text(SLOW_PIPELINE)
    with started_duto("run", "slow.py", cwd=ws.root) as (proc, out, err):
        poll(lambda: "sleeping" in out.text(), timeout=30)
        (server,) = servers()
        (command,) = children_of(server)
        (run, _), *_ = ws.runs_store.pipeline_runs()
        try:
            python = f"python{sys.version_info.major}.{sys.version_info.minor} {sys.executable}"
            package = Path(resident.__file__).parent
            assert title(server) == f"duto command-server ({python}, duto {package})"
            assert title(command) == "duto run slow.py"
            assert title(run.runner_pid) == (
                f"duto runner {run.id} (workspace {ws.name}; forked from the command server)"
            )
            listed = subprocess.run(
                ["ps", "-ww", "-o", "args=", "-p", f"{server},{command},{run.runner_pid}"],
                capture_output=True,
                text=True,
                check=True,
                timeout=10,
            ).stdout.splitlines()
            assert sorted(listed) == sorted(title(pid) for pid in (server, command, run.runner_pid))
        finally:
            ws.get_run(run.id).cancel()
        assert proc.wait(timeout=30) != 0, out.text() + err.text()
    poll(lambda: not alive(run.runner_pid), timeout=15)
