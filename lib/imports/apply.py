"""Writing a staged documents file: set-based upserts inside the caller's one transaction.

Before-images of every row an update touches go to import_change first, so the import can be
reverted. The paid rule: `paid` is what the portal shows and `feed_paid` what the feed last said;
a changed feed value replaces both (superseding a staff correction, which is audited), the same
feed value leaves `paid` alone.
"""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.imports.documents import TEXTS

FEED_COLUMNS = ("issue_date", "due_date", "currency", "total", *TEXTS)


def new_accounts(conn: Any, batch: int, now: datetime) -> int:
    """Create the accounts in imp_new_accounts (staged by the compare step); returns how many."""
    conn.execute("INSERT INTO account (code, name, created_at) "
                 "SELECT code, name, ? FROM imp_new_accounts ORDER BY code", [now])
    conn.execute(
        "INSERT INTO import_change (import_id, entity, entity_id, action) "
        "SELECT ?, 'account', id, 'insert' FROM account "
        "WHERE code IN (SELECT code FROM imp_new_accounts)", [batch]
    )
    return int(conn.execute("SELECT count(*) FROM imp_new_accounts").fetchone()[0])


def apply_documents(conn: Any, batch: int, now: datetime, actor: str, line_level: bool) -> dict[
    str, int
]:
    """Upsert the valid staged documents (and their lines); mark omitted ones paid if asked."""
    new_accounts(conn, batch, now)
    conn.execute(
        "CREATE OR REPLACE TEMP VIEW imp_upd AS SELECT o.doc_id, i.* FROM imp_ok o "
        "JOIN imp_doc i USING (rec) WHERE o.action = 'update'"
    )
    _before_images(conn, batch)
    _superseded(conn, batch, now, actor)
    _update(conn, batch, now)
    _mark_paid(conn, batch, now)
    _insert(conn, batch, now)
    if line_level:
        _replace_lines(conn, batch)
    counts = dict(conn.execute("SELECT action, count(*) FROM imp_ok GROUP BY 1").fetchall())
    marked = int(conn.execute("SELECT count(*) FROM imp_snap").fetchone()[0])
    return {"inserted": int(counts.get("insert", 0)), "updated": int(counts.get("update", 0)),
            "unchanged": int(counts.get("unchanged", 0)), "marked_paid": marked}


def _before_images(conn: Any, batch: int) -> None:
    conn.execute(
        "INSERT INTO import_change (import_id, entity, entity_id, action, before_json) "
        "SELECT ?, 'document', d.id, 'update', CAST(to_json(d) AS VARCHAR) FROM document d "
        "WHERE d.id IN (SELECT doc_id FROM imp_upd UNION SELECT doc_id FROM imp_snap)", [batch]
    )


def _superseded(conn: Any, batch: int, now: datetime, actor: str) -> None:
    """Audit each staff correction that a changed feed value replaces."""
    incoming = (
        "SELECT doc_id, paid AS new_paid FROM imp_upd WHERE paid IS NOT NULL "
        "UNION ALL SELECT s.doc_id, d.total FROM imp_snap s JOIN document d ON d.id = s.doc_id"
    )
    detail = (
        "json_object('import_id', ?, 'document_id', d.id, "
        "'before', json_object('paid', d.paid, 'feed_paid', d.feed_paid, "
        "'correction_note', d.correction_note), "
        "'after', json_object('paid', n.new_paid, 'feed_paid', n.new_paid))"
    )
    conn.execute(
        "INSERT INTO audit_event (occurred_at, actor, action, account_code, target, detail_json) "
        f"SELECT ?, ?, 'correction_superseded', a.code, d.kind || ' ' || d.number, "  # nosec B608
        f"CAST({detail} AS VARCHAR) FROM ({incoming}) n JOIN document d ON d.id = n.doc_id "
        "JOIN account a ON a.id = d.account_id WHERE n.new_paid IS DISTINCT FROM d.feed_paid "
        "AND d.paid IS DISTINCT FROM d.feed_paid ORDER BY d.kind, d.number",
        [now, actor, batch],
    )


