"""The one place that opens the database: one engine per store, a session per unit of work."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

# versions: importing it installs the listeners that mark every session's writes.
from lib import models, versions
from lib.errors import StoreBusy

SCHEMA_VERSION = 2
T = TypeVar("T")

# Offline machine: never let DuckDB try to download an extension.
_DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                  # Bounded memory: DuckDB spills to disk beyond this (a 1M-row import).
                  "memory_limit": os.environ.get("PORTAL_DUCKDB_MEMORY", "512MB")}

# Forward migrations: version reached -> (dialect or None for all, statement) that reach it
# from the one before.
MIGRATIONS: dict[int, list[tuple[str | None, str]]] = {
    # Indexes that duplicated DuckDB's own foreign-key indexes (models.foreign_key_index).
    2: [("duckdb", f"DROP INDEX IF EXISTS ix_{name}") for name in (
        "document_account_id", "document_line_document_id", "payment_account_id",
        "allocation_payment_id", "allocation_document_id")],
}


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


class _VersionReader:
    """One DuckDB store's version reader: its own connection, and the last version it read.

    Through the pool a read costs three times as much (returning a connection rolls back, and
    DuckDB answers an idle rollback with an exception). While this process holds a DuckDB
    store open, no other process can write to it (DuckDB's file lock), so the version can only
    move by a commit of this process: it is read again only after one (versions.commits()).
    Closed with the engines: another process may write once they are closed.
    """

    def __init__(self, native: Any, held: Any) -> None:
        self.lock = threading.Lock()
        self.native, self.held = native, held
        self.last: tuple[int, int] | None = None  # (this process's commits, version) then

    def read(self) -> int:
        """The version (call with the lock held)."""
        commits = versions.commits()  # counted before the read: a commit after it reads again
        if self.last is not None and self.last[0] == commits:
            return self.last[1]
        found = versions.read_native(self.native)
        self.last = (commits, found)
        return found

    def close(self) -> None:
        self.native.close()
        self.held.close()


_VERSION_READERS: dict[str, _VersionReader] = {}


def engine_for(url: str) -> Engine:
    """The engine of one store, created once per process."""
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = _open_engine(url)
        return _ENGINES[url]


def _open_engine(url: str) -> Engine:
    """Open and migrate a store; raises StoreBusy if another process holds it."""
    connect_args = {"config": dict(_DUCKDB_CONFIG)} if url.startswith("duckdb") else {}
    engine = sa.create_engine(url, connect_args=connect_args, pool_pre_ping=False)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # the driver's own error types vary: look at the message
        engine.dispose()
        if _is_lock_error(exc):
            raise StoreBusy(
                f"The portal (or another program) is using the store at {url.split('///')[-1]}. "
                "Stop the portal first, or place the file in the inbox folder for the running "
                "portal to import."
            ) from None
        raise
    migrate(engine)
    return engine


def migrate(engine: Engine) -> None:
    """Create missing tables, then apply forward migrations up to SCHEMA_VERSION."""
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        row = session.get(models.SchemaVersion, 1)
        current = row.version if row else 0
        for version in sorted(v for v in MIGRATIONS if current < v <= SCHEMA_VERSION):
            for dialect, statement in MIGRATIONS[version]:
                if dialect in (None, engine.dialect.name):
                    session.exec(sa.text(statement))  # type: ignore[call-overload]  # raw DDL
        if row is None:
            session.add(models.SchemaVersion(id=1, version=SCHEMA_VERSION))
        else:
            row.version = max(current, SCHEMA_VERSION)
            session.add(row)
        session.commit()


def close_all() -> None:
    """Dispose every engine (tests, CLI exit, restarts)."""
    with _ENGINES_LOCK:
        for reader in _VERSION_READERS.values():
            with reader.lock:  # not while another thread reads with it
                reader.close()
        _VERSION_READERS.clear()
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session for one unit of work: committed on success, rolled back on error."""
    with Session(engine_for(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def with_retry(work: Callable[[], T], attempts: int = 12) -> T:
    """Run a write again when DuckDB reports a conflict with a concurrent transaction.

    The waits grow from 50 ms to 2 s (about 12 s in all): long enough for an import of a
    large file that holds the same rows to commit, short enough to answer the user.
    """
    for attempt in range(attempts):
        try:
            return work()
        except Exception as exc:
            if "Conflict" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(min(2.0, 0.05 * 2**attempt))
    raise AssertionError("unreachable")


def current_version(url: str) -> int:
    """The store's version (lib/versions.py), read on every page run."""
    engine = engine_for(url)
    if engine.dialect.name != "duckdb":
        with engine.connect() as conn:
            return versions.read(conn)
    reader = _version_reader(url, engine)
    with reader.lock:
        try:
            return reader.read()
        except Exception as exc:  # the driver's own error types vary: look at the message
            if "closed" not in str(exc).lower():
                raise
    # Closed under us (it should not be: see _version_reader): open another and read again.
    _forget_reader(url, reader)
    reader = _version_reader(url, engine)
    with reader.lock:
        return reader.read()


def _version_reader(url: str, engine: Engine) -> _VersionReader:
    """The store's version reader: its own DuckDB connection, in autocommit, so each read sees
    every commit so far.

    A DuckDB duplicate dies with the connection it was made from, and the pool closes the
    connections it holds when it has too many or one fails its reset: under 20 simultaneous
    sessions that closed the reader, and every page run failed. So the reader is made from a
    connection taken from the pool for good, which the pool never closes.
    """
    with _ENGINES_LOCK:
        if url not in _VERSION_READERS:
            held = engine.raw_connection()
            native: Any = held.dbapi_connection
            _VERSION_READERS[url] = _VersionReader(native.duplicate(), held)
        return _VERSION_READERS[url]


def _forget_reader(url: str, reader: _VersionReader) -> None:
    with _ENGINES_LOCK:
        if _VERSION_READERS.get(url) is reader:
            del _VERSION_READERS[url]
            with contextlib.suppress(Exception):  # back to the pool, which may discard it
                reader.held.close()


@contextmanager
def raw_connection(url: str) -> Iterator[Any]:
    """The native DuckDB connection behind the engine, for set-based import SQL."""
    with engine_for(url).connect() as conn:
        yield conn.connection.dbapi_connection


def content_checksum(url: str) -> dict[str, str]:
    """A checksum of every table's content, to prove a failed operation changed nothing."""
    checksums: dict[str, str] = {}
    with session_scope(url) as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = session.exec(select(table)).all()  # type: ignore[call-overload]
            digest = hashlib.sha256("\n".join(sorted(map(repr, rows))).encode())
            checksums[table.name] = digest.hexdigest()
    return checksums
