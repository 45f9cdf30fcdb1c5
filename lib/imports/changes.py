"""What a documents file would change: match with the store, ownership check, preview figures."""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lib.imports.documents import TEXTS, lines_hash
from lib.imports.load import Loaded
from lib.imports.result import Preview
from lib.imports.stage import ERR, Columns
from lib.imports.values import lit
from lib.money import KNOWN_CURRENCIES, plain_amount

FIRST_ROWS = 10
ACTION = "ENUM('insert', 'update', 'unchanged')"  # one byte a row, not a string
MAX_LISTED = 1000


def _fingerprints(cols: Columns) -> tuple[str, str]:
    """SQL hashes of what the file reports, on the file's side and on the stored side.

    Comparing one 64-bit hash per document keeps the join with a million stored documents
    small; a field the mapping leaves out is in neither hash (the file does not report it).
    """
    fields = ["issue_date", "due_date", "currency", "total"]
    fields += [t for t in TEXTS if cols.has(t)]
    incoming = [f"i.{f}" for f in fields]
    stored = [f"d.{f}" for f in fields]
    if cols.has("paid") or cols.has("outstanding"):
        incoming.append("i.paid")
        stored.append("d.feed_paid")
    return f"hash({', '.join(incoming)})", f"hash({', '.join(stored)})"


def match(conn: Any, cols: Columns, line_level: bool, snapshot: bool) -> None:
    """Pair each document with the stored one, refuse other accounts' numbers, keep the valid.

    imp_ok is a view (the matches without a problem), not a copy: on a million documents
    every copy costs memory.
    """
    _old_line_hashes(conn, line_level)
    _pair(conn, cols)
    kind_name = "CASE i.kind WHEN 'invoice' THEN 'invoice ' ELSE 'credit note ' END"
    conn.execute(
        f"INSERT INTO {ERR} SELECT m.rec, {lit(cols.header('account_code'))}, i.account_code, "
        f"{kind_name} || i.number || ' already belongs to account ' || a.code, NULL "  # nosec B608
        "FROM imp_match m JOIN imp_doc i USING (rec) JOIN document d ON d.id = m.doc_id "
        "JOIN account a ON a.id = d.account_id WHERE m.foreign_doc"
    )
    bad = ("SELECT h.rec FROM imp_head h WHERE h.number IN (SELECT r.number FROM imp_err e "
           "JOIN imp_rows r USING (rec) WHERE r.number IS NOT NULL)" if line_level
           else "SELECT DISTINCT rec FROM imp_err")
    conn.execute(f"CREATE OR REPLACE TEMP TABLE imp_bad AS {bad}")
    conn.execute("CREATE OR REPLACE TEMP VIEW imp_ok AS SELECT rec, doc_id, action, n_rows "
                 "FROM imp_match WHERE rec NOT IN (SELECT rec FROM imp_bad)")
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_new_accounts AS SELECT i.account_code AS code, "
        "coalesce(min(i.account_name), '') AS name FROM imp_doc i JOIN imp_ok USING (rec) "
        "WHERE i.account_code NOT IN (SELECT code FROM account) GROUP BY 1"
    )
    _snapshot(conn, snapshot)


def _old_line_hashes(conn: Any, line_level: bool) -> None:
    """The fingerprint of the stored lines of each document a line-level file names."""
    if not line_level:
        conn.execute("CREATE OR REPLACE TEMP TABLE imp_old_hash (id INTEGER, h VARCHAR)")
        return
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_old_hash AS SELECT l.document_id AS id, "
        f"{lines_hash('l')} AS h "  # nosec B608
        "FROM document_line l JOIN document d ON d.id = l.document_id "
        "JOIN imp_doc i ON i.kind = d.kind AND i.number = d.number GROUP BY l.document_id"
    )


