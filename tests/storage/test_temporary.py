"""Temporary names: a stray of a writer that died is told from one being written now."""

from __future__ import annotations

import os
import time

from conftest import stray_name
from duto.storage.temporary import FOREIGN_STRAY_SECONDS, TMP_MARK, is_stray, strays, temporary_name


def test_a_temporary_of_this_process_is_no_stray_and_one_of_a_dead_process_is(tmp_path):
    mine = tmp_path / temporary_name("blob")
    dead = tmp_path / stray_name("blob")
    final = tmp_path / "blob"
    for path in (mine, dead, final):
        path.write_bytes(b"x")
    assert mine.name.startswith(f"blob{TMP_MARK}") and str(os.getpid()) in mine.name
    assert not is_stray(mine) and is_stray(dead) and not is_stray(final)
    assert list(strays(tmp_path)) == [dead]


def test_one_from_another_machine_is_a_stray_only_when_a_day_old(tmp_path):
    foreign = tmp_path / f"blob{TMP_MARK}00000000-{os.getpid()}-abcd"
    foreign.write_bytes(b"x")
    assert not is_stray(foreign)
    old = time.time() - FOREIGN_STRAY_SECONDS - 60
    os.utime(foreign, (old, old))
    assert is_stray(foreign)


def test_strays_below_a_folder_are_found_once_each(tmp_path):
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    stray_folder = deep / stray_name(".out")
    (stray_folder / "inside").mkdir(parents=True)
    (stray_folder / "inside" / stray_name("f")).write_bytes(b"x")
    assert list(strays(tmp_path)) == []
    assert list(strays(tmp_path, recursive=True)) == [stray_folder]
