"""Accounts files (upserted) and contacts files (validated only: logins are made elsewhere)."""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.imports.load import Loaded
from lib.imports.result import ImportOptions, Preview
from lib.imports.stage import (
    ERR,
    REPEATED_HEADER,
    Check,
    Columns,
    add_row_errors,
    blank_or_note,
    create_rows_view,
    duplicates,
    repeated_header,
    row_text,
    value_columns,
)
from lib.imports.values import lit
from lib.imports.vocab import total_label_sql

FIELDS = {
    "accounts": {"code": "text", "name": "text", "parent_code": "text"},
    "contacts": {"email": "text", "name": "text", "account_code": "text", "branch": "text",
                 "username": "text"},
}
KEY = {"accounts": "code", "contacts": "email"}
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MAX_RECORDS = 10_000


def select_sql(kind: str, cols: Columns, options: ImportOptions) -> str:
    """Parsed values and the row class of an accounts or contacts file."""
    key = cols.text(KEY[kind])
    mapped = ", ".join(cols.text(n) for n in cols.index)
    labels = f"{total_label_sql('NULLIF(trim(c0), ' + lit('') + ')')} OR {total_label_sql(key)}"
    row_class = (f"CASE WHEN coalesce({mapped}, NULL) IS NULL THEN {blank_or_note(cols)} "
                 f"WHEN {repeated_header(cols)} THEN {lit(REPEATED_HEADER)} "
                 f"WHEN ({key} IS NULL OR {total_label_sql(key)}) AND ({labels}) "
                 "THEN 'total row' END AS row_class")
    shown = ("code", "name") if kind == "accounts" else ("email", "name", "account_code")
    return ", ".join([value_columns(cols, FIELDS[kind], options), row_class,
                      row_text(cols, shown)])


def stage(conn: Any, kind: str, cols: Columns) -> None:
    """Check the rows of an accounts or contacts file."""
    create_rows_view(conn, cols, FIELDS[kind])
    h = cols.header
    if kind == "accounts":
        checks = [Check("code IS NULL", h("code"), "''", "'missing account code'"),
                  Check("parent_code = code", h("parent_code"), "parent_code",
                        "'an account cannot be its own parent'")]
        add_row_errors(conn, "imp_rows", [c for c in checks if c.column], "row_class IS NULL")
        duplicates(conn, "(SELECT * FROM imp_rows WHERE row_class IS NULL AND code IS NOT NULL)",
                   "code", "code", h("code"))
        return
    checks = [
        Check("email IS NULL", h("email"), "''", "'missing email address'"),
        Check(f"NOT regexp_matches(email, {lit(EMAIL)})", h("email"), "email",
              "'not an email address'"),
        Check("account_code IS NULL", h("account_code"), "''", "'missing account code'"),
    ]
    add_row_errors(conn, "imp_rows", checks, "row_class IS NULL")
    duplicates(conn, "(SELECT rec, lower(email) AS email, account_code FROM imp_rows WHERE "
               "row_class IS NULL AND email IS NOT NULL)", "email, account_code", "email",
               h("email"))


def compare(conn: Any, kind: str, cols: Columns, preview: Preview, loaded: Loaded) -> None:
    """What the file would change (accounts) or the rows that are valid (contacts)."""
    if kind == "accounts":
        _compare_accounts(conn, cols)
    else:
        conn.execute(
            f"INSERT INTO {ERR} SELECT rec, {lit(cols.header('account_code'))}, "  # nosec B608
            "account_code, 'unknown account code: import or create the account first', NULL "
            "FROM imp_rows "
            "WHERE row_class IS NULL AND account_code NOT IN (SELECT code FROM account)"
        )
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE imp_ok AS SELECT rec, 'valid' AS action, 1 AS n_rows "
            "FROM imp_rows WHERE row_class IS NULL AND rec NOT IN (SELECT rec FROM imp_err)"
        )
        preview.records = _records(conn, loaded)
    count = int(conn.execute("SELECT count(*) FROM imp_ok").fetchone()[0])
    preview.documents[kind] = count
    preview.changes = {a: int(n) for a, n in conn.execute(
        "SELECT action, count(*) FROM imp_ok GROUP BY 1 ORDER BY 1").fetchall()}


def _compare_accounts(conn: Any, cols: Columns) -> None:
    parent = ("OR r.parent_code IS DISTINCT FROM a.parent_code" if cols.has("parent_code")
              else "")
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_ok AS SELECT r.rec, r.code, a.id AS doc_id, 1 AS n_rows,"
        " CASE WHEN a.id IS NULL THEN 'insert' WHEN (r.name IS NOT NULL AND r.name IS DISTINCT "
        f"FROM a.name) {parent} THEN 'update' ELSE 'unchanged' END AS action FROM imp_rows r "
        "LEFT JOIN account a ON a.code = r.code WHERE r.row_class IS NULL AND r.code IS NOT NULL "
        "AND r.rec NOT IN (SELECT rec FROM imp_err)"  # nosec B608
    )


def new_accounts_preview(conn: Any) -> list[dict[str, str]]:
    """The accounts an accounts file would create."""
    return [{"code": code, "name": name or ""} for code, name in conn.execute(
        "SELECT r.code, r.name FROM imp_ok o JOIN imp_rows r USING (rec) WHERE o.action = "
        "'insert' ORDER BY r.code LIMIT 1000").fetchall()]


def _records(conn: Any, loaded: Loaded) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT r.rec, coalesce(r.username, lower(r.email)), lower(r.email), coalesce(r.name, ''),"
        " r.account_code, coalesce(r.branch, '') FROM imp_ok o JOIN imp_rows r USING (rec) "
        f"ORDER BY r.rec LIMIT {MAX_RECORDS}").fetchall()  # nosec B608
    names = ("username", "email", "name", "account_code", "branch")
    return [{"row": loaded.row_of(int(rec)), **dict(zip(names, values, strict=True))}
            for rec, *values in rows]


def apply_accounts(conn: Any, cols: Columns, batch: int, now: datetime) -> dict[str, int]:
    """Create new accounts and update the names (and parents) that changed."""
    conn.execute(
        "INSERT INTO import_change (import_id, entity, entity_id, action, before_json) "
        "SELECT ?, 'account', a.id, 'update', CAST(to_json(a) AS VARCHAR) FROM account a "
        "WHERE a.id IN (SELECT doc_id FROM imp_ok WHERE action = 'update')", [batch])
    parent = ", parent_code = r.parent_code" if cols.has("parent_code") else ""
    conn.execute(
        f"UPDATE account SET name = coalesce(r.name, account.name) {parent} "  # nosec B608
        "FROM imp_ok o JOIN imp_rows r USING (rec) WHERE o.action = 'update' "
        "AND account.id = o.doc_id")
    conn.execute(
        "INSERT INTO account (code, name, parent_code, created_at) SELECT r.code, "
        "coalesce(r.name, ''), r.parent_code, ? FROM imp_ok o JOIN imp_rows r USING (rec) "
        "WHERE o.action = 'insert' ORDER BY r.rec", [now])
    conn.execute(
        "INSERT INTO import_change (import_id, entity, entity_id, action) SELECT ?, 'account', "
        "a.id, 'insert' FROM account a JOIN imp_ok o ON o.code = a.code "
        "WHERE o.action = 'insert'", [batch])
    counts = dict(conn.execute("SELECT action, count(*) FROM imp_ok GROUP BY 1").fetchall())
    return {"inserted": int(counts.get("insert", 0)), "updated": int(counts.get("update", 0)),
            "unchanged": int(counts.get("unchanged", 0))}
