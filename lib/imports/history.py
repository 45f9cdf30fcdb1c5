"""Import history: the batch record of each applied import, and reverting the latest one."""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import col, select

from lib import clock, versions
from lib.errors import NotFound, PortalError
from lib.imports.mapping_layouts import FIELDS
from lib.imports.result import Problem
from lib.models import ImportBatch
from lib.store import raw_connection, session_scope, with_retry

T = TypeVar("T")
REVERTING = "reverting"  # values restored, inserted rows not yet removed: revert again to finish
# Applying an import and reverting one take turns in this process (the only one that can write
# to an open DuckDB store): a revert runs in three transactions, and an import committed between
# them would become the latest while the revert still removes the rows it checked.
APPLY_OR_REVERT = threading.Lock()

# Columns an import writes, with their types, restored from before-images on revert.
RESTORE = {
    "document": {
        "issue_date": "DATE", "due_date": "DATE", "currency": "VARCHAR",
        "total": "DECIMAL(18,4)", "paid": "DECIMAL(18,4)", "feed_paid": "DECIMAL(18,4)",
        "correction_note": "VARCHAR", "po_reference": "VARCHAR", "branch": "VARCHAR",
        "description": "VARCHAR", "erp_status": "VARCHAR", "import_id": "INTEGER",
        "updated_at": "TIMESTAMPTZ",
    },
    "payment": {"payment_date": "DATE", "currency": "VARCHAR", "amount": "DECIMAL(18,4)",
                "import_id": "INTEGER"},
    "account": {"name": "VARCHAR", "parent_code": "VARCHAR"},
}
CHILDREN = {  # entity of a before-image list -> (table, parent column, columns with types)
    "document_lines": ("document_line", "document_id", {
        "id": "INTEGER", "document_id": "INTEGER", "line_no": "INTEGER", "item_code": "VARCHAR",
        "description": "VARCHAR", "quantity": "DECIMAL(18,4)", "unit_price": "DECIMAL(18,4)",
        "amount": "DECIMAL(18,4)"}),
    "payment_allocations": ("allocation", "payment_id", {
        "id": "INTEGER", "payment_id": "INTEGER", "document_id": "INTEGER",
        "amount": "DECIMAL(18,4)"}),
}


def refuse_while_reverting(conn: Any) -> None:
    """No import is applied while the latest one's revert is unfinished: once another import
    is the latest, the stopped revert could no longer be finished."""
    found = conn.execute(
        "SELECT id FROM import_batch WHERE status = ? AND id = (SELECT max(id) FROM "
        "import_batch WHERE status IN ('applied', ?))", [REVERTING, REVERTING]).fetchone()
    if found is not None:
        raise PortalError(
            f"Import {found[0]} was being reverted when the revert stopped: finish it first "
            "(Import history, revert it again), then import this file.")


def create_batch(conn: Any, now: datetime, actor: str, file_name: str, sha256: str, kind: str,
                 mapping_name: str, mapping: dict[str, str]) -> int:
    """Insert the import's batch row (inside the import's transaction) and return its id."""
    row = conn.execute(
        "INSERT INTO import_batch (created_at, actor, file_name, sha256, kind, mapping_name, "
        "mapping_json, status, inserted, updated, unchanged, rejected, errors_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'applied', 0, 0, 0, 0, '[]') RETURNING id",
        [now, actor, file_name, sha256, kind, mapping_name, json.dumps(mapping, sort_keys=True)],
    ).fetchone()
    versions.mark_native(conn, "import")  # cached pages see the import as it commits
    return int(row[0])


def finish_batch(conn: Any, batch: int, now: datetime, actor: str, counts: dict[str, int],
                 problems: list[Problem], detail: dict[str, Any]) -> None:
    """Store the counts and rejected rows, and audit the import."""
    errors = json.dumps([p.to_json_dict() for p in problems])
    conn.execute(
        "UPDATE import_batch SET inserted = ?, updated = ?, unchanged = ?, rejected = ?, "
        "errors_json = ? WHERE id = ?",
        [counts.get("inserted", 0), counts.get("updated", 0), counts.get("unchanged", 0),
         counts.get("rejected", 0), errors, batch],
    )
    audit(conn, now, actor, "import", f"import {batch}", {**detail, **counts, "import_id": batch})


def audit(conn: Any, now: datetime, actor: str, action: str, target: str,
          detail: dict[str, Any]) -> None:
    """An audit event written on the import's own connection and transaction."""
    conn.execute(
        "INSERT INTO audit_event (occurred_at, actor, action, account_code, target, detail_json) "
        "VALUES (?, ?, ?, '', ?, ?)",
        [now, actor or "anonymous", action, target, json.dumps(detail, default=str,
                                                                sort_keys=True)],
    )


