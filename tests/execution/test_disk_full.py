"""A full disk loses nothing: no output under a final name, no reuse entry, and a reason that says so.

A real ENOSPC needs no privileges: writes to /dev/full fail with it.
"""

from __future__ import annotations

import errno

import pytest

from conftest import run_duto, stray_name
from duto import Experiment
from duto.execution.commit import _why
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
from duto.storage.reuse_store import ReuseStore
from duto.storage.temporary import temporary_name

# Writes part of its output, then the rest through /dev/full.
FILLS_THE_DISK = """
import os, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "part1.bin"), "wb").write(b"x" * 4096)
os.symlink("/dev/full", os.path.join(out, "part2.bin"))
with open(os.path.join(out, "part2.bin"), "wb") as f:
    f.write(b"y" * 4096)
"""
# Succeeds, leaving a device in its output.
LEAVES_A_DEVICE = """
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
open(os.path.join(sys.argv[1], "ok.txt"), "w").write("ok")
os.symlink("/dev/full", os.path.join(sys.argv[1], "device"))
"""


def run_one(ws, src, script):
    out = PipelineData("model")
    step = PythonScriptStep(script, source_directory=src, arguments=[out], outputs=[out])
    run = Experiment(ws, "disk").submit(Pipeline(ws, [step]))
    assert run.wait_for_completion(show_output=False, raise_on_error=False, timeout_seconds=60) == "Failed"
    return run.get_steps()[0]


def nothing_published(ws) -> bool:
    return not any(p.is_file() for p in (ws.get_default_datastore().root / "azureml").rglob("*"))


def test_a_step_that_fills_the_disk_fails_saying_so_and_leaves_nothing(ws, write_script):
    src = write_script("fills.py", FILLS_THE_DISK)
    step = run_one(ws, src, "fills.py")
    assert step.reason == "no space left on device while writing output 'model' (exited with code 1)"
    assert "No space left on device" in step.get_stdout_log()
    assert nothing_published(ws)
    assert ReuseStore(ws.database).entries() == []


def test_an_output_holding_a_device_is_refused_and_nothing_is_published(ws, write_script):
    src = write_script("device.py", LEAVES_A_DEVICE)
    step = run_one(ws, src, "device.py")
    assert step.reason.startswith("output 'model' holds 'device', which is not a file or a folder")
    assert nothing_published(ws)
    assert ReuseStore(ws.database).entries() == []
    assert list(ws.content_store.tmp.iterdir()) == [], "what was staged is gone"


def test_a_full_disk_while_committing_names_the_output():
    with pytest.raises(OSError) as full, open("/dev/full", "wb") as device:
        device.write(b"x")
        device.flush()
    assert full.value.errno == errno.ENOSPC
    assert _why("model", full.value) == "no space left on device while writing output 'model'"


def test_strays_of_a_writer_that_died_go_with_the_next_run_and_cache_gc(ws, write_script):
    in_store = ws.content_store.tmp / stray_name("blob")
    in_store.write_bytes(b"half a blob")
    datastore = ws.get_default_datastore().root / "azureml" / "x"
    datastore.mkdir(parents=True)
    half_published = datastore / stray_name(".model")
    (half_published / "part").mkdir(parents=True)
    (half_published / "part" / "f").write_bytes(b"half an output")
    live = ws.content_store.tmp / temporary_name("blob")  # this process writes it now: it stays
    live.write_bytes(b"being written")

    src = write_script("ok.py", "print('ok')\n")
    run = Experiment(ws, "strays").submit(Pipeline(ws, [PythonScriptStep("ok.py", source_directory=src)]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"
    assert not in_store.exists() and live.exists()
    assert half_published.exists(), "a run only tidies the store; the datastores are gc's"

    gc = run_duto("cache", "gc", cwd=ws.root)
    assert gc.returncode == 0 and "1 temporary files" in gc.stdout, gc.stdout
    assert not half_published.exists() and live.exists()
