"""`duto server` as a process: health without a token, the sign-in URL, SIGTERM, one server per workspace,
--detach / status / stop, the runner daemon it keeps, and the warning for a bind that other machines reach."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from conftest import run_duto
from duto.execution.daemon import live_daemons
from duto.facade.tokens import list_tokens
from duto.facade.workspace import Workspace
from duto.processes import alive
from duto.server.process import ServeOptions, clear_text_warning, is_loopback
from duto.storage.server_record import running_server

from .conftest import Served, free_port, start_server, stop_server


@pytest.mark.timeout(60)
def test_health_answers_without_a_token_and_nothing_else_does(served: Served) -> None:
    with served.client(None) as anonymous:
        health = anonymous.get("/api/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert anonymous.get("/api/tokens").status_code == 401
        assert anonymous.get("/api/openapi.json").status_code == 401


@pytest.mark.timeout(60)
def test_the_printed_sign_in_url_sets_an_http_only_cookie_that_reads(served: Served) -> None:
    url = served.sign_in_url()
    assert url.startswith(f"{served.url}/?token=duto_")
    with httpx.Client(timeout=30) as browser:
        answer = browser.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/", "the portal, without the token"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
        assert browser.get(f"{served.url}/api/tokens").status_code == 200, "the cookie signs the browser in"
        assert browser.get(f"{served.url}/?token=duto_nottheone", follow_redirects=False).status_code == 401


@pytest.mark.timeout(60)
def test_the_server_keeps_a_runner_daemon_while_it_serves(served: Served) -> None:
    daemons = live_daemons(served.workspace.database)
    assert daemons and daemons[0].pid is not None


@pytest.mark.timeout(90)
def test_sigterm_stops_it_within_10_s_removes_its_record_and_revokes_its_token(ws: Workspace, tmp_path: Path) -> None:
    first = start_server(ws, tmp_path / "first.log", tokens=False)
    token = first.sign_in_url().partition("?token=")[2]
    assert running_server(ws.config.duto_dir) is not None
    daemon = live_daemons(ws.database)[0]
    took = stop_server(first)
    assert took < 10 and first.process.returncode == 0
    assert running_server(ws.config.duto_dir) is None
    assert not (ws.config.duto_dir / "server.json").exists()
    assert [t.name for t in list_tokens(ws) if t.server_pid == first.process.pid and t.revoked_at is not None]
    assert not live_daemons(ws.database) or live_daemons(ws.database)[0].pid != daemon.pid, "its daemon stopped"

    second = start_server(ws, tmp_path / "second.log", tokens=False)
    try:
        with httpx.Client(base_url=second.url, timeout=30) as client:
            headers = {"Authorization": f"Bearer {token}"}
            assert client.get("/api/tokens", headers=headers).status_code == 401
            fresh = second.sign_in_url().partition("?token=")[2]
            assert client.get("/api/tokens", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    finally:
        stop_server(second)


@pytest.mark.timeout(60)
def test_a_second_server_of_the_workspace_is_refused_naming_the_first(served: Served) -> None:
    root = served.workspace.root
    refused = run_duto("server", "--port", str(free_port()), "--workspace", str(root), cwd=root, timeout=30)
    assert refused.returncode == 1
    assert "already serves" in refused.stderr
    assert str(served.process.pid) in refused.stderr and served.url in refused.stderr
    detached = run_duto("server", "--detach", "--port", str(free_port()), cwd=root, timeout=30)
    assert detached.returncode == 1 and str(served.process.pid) in detached.stderr


@pytest.mark.timeout(90)
def test_detach_status_and_stop(ws: Workspace) -> None:
    root = ws.root
    assert run_duto("server", "status", cwd=root).returncode == 1
    port = free_port()
    started = run_duto("server", "--detach", "--port", str(port), cwd=root, timeout=45)
    try:
        assert started.returncode == 0, started.stderr
        url = f"http://127.0.0.1:{port}"
        assert url in started.stdout
        sign_in = next(line for line in started.stdout.splitlines() if line.startswith("sign in: "))
        record = running_server(ws.config.duto_dir)
        assert record is not None and record.url == url and record.log is not None
        assert httpx.get(f"{url}/api/health", timeout=5).status_code == 200
        assert httpx.get(sign_in.removeprefix("sign in: "), timeout=5).status_code == 303, "the sign-in URL works"

        status = run_duto("server", "status", cwd=root)
        assert status.returncode == 0 and url in status.stdout and str(record.pid) in status.stdout

        begun = time.monotonic()
        stopped = run_duto("server", "stop", cwd=root, timeout=30)
        assert stopped.returncode == 0 and f"stopped the server {record.pid}" in stopped.stdout
        assert time.monotonic() - begun < 10
        assert not record.is_running() and running_server(ws.config.duto_dir) is None
        assert "no server serves" in run_duto("server", "status", cwd=root).stdout
        assert "nothing to stop" in run_duto("server", "stop", cwd=root).stdout
    finally:
        run_duto("server", "stop", cwd=root, timeout=30)


@pytest.mark.timeout(10)
def test_a_bind_other_machines_reach_without_tls_is_warned_of() -> None:
    for host in ("0.0.0.0", "::", "192.168.1.20", "myhost.example"):
        warning = clear_text_warning(ServeOptions(host=host))
        assert warning is not None and "clear text" in warning and host in warning
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert is_loopback(host) and clear_text_warning(ServeOptions(host=host)) is None
    tls = ServeOptions(host="0.0.0.0", ssl_certfile=Path("c.pem"), ssl_keyfile=Path("k.pem"))
    assert clear_text_warning(tls) is None and tls.url().startswith("https://127.0.0.1:")


@pytest.mark.timeout(60)
def test_a_port_in_use_is_a_one_line_error_and_leaves_nothing_behind(ws: Workspace) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = run_duto("server", "--port", str(port), cwd=ws.root, timeout=30)
    assert refused.returncode == 1 and f"could not serve on 127.0.0.1:{port}" in refused.stderr
    assert running_server(ws.config.duto_dir) is None
    assert all(t.revoked_at is not None for t in list_tokens(ws))


@pytest.mark.timeout(120)
def test_ctrl_c_stops_it_and_a_run_its_daemon_started_goes_on(ws: Workspace, tmp_path: Path, wait_until) -> None:
    from duto import Experiment
    from duto.pipeline import Pipeline
    from duto.pipeline.steps import CommandStep

    served = start_server(ws, tmp_path / "server.log", tokens=False)
    try:
        (daemon,) = live_daemons(ws.database)
        flag = tmp_path / "flag"
        step = CommandStep(f"echo started; while [ ! -e {flag} ]; do sleep 0.05; done", name="wait")
        run = Experiment(ws, "served").submit(Pipeline(ws, [step]))
        wait_until(lambda: "started" in run.get_steps()[0].get_stdout_log(), timeout=30)
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(timeout=10) == 0
    finally:
        if served.process.poll() is None:
            stop_server(served)
    assert running_server(ws.config.duto_dir) is None
    assert not alive(daemon.pid or 0, daemon.start_ticks), "the daemon it started stops with it"
    flag.write_text("go")
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"
