"""Payments (receipts) files: one row per payment, or one per allocation to a document.

Rows sharing a reference are one payment; each row naming a document allocates part of it.
Staging relations: imp_rows (parsed rows), imp_head (one row per payment), imp_alloc (the
allocations, matched to stored documents), imp_ok (valid payments and what applying does).
"""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.imports.amounts import check_marks, not_a_number
from lib.imports.apply import new_accounts
from lib.imports.result import ImportOptions, Preview
from lib.imports.stage import (
    ERR,
    REPEATED_HEADER,
    Check,
    Columns,
    add_row_errors,
    bad_date,
    blank_or_note,
    create_rows_view,
    disagreements,
    repeated_header,
    row_text,
    value_columns,
)
from lib.imports.values import lit
from lib.imports.vocab import NO_ACCOUNT, total_label_sql

FIELDS = {"reference": "text", "account_code": "text", "payment_date": "date",
          "currency": "upper", "amount": "amount", "applied_document": "text",
          "applied_amount": "amount"}
ALLOC_HASH = "md5(string_agg({t}.document_id || '|' || {t}.amount, ',' ORDER BY {t}.document_id))"


def select_sql(cols: Columns, options: ImportOptions) -> str:
    """Parsed values and the row class of a payments file."""
    labels = " OR ".join(total_label_sql(x) for x in (
        "NULLIF(trim(c0), '')", cols.text("reference"), cols.text("account_code")))
    mapped = ", ".join(cols.text(n) for n in cols.index)
    row_class = (
        f"CASE WHEN coalesce({mapped}, NULL) IS NULL THEN {blank_or_note(cols)} "
        f"WHEN {repeated_header(cols)} THEN {lit(REPEATED_HEADER)} "
        f"WHEN ({cols.text('reference')} IS NULL OR {total_label_sql(cols.text('reference'))}) "
        f"AND ({labels}) THEN 'total row' WHEN {cols.text('reference')} IS NULL AND "
        f"{cols.text('account_code')} IS NULL AND {cols.text('payment_date')} IS NULL "
        "THEN 'subtotal row (no reference, account or date)' END AS row_class"
    )
    return ", ".join([value_columns(cols, FIELDS, options), row_class,
                      row_text(cols, ("reference", "account_code"))])


def stage(conn: Any, cols: Columns, options: ImportOptions, currencies: frozenset[str]) -> None:
    """Check rows, group them into payments and allocations, check the groups agree."""
    create_rows_view(conn, cols, FIELDS)
    add_row_errors(conn, "imp_rows", _row_checks(cols, options, currencies), "row_class IS NULL")
    check_marks(conn, cols, ("amount", "applied_amount"), options.decimal_comma)
    for name in ("account_code", "payment_date", "currency", "amount"):
        if cols.has(name):
            disagreements(conn, "reference", "payment", name, cols.header(name))
    default = lit(options.default_currency.strip().upper())
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_head AS SELECT min(rec) AS rec, reference, "  # nosec B608
        "min(account_code) AS account_code, min(payment_date) AS payment_date, "
        f"coalesce(min(currency), {default}) AS currency, "
        "CAST(abs(min(amount)) AS DECIMAL(18,4)) AS amount, count(*) AS n_rows, "
        "count(applied_document) AS n_alloc FROM imp_rows "
        "WHERE row_class IS NULL AND reference IS NOT NULL GROUP BY reference"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_alloc AS SELECT r.reference, r.rec, "
        "r.applied_document AS number, CAST(abs(coalesce(r.applied_amount, CASE WHEN "
        "h.n_alloc = 1 THEN h.amount END)) AS DECIMAL(18,4)) AS amount, "
        "NULL::INTEGER AS document_id FROM imp_rows r JOIN imp_head h USING (reference) "
        "WHERE r.row_class IS NULL AND r.applied_document IS NOT NULL"
    )
    conn.execute(
        f"INSERT INTO {ERR} SELECT rec, {lit(cols.header('applied_amount'))}, '', "  # nosec B608
        "'the payment is applied to several documents: each row needs the amount applied', "
        "NULL FROM imp_alloc WHERE amount IS NULL"
    )


