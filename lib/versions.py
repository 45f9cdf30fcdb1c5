"""The store's version: a mark per committed write, so cached reads are keyed by what they show.

Every write that changes what a page shows, or who may see it, adds a row to change_mark in the
writing transaction. ORM writes (session.add, session.delete, DML through session.execute) are
marked here, at each flush, from the tables and columns they changed; set-based SQL on the native
connection (imports, reverts, the demo loader) calls mark_native() before its COMMIT. The
version is the number of marks: marks are only ever added, so it moves with every such commit,
whichever process made it, and never comes back to an earlier value. Inserts never conflict
with each other, unlike updates of one counter row. A write that bypasses both (SQL run on a
connection outside a session, without mark_native) would leave cached pages stale: none does.

This process also counts its own commits of marked writes (`commits`): ORM sessions after their
COMMIT, native SQL through `commit_native`. While a DuckDB store is open here no other process
can write to it, so lib/store.py reads the version again only when that count has moved.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, orm

from lib import models

# Tables whose rows pages show (documents, accounts, imports, settings) or that decide who may
# log in and see what (contacts, grants). Audit, activity and import-change rows are not shown
# from caches, so writing them marks nothing.
TRACKED = frozenset({"document", "document_line", "payment", "allocation", "import_batch",
                     "account", "setting", "contact", "access_grant"})  # fmt: skip
# Login bookkeeping written on every login attempt: it changes no page and no session's
# validity (the login form reads it afresh), so it must not empty every cache.
BOOKKEEPING = {"contact": frozenset({"last_login_at", "failed_logins", "locked_until"})}
MARK: sa.Table = models.ChangeMark.__table__  # type: ignore[attr-defined]  # SQLModel sets it
_READ = "SELECT count(*) FROM change_mark"  # plain SQL: it runs on every page run
_MARKED = "portal_marked"  # in a session's info while its transaction holds a mark
_commits = 0
_commits_lock = threading.Lock()


def commits() -> int:
    """How many transactions holding a mark this process has committed so far."""
    return _commits


def _committed() -> None:
    """Count a commit of a marked write, once its COMMIT has returned (never before: a version
    read between the two would be kept as current)."""
    global _commits
    with _commits_lock:
        _commits += 1


def read(connection: sa.Connection) -> int:
    """The store's current version (on DuckDB's native connection: a third of the time)."""
    if connection.dialect.name == "duckdb":
        return read_native(connection.connection.dbapi_connection)
    return int(connection.exec_driver_sql(_READ).scalar_one())


def read_native(conn: Any) -> int:
    """The store's current version, on a native DuckDB connection."""
    return int(conn.execute(_READ).fetchone()[0])


def mark_native(conn: Any, what: str = "native sql") -> None:
    """Mark a write made with native SQL; call inside its transaction, then `commit_native`."""
    conn.execute("INSERT INTO change_mark (topic) VALUES (?)", [what[:200]])


def commit_native(conn: Any) -> None:
    """COMMIT a native transaction that holds a mark, and count it."""
    conn.execute("COMMIT")
    _committed()


def _changed(row: Any) -> bool:
    """Whether an updated row changed anything beyond login bookkeeping."""
    ignored = BOOKKEEPING.get(getattr(row, "__tablename__", ""))
    if ignored is None:
        return True
    return any(attr.history.has_changes() for attr in sa.inspect(row).attrs
               if attr.key not in ignored)  # fmt: skip


def _written(session: orm.Session) -> Iterator[str]:
    for row in (*session.new, *session.deleted):
        yield getattr(row, "__tablename__", "")
    for row in session.dirty:
        if _changed(row):
            yield getattr(row, "__tablename__", "")


def _mark(session: orm.Session, tables: Iterable[str]) -> None:
    found = sorted(TRACKED.intersection(tables))
    if found:
        # On the session's own connection: the mark commits or rolls back with the write.
        session.connection().execute(sa.insert(MARK).values(topic=",".join(found)[:200]))
        session.info[_MARKED] = True


@event.listens_for(orm.Session, "after_commit")
def _after_commit(session: orm.Session) -> None:
    if session.info.pop(_MARKED, False):
        _committed()


@event.listens_for(orm.Session, "after_rollback")
def _after_rollback(session: orm.Session) -> None:
    session.info.pop(_MARKED, None)


@event.listens_for(orm.Session, "after_flush")
def _after_flush(session: orm.Session, _context: Any) -> None:
    # Still before the flush is finalised: new, dirty, deleted and each change are visible.
    _mark(session, set(_written(session)))


@event.listens_for(orm.Session, "do_orm_execute")
def _on_execute(state: orm.ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _mark(state.session, [getattr(table, "name", "")])
