"""The workspace on disk: discovery, the SQLite DB in WAL mode at the newest migration, datastores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from duto import Datastore, Workspace
from duto.errors import DatastoreNotFoundError, WorkspaceExistsError, WorkspaceNotFoundError
from duto.storage.db import HEAD_REVISION, current_revision


def test_create_lays_out_the_workspace_and_refuses_a_second_time(tmp_path):
    ws = Workspace.create(tmp_path / "w")
    config = json.loads((tmp_path / "w" / ".duto" / "config.json").read_text())
    assert config["default_datastore"] == "workspaceblobstore"
    assert (tmp_path / "w" / ".duto" / "datastores" / "workspaceblobstore").is_dir()
    assert list(ws.compute_targets) == ["local"]
    with pytest.raises(WorkspaceExistsError, match="exist_ok=True"):
        Workspace.create(tmp_path / "w")
    assert Workspace.create(tmp_path / "w", exist_ok=True).root == ws.root


def test_db_is_sqlite_in_wal_mode_at_the_newest_migration(ws):
    engine = ws.database.engine
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    assert current_revision(engine) == HEAD_REVISION


def test_from_config_walks_up_then_honours_duto_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("DUTO_WORKSPACE", raising=False)
    first = Workspace.create(tmp_path / "first")
    second = Workspace.create(tmp_path / "second")
    deep = first.root / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert Workspace.from_config().root == first.root
    monkeypatch.setenv("DUTO_WORKSPACE", str(second.root))
    assert Workspace.from_config().root == second.root
    assert Workspace.from_config(first.root).root == first.root, "an explicit path wins"


def test_no_workspace_says_to_run_duto_init(tmp_path, monkeypatch):
    monkeypatch.delenv("DUTO_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorkspaceNotFoundError, match="duto init"):
        Workspace.from_config()


def test_datastore_upload_and_download_round_trip(ws, tmp_path):
    source = tmp_path / "src"
    (source / "deep").mkdir(parents=True)
    (source / "x.txt").write_text("x")
    (source / "deep" / "y.txt").write_text("y")
    ds = Datastore(ws, "workspaceblobstore")
    assert ds.name == ws.get_default_datastore().name == "workspaceblobstore"
    assert Datastore.get(ws, "workspaceblobstore").root == ds.root
    ds.upload(str(source), target_path="data", show_progress=False)
    ds.upload_files([str(source / "x.txt")], target_path="single", show_progress=False)
    (source / "x.txt").write_text("changed")
    ds.upload(str(source), target_path="data", overwrite=False, show_progress=False)
    assert (ds.root / "data" / "x.txt").read_text() == "x", "overwrite=False keeps what is there"

    assert ds.download(tmp_path / "out", prefix="data", show_progress=False) == 2
    assert (tmp_path / "out" / "data" / "deep" / "y.txt").read_text() == "y"
    assert (ds.root / "single" / "x.txt").read_text() == "x"
    assert list(Path(ds.root).rglob("*.tmp-*")) == []
    with pytest.raises(DatastoreNotFoundError, match="workspaceblobstore"):
        Datastore(ws, "nope")


def test_experiments_and_get_run(ws, write_script):
    from duto import Experiment
    from duto.pipeline import Pipeline
    from duto.pipeline.steps import PythonScriptStep

    src = write_script("a.py", "print('a')\n")
    run = Experiment(ws, "exp").submit(Pipeline(ws, [PythonScriptStep("a.py", source_directory=src)]))
    run.wait_for_completion(show_output=False)
    assert list(ws.experiments) == ["exp"]
    assert ws.get_run(run.id[:8]).id == run.id
    assert [r.id for r in ws.experiments["exp"].get_runs()] == [run.id]


def test_the_migrations_make_the_schema_the_models_describe(ws):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from duto.storage.models import Base

    with ws.database.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


def test_datastore_transfers_print_nothing_when_output_is_not_a_terminal(ws, tmp_path, capsys, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "x.txt").write_text("x")
    ds = ws.get_default_datastore()
    for name in ("TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    ds.upload(str(tmp_path / "src"), target_path="data")  # show_progress=True, the default, as in Azure
    ds.upload_files([str(tmp_path / "src" / "x.txt")], target_path="single")
    assert ds.download(tmp_path / "out", prefix="data") == 1
    assert capsys.readouterr() == ("", "")

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # what Rich takes for a terminal
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    ds.upload_files([str(tmp_path / "src" / "x.txt")], target_path="again", overwrite=True)
    assert capsys.readouterr().out != "", "on a terminal, show_progress draws its bar"
    ds.upload_files([str(tmp_path / "src" / "x.txt")], target_path="again", overwrite=True, show_progress=False)
    assert capsys.readouterr() == ("", "")