def _update(conn: Any, batch: int, now: datetime) -> None:
    """Changed documents take the file's values; paid follows the feed rule."""
    sets = [f"{c} = coalesce(u.{c}, d.{c})" for c in FEED_COLUMNS]
    changed_feed = "u.paid IS NOT NULL AND u.paid IS DISTINCT FROM d.feed_paid"
    sets += [
        f"paid = CASE WHEN {changed_feed} THEN u.paid ELSE d.paid END",
        f"correction_note = CASE WHEN {changed_feed} THEN '' ELSE d.correction_note END",
        f"feed_paid = CASE WHEN {changed_feed} THEN u.paid ELSE d.feed_paid END",
        "import_id = ?", "updated_at = ?",
    ]
    assignments = ", ".join(sets)
    conn.execute(
        f"UPDATE document d SET {assignments} "  # nosec B608
        "FROM imp_upd u WHERE d.id = u.doc_id", [batch, now])


def _mark_paid(conn: Any, batch: int, now: datetime) -> None:
    """A complete open-items file no longer lists these: the feed now says they are paid."""
    conn.execute(
        "UPDATE document SET paid = total, feed_paid = total, correction_note = '', "
        "import_id = ?, updated_at = ? WHERE id IN (SELECT doc_id FROM imp_snap)", [batch, now]
    )


def _insert(conn: Any, batch: int, now: datetime) -> None:
    columns = ", ".join(FEED_COLUMNS)
    values = ", ".join(f"coalesce(i.{c}, '')" if c in TEXTS else f"i.{c}" for c in FEED_COLUMNS)
    conn.execute(
        f"INSERT INTO document (kind, number, account_id, {columns}, paid, feed_paid, "
        "correction_note, import_id, updated_at) "  # nosec B608
        f"SELECT i.kind, i.number, a.id, {values}, coalesce(i.paid, 0), coalesce(i.paid, 0), "
        "'', ?, ? FROM imp_ok o JOIN imp_doc i USING (rec) JOIN account a "
        "ON a.code = i.account_code WHERE o.action = 'insert'", [batch, now]
    )


def _replace_lines(conn: Any, batch: int) -> None:
    """New documents get their lines; updated ones whose lines changed get them replaced."""
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_relined AS SELECT u.doc_id AS id FROM imp_upd u "
        "WHERE u.lines_hash IS DISTINCT FROM (SELECT md5(string_agg(concat_ws('|', l.item_code, "
        "l.description, l.quantity, l.unit_price, l.amount), chr(10) ORDER BY l.line_no)) "
        "FROM document_line l WHERE l.document_id = u.doc_id)"
    )
    conn.execute(
        "INSERT INTO import_change (import_id, entity, entity_id, action, before_json) "
        "SELECT ?, 'document_lines', r.id, 'update', CAST(coalesce((SELECT to_json(list(l ORDER "
        "BY l.line_no)) FROM document_line l WHERE l.document_id = r.id), '[]') AS VARCHAR) "
        "FROM imp_relined r", [batch]
    )
    conn.execute("DELETE FROM document_line WHERE document_id IN (SELECT id FROM imp_relined)")
    conn.execute(
        "INSERT INTO document_line (document_id, line_no, item_code, description, quantity, "
        "unit_price, amount) SELECT d.id, l.line_no, l.item_code, l.description, l.quantity, "
        "l.unit_price, l.amount FROM imp_line l JOIN imp_doc i ON i.number = l.number "
        "JOIN imp_ok o ON o.rec = i.rec JOIN document d ON d.kind = i.kind AND d.number = i.number "
        "WHERE o.action = 'insert' OR d.id IN (SELECT id FROM imp_relined) ORDER BY d.id, l.line_no"
    )
    conn.execute("DROP TABLE imp_relined")