def _row_checks(cols: Columns, options: ImportOptions, currencies: frozenset[str]) -> list[
    Check
]:
    h = cols.header
    known = "[" + ", ".join(lit(c) for c in sorted(currencies)) + "]"
    no_account = "(" + ", ".join(lit(v) for v in NO_ACCOUNT) + ")"
    checks = [
        Check("reference IS NULL", h("reference"), "''", "'missing payment reference'"),
        Check("account_code IS NULL", h("account_code"), "''", "'missing customer account code'"),
        Check(f"upper(account_code) IN {no_account}", h("account_code"), "account_code",
              "'no customer account: a payment without an account cannot be imported'"),
        Check("payment_date IS NULL AND payment_date_bad IS NULL", h("payment_date"), "''",
              "'missing payment date'"),
        Check("payment_date_bad IS NOT NULL", h("payment_date"), "payment_date_bad",
              bad_date(options.date_order)),
        Check("amount IS NULL AND amount_bad IS NULL", h("amount"), "''", "'missing amount'"),
        Check("amount_bad IS NOT NULL", h("amount"), "amount_bad",
              not_a_number("amount_bad", options.decimal_comma)),
        Check("applied_amount_bad IS NOT NULL", h("applied_amount"), "applied_amount_bad",
              not_a_number("applied_amount_bad", options.decimal_comma)),
        Check("applied_amount IS NOT NULL AND applied_document IS NULL", h("applied_amount"),
              "applied_amount", "'an amount applied needs the document it was applied to'"),
        Check(f"currency IS NOT NULL AND NOT list_contains({known}, currency)", h("currency"),
              "currency", "'unknown currency code'"),
    ]
    return [c for c in checks if c.column]


def compare(conn: Any, cols: Columns, preview: Preview) -> None:
    """Match payments and allocated documents with the store; fill the preview."""
    conn.execute(
        "UPDATE imp_alloc SET document_id = d.id FROM (SELECT number, arg_min(id, CASE kind "
        "WHEN 'invoice' THEN 0 ELSE 1 END) AS id FROM document GROUP BY number) d "
        "WHERE d.number = imp_alloc.number"
    )
    doc_header = lit(cols.header("applied_document"))
    conn.execute(
        f"INSERT INTO {ERR} SELECT l.rec, {doc_header}, l.number, CASE WHEN d.id IS NULL THEN "
        "'no document with this number' ELSE 'the document belongs to account ' || a.code "
        "|| ', not ' || h.account_code END, NULL FROM imp_alloc l JOIN imp_head h "  # nosec B608
        "USING (reference) LEFT JOIN document d ON d.id = l.document_id LEFT JOIN account a "
        "ON a.id = d.account_id WHERE d.id IS NULL OR a.code <> h.account_code"
    )
    conn.execute(
        f"INSERT INTO {ERR} SELECT h.rec, {lit(cols.header('applied_amount'))}, "  # nosec B608
        "CAST(s.applied AS VARCHAR), 'the amounts applied exceed the payment (' || h.amount || "
        "')', NULL FROM imp_head h JOIN (SELECT reference, sum(amount) AS applied FROM imp_alloc "
        "GROUP BY reference) s USING (reference) WHERE s.applied > h.amount"
    )
    _match(conn, cols)
    figures = conn.execute(
        "SELECT h.currency, count(*), sum(h.amount) FROM imp_head h JOIN imp_ok USING (rec) "
        "GROUP BY 1 ORDER BY 1").fetchall()
    preview.documents["payments"] = sum(int(n) for _, n, _ in figures)
    preview.totals_by_currency["payments"] = {cur: str(total) for cur, _, total in figures}
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_new_accounts AS SELECT DISTINCT h.account_code AS code, "
        "'' AS name FROM imp_head h JOIN imp_ok USING (rec) WHERE h.account_code NOT IN "
        "(SELECT code FROM account)")
    preview.accounts_new = [{"code": c, "name": ""} for (c,) in conn.execute(
        "SELECT code FROM imp_new_accounts ORDER BY 1 LIMIT 1000").fetchall()]


