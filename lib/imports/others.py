"""Payments, accounts and contacts files: the same steps as documents, by kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.imports import directory, payments
from lib.imports.load import Loaded
from lib.imports.result import ImportOptions, Preview
from lib.imports.stage import Columns


def select_sql(kind: str, cols: Columns, options: ImportOptions) -> str:
    """The staging projection of a payments, accounts or contacts file."""
    if kind == "payments":
        return payments.select_sql(cols, options)
    return directory.select_sql(kind, cols, options)


def stage(conn: Any, kind: str, cols: Columns, options: ImportOptions,
          currencies: frozenset[str]) -> None:
    """Row checks (and grouping, for payments) that need only the file."""
    if kind == "payments":
        payments.stage(conn, cols, options, currencies)
    else:
        directory.stage(conn, kind, cols)


def compare(conn: Any, kind: str, cols: Columns, preview: Preview, loaded: Loaded) -> None:
    """Checks against the store, the valid rows (imp_ok) and the preview figures."""
    if kind == "payments":
        payments.compare(conn, cols, preview)
        actions = dict(conn.execute("SELECT action, count(*) FROM imp_ok GROUP BY 1").fetchall())
        preview.changes = {a: int(actions.get(a, 0)) for a in ("insert", "update", "unchanged")}
    else:
        directory.compare(conn, kind, cols, preview, loaded)
        if kind == "accounts":
            preview.accounts_new = directory.new_accounts_preview(conn)


def apply(conn: Any, kind: str, cols: Columns, batch: int, now: datetime) -> dict[str, int]:
    """Write a payments or accounts file (contacts are never written here)."""
    if kind == "payments":
        return payments.apply(conn, batch, now)
    return directory.apply_accounts(conn, cols, batch, now)
