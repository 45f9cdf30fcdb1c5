"""The store: schema version and forward migrations on a real DuckDB file."""

from __future__ import annotations

from typing import Any

from lib import store, versions
from lib.settings import Settings
from tests import factories

# Schema version 1 indexed these foreign-key columns a second time: (table, column).
OLD_INDEXES = {("document", "account_id"), ("document_line", "document_id"),
               ("payment", "account_id"), ("allocation", "payment_id"),
               ("allocation", "document_id")}  # fmt: skip
OLD_NAMES = {f"ix_{table}_{column}" for table, column in OLD_INDEXES}


def _indexes(conn: Any) -> set[str]:
    return {name for (name,) in conn.execute("SELECT index_name FROM duckdb_indexes()").fetchall()}


def _version(conn: Any) -> int:
    return int(conn.execute("SELECT version FROM schema_version").fetchone()[0])


def test_a_new_store_keeps_foreign_keys_without_a_second_index(settings: Settings) -> None:
    url = settings.database_url
    with store.raw_connection(url) as conn:
        assert _version(conn) == store.SCHEMA_VERSION == 2
        assert not _indexes(conn) & OLD_NAMES
        keys = conn.execute(
            "SELECT constraint_text FROM duckdb_constraints() "
            "WHERE constraint_type = 'FOREIGN KEY' AND table_name = 'document'").fetchall()
    assert keys == [("FOREIGN KEY (account_id) REFERENCES account(id)",)]


def test_a_version_1_store_loses_the_duplicate_indexes_and_keeps_its_rows(
    settings: Settings,
) -> None:
    url = settings.database_url
    with store.session_scope(url) as session:
        factories.document(session, "INV-OLD-1", account=factories.account(session, "OLD"))
    with store.raw_connection(url) as conn:  # as schema version 1 left a store
        for table, column in OLD_INDEXES:
            conn.execute(f"CREATE INDEX ix_{table}_{column} ON {table}({column})")
        conn.execute("UPDATE schema_version SET version = 1")
        assert _indexes(conn) >= OLD_NAMES
    store.close_all()

    with store.raw_connection(url) as conn:  # opened again: migrated
        assert _version(conn) == 2
        assert not _indexes(conn) & OLD_NAMES
        numbers = conn.execute("SELECT number FROM document").fetchall()
    assert numbers == [("INV-OLD-1",)]


def test_the_version_reader_outlives_the_pool_closing_its_connections(
    settings: Settings,
) -> None:
    """Under load the pool closes connections it holds (overflow, a failed reset); the version,
    read on every page run, must still be read afterwards."""
    url = settings.database_url
    first = store.current_version(url)
    store.engine_for(url).dispose()  # closes every connection the pool holds
    with store.session_scope(url) as session:
        factories.account(session, "NEW")  # a write pages show: the version moves
    assert store.current_version(url) > first


def test_a_version_read_before_a_write_commits_is_not_kept(settings: Settings) -> None:
    """The version is read again only after a commit of this process: one read while a write
    is flushed but not committed must not be served once the write has committed."""
    url = settings.database_url
    before = store.current_version(url)
    with store.session_scope(url) as session:
        factories.account(session, "MID")
        session.flush()  # marked, not yet committed
        assert store.current_version(url) == before
    assert store.current_version(url) > before
    with store.raw_connection(url) as conn:  # the same through native SQL
        conn.execute("BEGIN TRANSACTION")
        conn.execute("UPDATE account SET name = 'Renamed' WHERE code = 'MID'")
        versions.mark_native(conn, "test")
        middle = store.current_version(url)
        versions.commit_native(conn)
    assert store.current_version(url) > middle