def _match(conn: Any, cols: Columns) -> None:
    new_hash = ALLOC_HASH.format(t="l")
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_match AS SELECT h.rec, h.reference, h.n_rows, "
        "p.id AS doc_id, a.code AS old_code, h.account_code, CASE WHEN p.id IS NULL THEN 'insert' "
        "WHEN h.payment_date IS DISTINCT FROM p.payment_date OR h.currency IS DISTINCT FROM "
        "p.currency OR h.amount IS DISTINCT FROM p.amount OR n.h IS DISTINCT FROM o.h "
        "THEN 'update' ELSE 'unchanged' END AS action, n.h AS alloc_hash FROM imp_head h "
        "LEFT JOIN payment p ON p.reference = h.reference LEFT JOIN account a "  # nosec B608
        f"ON a.id = p.account_id LEFT JOIN (SELECT reference, {new_hash} AS h FROM imp_alloc l "
        "GROUP BY reference) n ON n.reference = h.reference LEFT JOIN (SELECT payment_id, "
        f"{ALLOC_HASH.format(t='x')} AS h FROM allocation x GROUP BY payment_id) o "
        "ON o.payment_id = p.id"
    )
    conn.execute(
        f"INSERT INTO {ERR} SELECT rec, {lit(cols.header('reference'))}, reference, "  # nosec B608
        "'payment ' || reference || ' already belongs to account ' || old_code, NULL "
        "FROM imp_match WHERE old_code <> account_code"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_ok AS SELECT rec, reference, doc_id, action, n_rows, "
        "alloc_hash FROM imp_match WHERE reference NOT IN (SELECT r.reference FROM imp_err e "
        "JOIN imp_rows r USING (rec) WHERE r.reference IS NOT NULL)"
    )


def apply(conn: Any, batch: int, now: datetime) -> dict[str, int]:
    """Upsert the valid payments and replace the allocations of changed ones."""
    new_accounts(conn, batch, now)
    conn.execute(
        "INSERT INTO import_change (import_id, entity, entity_id, action, before_json) "
        "SELECT ?, 'payment', p.id, 'update', CAST(to_json(p) AS VARCHAR) FROM payment p "
        "WHERE p.id IN (SELECT doc_id FROM imp_ok WHERE action = 'update')", [batch])
    conn.execute(
        "INSERT INTO import_change (import_id, entity, entity_id, action, before_json) "
        "SELECT ?, 'payment_allocations', o.doc_id, 'update', CAST(coalesce((SELECT "
        "to_json(list(x ORDER BY x.id)) FROM allocation x WHERE x.payment_id = o.doc_id), '[]') "
        "AS VARCHAR) FROM imp_ok o WHERE o.action = 'update'", [batch])
    conn.execute(
        "UPDATE payment SET payment_date = h.payment_date, currency = h.currency, "
        "amount = h.amount, import_id = ? FROM imp_ok o JOIN imp_head h USING (rec) "
        "WHERE o.action = 'update' AND payment.id = o.doc_id", [batch])
    conn.execute(
        "INSERT INTO payment (reference, account_id, payment_date, currency, amount, import_id) "
        "SELECT h.reference, a.id, h.payment_date, h.currency, h.amount, ? FROM imp_ok o "
        "JOIN imp_head h USING (rec) JOIN account a ON a.code = h.account_code "
        "WHERE o.action = 'insert' ORDER BY h.rec", [batch])
    conn.execute("DELETE FROM allocation WHERE payment_id IN (SELECT doc_id FROM imp_ok "
                 "WHERE action = 'update')")
    conn.execute(
        "INSERT INTO allocation (payment_id, document_id, amount) SELECT p.id, l.document_id, "
        "l.amount FROM imp_alloc l JOIN imp_ok o USING (reference) JOIN payment p "
        "ON p.reference = l.reference WHERE o.action IN ('insert', 'update') ORDER BY l.rec")
    counts = dict(conn.execute("SELECT action, count(*) FROM imp_ok GROUP BY 1").fetchall())
    return {"inserted": int(counts.get("insert", 0)), "updated": int(counts.get("update", 0)),
            "unchanged": int(counts.get("unchanged", 0))}