def list_imports(url: str, limit: int = 200) -> list[ImportBatch]:
    """The most recent imports first: who, when, file, checksum, mapping, counts, status."""
    with session_scope(url) as session:
        return list(session.exec(
            select(ImportBatch).order_by(col(ImportBatch.id).desc()).limit(limit)
        ).all())


def columns_used(batch: ImportBatch) -> list[tuple[str, str]]:
    """What the import read from each column of its file: (portal field, file column) pairs,
    in the order of the portal's fields; empty for an import without a file (the demo)."""
    fields = FIELDS.get(batch.kind, ())
    order = {spec.name: index for index, spec in enumerate(fields)}
    labels = {spec.name: spec.label for spec in fields}
    stored: dict[str, str] = json.loads(batch.mapping_json or "{}")
    return [(labels.get(name, name), column)
            for name, column in sorted(stored.items(), key=lambda kv: order.get(kv[0], len(order)))
            if column]  # fmt: skip


def import_problems(url: str, import_id: int) -> list[Problem]:
    """The rows an import rejected (when valid rows only were applied), as problems."""
    with session_scope(url) as session:
        batch = session.get(ImportBatch, import_id)
    if batch is None:
        raise NotFound(f"There is no import {import_id}.")
    return [Problem(p.get("row"), p.get("column", ""), p.get("value", ""), p.get("message", ""))
            for p in json.loads(batch.errors_json or "[]")]


def revert_import(url: str, import_id: int, actor: str) -> dict[str, int]:
    """Undo the latest applied import if nothing has changed its rows since; returns counts.

    DuckDB refuses to delete a row in the same transaction that deleted the rows referencing it,
    so the revert runs in three short transactions: restore values and remove child rows (the
    step that can be refused; the import is then 'reverting'), then remove the inserted
    documents or payments, then the accounts the import created (it is then 'reverted'). A
    revert stopped between them (a crash) is finished by reverting the same import again.
    """
    with APPLY_OR_REVERT:
        counts = _in_transaction(url, lambda conn: _revert(conn, import_id, actor))
        table = "payment" if counts.pop("payments") else "document"
        counts["removed"] = _in_transaction(
            url, lambda conn: _remove_inserted(conn, import_id, table))
        counts["accounts_removed"] = _in_transaction(url, lambda conn: _finish(conn, import_id))
    return counts


def _in_transaction(url: str, step: Callable[[Any], T]) -> T:
    def work() -> T:
        with raw_connection(url) as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                result = step(conn)
                versions.mark_native(conn, "revert")  # each step changes what pages show
                versions.commit_native(conn)
                return result
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    return with_retry(work)


def _revert(conn: Any, import_id: int, actor: str) -> dict[str, int]:
    found = conn.execute("SELECT status, created_at, kind FROM import_batch WHERE id = ?",
                         [import_id]).fetchone()
    if found is None:
        raise NotFound(f"There is no import {import_id}.")
    status, created, kind = found
    table = "payment" if kind == "payments" else "document"
    if status == REVERTING:  # values restored already: finish the removals
        return {"restored": 0, "payments": int(table == "payment")}
    if status != "applied":
        raise PortalError(
            f"Import {import_id} is {status}: only an applied import can be reverted.")
    latest = conn.execute("SELECT max(id) FROM import_batch WHERE status = 'applied'").fetchone()[0]
    if latest != import_id:
        raise PortalError(f"Only the latest import can be reverted: import {latest} came after "
                          f"import {import_id}. Revert that one first.")
    _check_untouched(conn, import_id, created, table)
    _check_accounts_free(conn, import_id)
    restored = _restore(conn, import_id)
    child, parent = ("document_line", "document_id") if table == "document" else (
        "allocation", "payment_id")
    conn.execute(f"DELETE FROM {child} WHERE {parent} IN ({_inserted(table)})",  # nosec B608
                 [import_id, import_id])
    conn.execute("UPDATE import_batch SET status = ? WHERE id = ?", [REVERTING, import_id])
    audit(conn, clock.now(), actor, "import_reverted", f"import {import_id}",
          {"import_id": import_id, "restored": restored})
    return {"restored": restored, "payments": int(table == "payment")}


def _touched(table: str) -> str:
    return (f"SELECT id FROM {table} WHERE import_id = ? UNION SELECT entity_id FROM "  # nosec B608
            f"import_change WHERE import_id = ? AND entity = '{table}' AND action = 'update'")


def _check_untouched(conn: Any, import_id: int, created: datetime, table: str) -> None:
    """Refuse when anything changed the import's rows after it (a correction, a PDF ...)."""
    label = "number" if table == "document" else "reference"
    # Documents carry updated_at, which corrections and PDF uploads set; payments only import_id.
    since = "OR updated_at IS DISTINCT FROM ?" if table == "document" else ""
    params = [import_id, import_id, import_id] + ([created] if since else [])
    found = conn.execute(
        f"SELECT count(*), min({label}) FROM {table} WHERE id IN ({_touched(table)}) AND "
        f"(import_id IS DISTINCT FROM ? {since})", params,  # nosec B608
    ).fetchone()
    if found[0]:
        raise PortalError(
            f"Import {import_id} can no longer be reverted: {found[0]} of its {table}s changed "
            f"since (for example {found[1]}), by a correction, a PDF upload or another change."
        )