def _pair(conn: Any, cols: Columns) -> None:
    """imp_match: each staged document, its stored twin and what applying would do to it."""
    mine, theirs = _fingerprints(cols)
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_match AS SELECT CAST(i.rec AS INTEGER) AS rec, "
        "CAST(i.n_rows AS INTEGER) AS n_rows, d.id AS doc_id, "  # nosec B608
        "d.id IS NOT NULL AND d.account_id IS DISTINCT FROM ai.id AS foreign_doc, "
        "CAST(CASE WHEN d.id IS NULL THEN 'insert' WHEN i.h <> d.h OR (i.lines_hash IS NOT NULL "
        "AND i.lines_hash IS DISTINCT FROM oh.h) THEN 'update' ELSE 'unchanged' END "
        f"AS {ACTION}) AS action "
        f"FROM (SELECT i.rec, i.n_rows, i.kind, i.number, i.account_code, i.lines_hash, {mine} "
        f"AS h FROM imp_doc i) i LEFT JOIN account ai ON ai.code = i.account_code "
        f"LEFT JOIN (SELECT d.id, d.kind, d.number, d.account_id, {theirs} AS h FROM document d) d "
        "ON d.kind = i.kind AND d.number = i.number LEFT JOIN imp_old_hash oh ON oh.id = d.id"
    )
    conn.execute("DROP TABLE imp_old_hash")


def _snapshot(conn: Any, snapshot: bool) -> None:
    """Open documents of the file's accounts that a complete open-items file leaves out."""
    if not snapshot:
        conn.execute("CREATE OR REPLACE TEMP TABLE imp_snap (doc_id INTEGER)")
        return
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_snap AS SELECT d.id AS doc_id FROM document d "
        "JOIN account a ON a.id = d.account_id WHERE a.code IN (SELECT DISTINCT i.account_code "
        "FROM imp_doc i JOIN imp_ok o USING (rec)) AND d.paid < d.total "
        "AND d.feed_paid <> d.total AND NOT EXISTS (SELECT 1 FROM imp_doc i "
        "WHERE i.kind = d.kind AND i.number = d.number)"
    )


def summarise(conn: Any, preview: Preview, loaded: Loaded) -> None:
    """Fill the preview's figures from the valid documents, in one pass over them."""
    figures = conn.execute(
        "SELECT i.kind, i.currency, o.action, count(*), sum(i.total), "
        "sum(i.total - coalesce(i.paid, 0)) FROM imp_doc i JOIN imp_ok o USING (rec) "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    sums: dict[tuple[str, str], list[Decimal]] = {}
    preview.changes = {"insert": 0, "update": 0, "unchanged": 0}
    for kind, currency, action, count, total, outstanding in figures:
        preview.documents[kind] = preview.documents.get(kind, 0) + int(count)
        preview.changes[action] += int(count)
        both = sums.setdefault((kind, currency), [Decimal(0), Decimal(0)])
        both[0] += total or 0
        both[1] += outstanding or 0
    for (kind, currency), (total, outstanding) in sorted(sums.items()):
        preview.totals_by_currency.setdefault(kind, {})[currency] = _money(total, currency)
        preview.outstanding_by_currency.setdefault(kind, {})[currency] = _money(
            outstanding, currency)
    preview.changes["mark_paid"] = int(conn.execute("SELECT count(*) FROM imp_snap").fetchone()[0])
    preview.accounts_new = [
        {"code": code, "name": name} for code, name in conn.execute(
            "SELECT code, name FROM imp_new_accounts ORDER BY code LIMIT ?", [MAX_LISTED]
        ).fetchall()
    ]
    preview.first_rows = _first_rows(conn, loaded)


def _first_rows(conn: Any, loaded: Loaded) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT rec, number, kind, account_code, account_name, issue_date, due_date, currency, "
        f"total, paid FROM imp_doc ORDER BY rec LIMIT {FIRST_ROWS}"  # nosec B608
    ).fetchall()
    names = ("number", "kind", "account_code", "account_name", "issue_date", "due_date",
             "currency", "total", "paid")
    out = []
    for rec, *values in rows:
        item: dict[str, Any] = {"row": loaded.row_of(int(rec))}
        for name, value in zip(names, values, strict=True):
            item[name] = None if value is None else str(value)
        out.append(item)
    return out


def _money(amount: Decimal | None, currency: str) -> str:
    """An amount as plain text in the currency's minor units (as found when unknown)."""
    value = amount if amount is not None else Decimal(0)
    return plain_amount(value, currency) if currency in KNOWN_CURRENCIES else str(value)
