"""The write gate: writers of one DB wait for each other in turn, threads of a process and processes alike."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from duto.storage.db import Database
from duto.storage.write_gate import WriteGate, gate_for

HOLD = """
import sys, time
from pathlib import Path
from duto.storage.write_gate import WriteGate
gate = WriteGate(Path(sys.argv[1]))
with gate.held():
    Path(sys.argv[2]).write_text("holding")
    time.sleep(float(sys.argv[3]))
"""


@pytest.mark.timeout(30)
def test_a_writer_of_another_process_is_waited_for(tmp_path: Path) -> None:
    lock_file, holding = tmp_path / "db-write.lock", tmp_path / "holding"
    other = subprocess.Popen([sys.executable, "-c", HOLD, str(lock_file), str(holding), "0.6"])
    try:
        deadline = time.monotonic() + 20
        while not holding.exists():
            assert time.monotonic() < deadline and other.poll() is None, "the other process took the gate"
            time.sleep(0.01)
        asked = time.monotonic()
        with WriteGate(lock_file).held():
            waited = time.monotonic() - asked
            assert other.poll() is None or other.returncode == 0
        assert waited > 0.3, f"the gate was let through after {waited:.3f} s while the other process held it"
    finally:
        other.wait(timeout=20)
    assert other.returncode == 0


@pytest.mark.timeout(30)
def test_threads_take_turns_and_a_thread_may_enter_again(tmp_path: Path) -> None:
    gate = WriteGate(tmp_path / "db-write.lock")
    inside: list[int] = []
    most = [0]

    def write(n: int) -> None:
        for _ in range(20):
            with gate.held(), gate.held():  # re-entered by the same thread: no deadlock
                inside.append(n)
                most[0] = max(most[0], len(inside))
                time.sleep(0.001)
                inside.remove(n)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert most[0] == 1, "never two writers inside at once"


@pytest.mark.timeout(30)
def test_a_forked_child_gets_a_gate_of_its_own(tmp_path: Path) -> None:
    database = str(tmp_path / "x.db")
    parent_gate = gate_for(database)
    assert gate_for(database) is parent_gate
    with parent_gate.held():
        pass  # the descriptor is open now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a new gate, which it can take while the parent holds nothing
        try:
            gate = gate_for(database)
            with gate.held():
                os.write(write, b"ok" if gate is not parent_gate else b"same")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 10) == b"ok" and os.waitstatus_to_exitcode(status) == 0
    os.close(read)


@pytest.mark.timeout(60)
def test_concurrent_writers_through_the_database_lose_nothing(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'gate.db'}")
    from sqlalchemy import text

    with db.writing() as s:
        s.execute(text("CREATE TABLE counter (n INTEGER)"))
        s.execute(text("INSERT INTO counter VALUES (0)"))

    def bump() -> None:
        for _ in range(50):
            with db.writing() as s:
                n = s.execute(text("SELECT n FROM counter")).scalar_one()
                s.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(50)
    with db.reading() as s:
        assert s.execute(text("SELECT n FROM counter")).scalar_one() == 400
    assert (tmp_path / "gate.db-write.lock").exists(), "the lock file lives beside the DB"