def _check_accounts_free(conn: Any, import_id: int) -> None:
    """Accounts the import created may only go if nothing else uses them now."""
    new = ("SELECT entity_id FROM import_change WHERE import_id = ? AND entity = 'account' "
           "AND action = 'insert'")
    used = conn.execute(
        f"SELECT min(a.code) FROM account a WHERE a.id IN ({new}) AND ("  # nosec B608
        "EXISTS (SELECT 1 FROM access_grant g WHERE g.account_id = a.id) OR "
        "EXISTS (SELECT 1 FROM document d WHERE d.account_id = a.id "
        "AND d.import_id IS DISTINCT FROM ?) OR "
        "EXISTS (SELECT 1 FROM payment p WHERE p.account_id = a.id "
        "AND p.import_id IS DISTINCT FROM ?))",
        [import_id, import_id, import_id],
    ).fetchone()[0]
    if used is not None:
        raise PortalError(f"Import {import_id} can no longer be reverted: account {used}, which "
                          "it created, is in use since (a login was granted or records added).")


def _restore(conn: Any, import_id: int) -> int:
    """Put back the values updated rows had before the import; returns how many rows."""
    restored = 0
    for entity, columns in RESTORE.items():
        sets = ", ".join(f"{c} = CAST(json_extract_string(c.before_json, '$.{c}') AS {t})"
                         for c, t in columns.items())
        restored += _count(conn.execute(
            f"UPDATE {entity} SET {sets} "  # nosec B608
            f"FROM import_change c WHERE c.import_id = ? AND c.entity = '{entity}' "
            f"AND c.action = 'update' AND c.entity_id = {entity}.id",
            [import_id]))
    for entity, (table, parent, columns) in CHILDREN.items():
        changed = ("SELECT entity_id FROM import_change WHERE import_id = ? "  # nosec B608
                   f"AND entity = '{entity}'")
        conn.execute(f"DELETE FROM {table} WHERE {parent} IN ({changed})",  # nosec B608
                     [import_id])
        values = ", ".join(f"CAST(json_extract_string(x, '$.{c}') AS {t})"
                           for c, t in columns.items())
        conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM (SELECT "
            "unnest(from_json(before_json, '[\"json\"]')) AS x FROM import_change "  # nosec B608
            f"WHERE import_id = ? AND entity = '{entity}')", [import_id])
    return restored


def _inserted(table: str) -> str:
    """SQL: the documents or payments an import inserted (it holds no before-image of them)."""
    return (f"SELECT id FROM {table} WHERE import_id = ? "  # nosec B608
            "AND id NOT IN (SELECT entity_id FROM import_change WHERE import_id = ? "
            f"AND entity = '{table}' AND action = 'update')")


def _remove_inserted(conn: Any, import_id: int, table: str) -> int:
    """Delete the documents or payments a reverted import inserted."""
    inserted = _inserted(table)
    return _count(conn.execute(f"DELETE FROM {table} WHERE id IN ({inserted})",  # nosec B608
                               [import_id, import_id]))


def _finish(conn: Any, import_id: int) -> int:
    """The last step: remove the accounts the import created; the import is now reverted."""
    removed = _remove_accounts(conn, import_id)
    conn.execute("UPDATE import_batch SET status = 'reverted' WHERE id = ?", [import_id])
    return removed


def _remove_accounts(conn: Any, import_id: int) -> int:
    """Delete the accounts a reverted import created, unless something uses them now."""
    new = ("SELECT entity_id FROM import_change WHERE import_id = ? AND entity = 'account' "
           "AND action = 'insert'")
    return _count(conn.execute(
        f"DELETE FROM account a WHERE a.id IN ({new}) AND NOT EXISTS (SELECT 1 FROM document d "
        "WHERE d.account_id = a.id) AND NOT EXISTS (SELECT 1 FROM payment p WHERE "  # nosec B608
        "p.account_id = a.id) AND NOT EXISTS (SELECT 1 FROM access_grant g WHERE "
        "g.account_id = a.id)", [import_id]))


def _count(cursor: Any) -> int:
    """Rows changed by the statement just run (DuckDB returns them as a one-row result)."""
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def latest_import(url: str) -> ImportBatch | None:
    """The import that revert would undo, if any."""
    with session_scope(url) as session:
        return session.exec(
            select(ImportBatch).where(col(ImportBatch.status).in_(("applied", REVERTING)))
            .order_by(col(ImportBatch.id).desc()).limit(1)
        ).first()

