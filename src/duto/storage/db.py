"""The metadata DB: one engine per workspace, SQLite in WAL mode, schema kept by Alembic migrations."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from duto.storage.write_gate import gate_for

# The newest migration in migrations/versions; opening a DB at this revision skips Alembic entirely.
HEAD_REVISION = "0013"
BUSY_TIMEOUT_MS = 30_000
COMMIT_WATCH_SECONDS = 0.005
POOL_SIZE = 16
POOL_OVERFLOW = 32
_MIGRATIONS = Path(__file__).with_name("migrations")
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver emits no BEGIN of its own: each transaction says BEGIN, or BEGIN IMMEDIATE for read-then-write
    # work, as its first statement (`Database._transaction`).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def engine_for(url: str) -> Engine:
    """The process's engine for a DB URL, created once and migrated to the newest schema."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create(url)
            migrate(engine)
            _engines[url] = engine
        return engine


def _create(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Connections are kept for reuse (POOL_SIZE of them): opening one costs its PRAGMAs, and a server's worker
        # threads would otherwise open and close the ones beyond the pool's default five on every burst.
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
        # A pool event, run once per new connection. BEGIN is not emitted from a "begin" connection event: a
        # connection event makes SQLAlchemy dispatch events around every statement, which cost a runner more
        # than SQLite's work on its small transactions.
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    except OperationalError:
        return None


def migrate(engine: Engine) -> None:
    """Bring the DB's schema to the newest migration; cheap when it is there already."""
    if current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # see _sqlite_pragmas
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _close_before_fork() -> None:
    """Close every pooled connection before this process forks, so that no SQLite connection crosses a fork.

    SQLite keeps one record per open database file in each process, with the POSIX locks that process holds
    on it, and shares it between the process's connections. A forked child inherits the record but not the
    locks, which stay the parent's: a connection the child opens then believes it holds locks the kernel
    never gave it. When the parent later closes its last connection, it finds nobody else holding the WAL
    and deletes it, and every commit the child makes afterwards goes into a deleted file: a runner forked
    from its submitter lost its whole run when the submitter exited first. With no connection open at the
    fork, the record is gone and the child starts clean. (A connection checked out of the pool stays open;
    see `connections_in_use`.)
    """
    if not _engines_lock.acquire(blocking=False):  # a thread is creating an engine; it is not ours to close
        return
    try:
        for engine in _engines.values():
            engine.pool.dispose()
    finally:
        _engines_lock.release()


def _forget_engines_in_child() -> None:
    """In a forked child, drop the parent's engines without closing their connections (SQLAlchemy's recipe):
    a connection must never be used by two processes, and the child opens its own when it needs one."""
    global _engines_lock
    _engines_lock = threading.Lock()  # another thread of the parent may have held it at the fork
    for engine in _engines.values():
        engine.dispose(close=False)
    _engines.clear()


os.register_at_fork(before=_close_before_fork, after_in_child=_forget_engines_in_child)


def connections_in_use() -> int:
    """How many connections of this process's engines are checked out now; a fork is safe for a child that
    uses SQLite only when there are none (see `_close_before_fork`)."""
    with _engines_lock:
        return sum(getattr(engine.pool, "checkedout", lambda: 0)() for engine in _engines.values())


def dispose_all() -> None:
    """Close every pooled connection (before a fork, or at the end of a test)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


class Database:
    """Sessions on one workspace's DB: short transactions, and `writing()` for read-then-write work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        self._sqlite = self.engine.dialect.name == "sqlite"
        self._batch = threading.local()
        # A check run at the start of every write transaction (a runner's lease, see lease_store.fence);
        # it raises to refuse the write.
        self.fence: Callable[[Connection], None] | None = None
        database = self.engine.url.database if url.startswith("sqlite") else None
        on_disk = bool(database) and database != ":memory:"
        # Looked up at each write, not kept: a forked child then uses its own gate, never its parent's.
        self._gate_file = str(database) if on_disk else None
        self._wal = f"{database}-wal" if on_disk else None

    def _commit_mark(self) -> tuple[int, int] | None:
        """What changes when a transaction commits, read without a query: the stat of SQLite's WAL file."""
        if self._wal is None:
            return None
        try:
            st = os.stat(self._wal)
        except FileNotFoundError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_size)

    def commit_mark(self) -> tuple[int, int] | None:
        """A value that changes when a transaction commits (None where that cannot be told without a query)."""
        return self._commit_mark()

    def wait_for_commit(self, until: float, since: tuple[int, int] | None = None) -> None:
        """Sleep until another transaction may have committed, or until `until` (a `time.monotonic()` value).

        On SQLite this watches the WAL file, so a follower of a run sees new events within milliseconds at
        the cost of a stat; elsewhere it sleeps until `until`. Either way the caller queries afterwards. `since`
        is a `commit_mark()` taken before the caller's last query: a commit after it, even one made before this
        call, returns at once.
        """
        mark = since if since is not None else self._commit_mark()
        if mark is not None and self._commit_mark() != mark:
            return
        while (left := until - time.monotonic()) > 0:
            time.sleep(min(left, COMMIT_WATCH_SECONDS) if mark is not None else left)
            if mark is not None and self._commit_mark() != mark:
                return

    @contextmanager
    def _transaction(self, immediate: bool = False) -> Iterator[Connection]:
        """One transaction on a pooled connection, committed at the block's end and rolled back if it raises; on
        SQLite `immediate` takes the write lock at its start (BEGIN IMMEDIATE)."""
        with self.engine.connect() as connection, connection.begin():
            if self._sqlite:  # its driver leaves BEGIN to us (see _sqlite_pragmas)
                connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
            yield connection

    @contextmanager
    def _session_on(self, connection: Connection) -> Iterator[Session]:
        """An ORM Session in `connection`'s transaction; its writes are flushed at the block's end, and the
        transaction is committed by whoever began it."""
        with Session(bind=connection, join_transaction_mode="rollback_only", expire_on_commit=False) as session:
            yield session
            session.flush()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        if self._batch_connection() is not None:
            yield self._batch_session()
            return
        with self._transaction() as connection, self._session_on(connection) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that takes the write lock at its start, so what it read is still true when it writes."""
        if self._batch_connection() is not None:
            session = self._batch_session()
            yield session
            session.flush()
            return
        with (
            gate_for(self._gate_file).held() if self._gate_file else contextlib.nullcontext(),  # see write_gate
            self._transaction(immediate=True) as connection,
        ):
            if self.fence is not None:
                self.fence(connection)
            with self._session_on(connection) as session:
                yield session

    @contextmanager
    def reading_core(self) -> Iterator[Connection]:
        """`reading()` as a SQLAlchemy Core connection: for the statements asked on every step a runner drives,
        where an ORM Session's setup and bookkeeping would cost more than the SQL."""
        batch = self._batch_connection(flushed=True)
        if batch is not None:
            yield batch
            return
        with self._transaction() as connection:
            yield connection

    @contextmanager
    def writing_core(self) -> Iterator[Connection]:
        """`writing()` as a SQLAlchemy Core connection: the same write lock, gate and fence, without a Session.

        For the writes made on every step a runner drives (status changes, events, reuse entries); inside a
        `batch()` it is the batch's connection, after the batch's pending ORM objects are written.
        """
        batch = self._batch_connection(flushed=True)
        if batch is not None:
            yield batch
            return
        with (
            gate_for(self._gate_file).held() if self._gate_file else contextlib.nullcontext(),  # see write_gate
            self._transaction(immediate=True) as connection,
        ):
            if self.fence is not None:
                self.fence(connection)
            yield connection

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Make every read and write of this thread inside the block one transaction, committed at its end.

        For a burst of small writes by one process (deciding many steps at once, or a step's commit); keep the
        block short, since it holds the write lock throughout. The transaction is one Core connection's; an ORM
        Session joins it only when something in the block reads or writes through `reading()` or `writing()`.
        """
        if self._batch_connection() is not None:
            yield
            return
        with self.writing_core() as connection:
            self._batch.connection, self._batch.session = connection, None
            try:
                yield
                if self._batch.session is not None:
                    self._batch.session.flush()
            finally:
                if self._batch.session is not None:
                    self._batch.session.close()  # leaves the connection's transaction to the block's end
                self._batch.connection, self._batch.session = None, None

    def _batch_connection(self, flushed: bool = False) -> Connection | None:
        """This thread's batch connection, if a batch is open; with `flushed`, after its Session's pending writes."""
        connection: Connection | None = getattr(self._batch, "connection", None)
        session: Session | None = getattr(self._batch, "session", None)
        if flushed and session is not None:
            session.flush()
        return connection

    def _batch_session(self) -> Session:
        """The Session of this thread's batch, made on its first use, in the batch connection's transaction."""
        session: Session | None = self._batch.session
        if session is None:
            session = self._batch.session = Session(
                bind=self._batch.connection, join_transaction_mode="rollback_only", expire_on_commit=False
            )
        return session
