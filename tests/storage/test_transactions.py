"""Each way into the metadata DB is one real SQLite transaction: reads see one snapshot, writes take the write lock
at their start and are undone whole when their block raises, whether through the ORM or SQLAlchemy Core."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy import text

from duto.storage.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'duto.db'}")
    with database.writing_core() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    yield database
    database.engine.dispose()


def other_connection(db: Database) -> sqlite3.Connection:
    """A connection of its own, as another process would have, that waits for no lock."""
    assert db.engine.url.database is not None
    return sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)


def count(db: Database) -> int:
    with db.reading_core() as connection:
        return int(connection.execute(text("SELECT count(*) FROM notes")).scalar_one())


def orm_write(db: Database) -> AbstractContextManager[object]:
    return db.writing()


def core_write(db: Database) -> AbstractContextManager[object]:
    return db.writing_core()


def insert(handle: object) -> None:
    handle.execute(text("INSERT INTO notes VALUES ('kept?')"))  # type: ignore[attr-defined]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("write", [orm_write, core_write], ids=["orm", "core"])
def test_a_write_holds_the_lock_from_its_start_and_is_undone_whole_when_it_raises(
    db: Database, write: Callable[[Database], AbstractContextManager[object]]
) -> None:
    other = other_connection(db)
    with pytest.raises(RuntimeError), write(db) as handle:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")  # before the block wrote anything: BEGIN IMMEDIATE took the lock
        insert(handle)
        insert(handle)
        raise RuntimeError("the block fails after its writes")
    assert count(db) == 0, "neither insert was kept"
    with write(db) as handle:
        insert(handle)
    assert count(db) == 1
    other.close()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("read", [lambda db: db.reading(), lambda db: db.reading_core()], ids=["orm", "core"])
def test_a_read_sees_one_snapshot_whatever_commits_meanwhile(
    db: Database, read: Callable[[Database], AbstractContextManager[object]]
) -> None:
    other = other_connection(db)
    with read(db) as handle:
        first = handle.execute(text("SELECT count(*) FROM notes")).scalar_one()  # type: ignore[attr-defined]
        other.execute("INSERT INTO notes VALUES ('committed by another connection')")
        again = handle.execute(text("SELECT count(*) FROM notes")).scalar_one()  # type: ignore[attr-defined]
    assert (first, again) == (0, 0), "the second read is in the first one's transaction"
    assert count(db) == 1, "a new read sees the commit"
    other.close()


@pytest.mark.timeout(30)
def test_a_batch_is_one_transaction_for_the_orm_and_core_alike(db: Database) -> None:
    with pytest.raises(RuntimeError), db.batch():
        with db.writing() as session:
            insert(session)
        with db.writing_core() as connection:
            insert(connection)
        raise RuntimeError("the batch fails after both writes")
    assert count(db) == 0
