"""Invoices and credit notes: parse rows, group line-level exports, validate in SQL.

Staging relations (temporary, on the import's own connection):
  imp_raw   one row per file record, values parsed (load.py creates it from `select_sql`)
  imp_rows  imp_raw with its record number `rec`
  imp_head  one row per document as the file states it (signed total)
  imp_doc   one row per document as the portal stores it (kind, positive total, paid)
  imp_line  the lines of line-level exports
  imp_ok    the documents without any problem, with what applying would do to each
"""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

from typing import Any

from lib.imports.amounts import check_marks, not_a_number
from lib.imports.result import ImportOptions
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
from lib.imports.vocab import NO_ACCOUNT, total_label_sql, type_sql

TEXTS = ("po_reference", "branch", "description", "erp_status")
LINE_FIELDS = ("line_item_code", "line_description", "line_quantity", "line_unit_price",
               "line_amount")
DATES = ("issue_date", "due_date")
AMOUNTS = ("total", "paid", "outstanding", "line_quantity", "line_unit_price", "line_amount")
FIELDS = {
    "number": "text", "account_code": "text", "account_name": "text", "currency": "upper",
    **{name: "text" for name in (*TEXTS, "line_item_code", "line_description")},
    **{name: "date" for name in DATES}, **{name: "amount" for name in AMOUNTS},
}
# Document-level values every line of one document must agree on.
AGREE = ("account_code", "issue_date", "due_date", "currency", "kind_word", "total", "paid",
         "outstanding")


def is_line_level(cols: Columns) -> bool:
    """True when the mapping has line fields: one row per line, grouped by number."""
    return any(cols.has(f) for f in LINE_FIELDS)


def select_sql(cols: Columns, options: ImportOptions) -> str:
    """The projection that turns raw columns c0 .. cN into parsed values and a row class."""
    kind = type_sql(cols.col("doc_type")) if cols.has("doc_type") else "NULL::VARCHAR"
    values = value_columns(cols, FIELDS, options, (("doc_type", "kind_word = 'unknown'"),))
    return ", ".join([
        f"{kind} AS kind_word", values, f"{_row_class(cols)} AS row_class",
        row_text(cols, ("number", "account_code", "account_name", "doc_type")),
    ])


def _row_class(cols: Columns) -> str:
    """Why a row is not a document row (NULL for a document row)."""
    mapped = ", ".join(cols.text(name) for name in cols.index) or "NULL"
    first = "NULLIF(trim(c0), '')"
    labels = " OR ".join(total_label_sql(x) for x in (first, cols.text("number"), cols.text(
        "account_code"), cols.text("account_name"), cols.text("doc_type")))
    return (
        f"CASE WHEN coalesce({mapped}, NULL) IS NULL THEN {blank_or_note(cols)} "
        f"WHEN {repeated_header(cols)} THEN {lit(REPEATED_HEADER)} "
        f"WHEN {cols.text('number')} IS NULL OR {total_label_sql(cols.text('number'))} THEN "
        f"(CASE WHEN {labels} THEN 'total row' "
        f"WHEN {cols.text('account_code')} IS NULL AND {cols.text('issue_date')} IS NULL "
        "THEN 'subtotal row (no number, account or date)' END) "
        f"WHEN kind_word = 'other' THEN 'not an invoice or credit note (' || "
        f"{cols.text('doc_type')} || ')' END"
    )


def stage(conn: Any, cols: Columns, options: ImportOptions, currencies: frozenset[str]) -> None:
    """Validate rows, build documents (and lines), and validate documents."""
    create_rows_view(conn, cols, FIELDS, ("doc_type",))
    add_row_errors(conn, "imp_rows", row_checks(cols, options, currencies), "row_class IS NULL")
    check_marks(conn, cols, AMOUNTS, options.decimal_comma)
    if is_line_level(cols):
        _line_level(conn, cols)
    else:
        conn.execute(f"CREATE OR REPLACE TEMP VIEW imp_head AS SELECT {_head_columns()}, "
                     "NULL::VARCHAR AS lines_hash, 1 AS n_rows FROM imp_rows "  # nosec B608
                     "WHERE row_class IS NULL AND number IS NOT NULL")
    conn.execute(f"CREATE OR REPLACE TEMP VIEW imp_doc AS SELECT {_doc_columns(cols, options)} "
                 "FROM imp_head")  # nosec B608
    add_row_errors(conn, "imp_doc", _doc_checks(cols))
    if not is_line_level(cols):
        _duplicates(conn, cols)


def _head_columns() -> str:
    return ("rec, number, kind_word, account_code, account_name, issue_date, due_date, currency, "
            "total, paid, outstanding, " + ", ".join(TEXTS))


def row_checks(cols: Columns, options: ImportOptions, currencies: frozenset[str]) -> list[Check]:
    """The per-row rules of a documents file."""
    h = cols.header
    known = "[" + ", ".join(lit(c) for c in sorted(currencies)) + "]"
    no_account = "(" + ", ".join(lit(v) for v in NO_ACCOUNT) + ")"
    checks = [
        Check("number IS NULL", h("number"), "''", "'missing document number'"),
        Check("account_code IS NULL", h("account_code"), "''", "'missing customer account code'"),
        Check(f"upper(account_code) IN {no_account}", h("account_code"), "account_code",
              "'no customer account: a sale without an account (such as a walk-in sale) "
              "cannot be imported'"),
        Check("issue_date IS NULL AND issue_date_bad IS NULL", h("issue_date"), "''",
              "'missing issue date'"),
        Check("due_date < issue_date", h("due_date"), "due_date",
              "'the due date is before the issue date (' || issue_date || ')'"),
        Check(f"currency IS NOT NULL AND NOT list_contains({known}, currency)", h("currency"),
              "currency", "'unknown currency code'"),
        Check("kind_word = 'unknown'", h("doc_type"), "doc_type_bad",
              "'unknown document type: expected an invoice or credit note type such as "
              "Invoice, Credit Note, Credit Memo, SI, SC or Gutschrift'"),
    ]
    for name in DATES:
        checks.append(Check(f"{name}_bad IS NOT NULL", h(name), f"{name}_bad",
                            bad_date(options.date_order)))
    for name in AMOUNTS:
        checks.append(Check(f"{name}_bad IS NOT NULL", h(name), f"{name}_bad",
                            not_a_number(f"{name}_bad", options.decimal_comma)))
    if cols.has("total"):
        checks.append(Check("total IS NULL AND total_bad IS NULL", h("total"), "''",
                            "'missing total'"))
    if is_line_level(cols) and not cols.has("total"):
        checks.append(Check(
            "line_amount IS NULL AND (line_quantity IS NULL OR line_unit_price IS NULL) AND "
            "line_amount_bad IS NULL AND line_quantity_bad IS NULL AND line_unit_price_bad IS NULL",
            h("line_amount") or h("line_quantity"), "''",
            "'a line needs an amount, or a quantity and a unit price'"))
    return [c for c in checks if c.column]  # a check on an unmapped field never fires


def _doc_columns(cols: Columns, options: ImportOptions) -> str:
    """From the file's signed view of a document to the stored one (positive total, kind)."""
    # A credit note written with a negative total may give its paid or open amount with
    # either sign; an invoice's negative open amount stays negative (overpaid: an error).
    def signed(col: str) -> str:
        return f"CASE WHEN total < 0 THEN abs(coalesce({col}, 0)) ELSE coalesce({col}, 0) END"

    if cols.has("paid"):
        paid = f"CAST({signed('paid')} AS DECIMAL(18,4))"
    elif cols.has("outstanding"):
        paid = f"CAST(abs(total) - {signed('outstanding')} AS DECIMAL(18,4))"
    else:
        paid = "NULL::DECIMAL(18,4)"  # not reported: new documents start unpaid
    texts = [f"coalesce({t}, '') AS {t}" if cols.has(t) else f"NULL::VARCHAR AS {t}"
             for t in TEXTS]
    return ", ".join([
        "rec", "number",
        "CASE WHEN kind_word IN ('invoice', 'credit_note') THEN kind_word "
        "WHEN total < 0 THEN 'credit_note' ELSE 'invoice' END AS kind",
        "kind_word", "account_code", "account_name", "issue_date",
        "coalesce(due_date, issue_date) AS due_date",
        f"coalesce(currency, {lit(options.default_currency.strip().upper())}) AS currency",
        "total AS signed_total", "CAST(abs(total) AS DECIMAL(18,4)) AS total",
        f"{paid} AS paid", *texts, "lines_hash", "n_rows",
    ])


def _doc_checks(cols: Columns) -> list[Check]:
    money = "regexp_replace(({x})::VARCHAR, '(\\.[0-9][0-9])0+$', '\\1')"
    total = money.format(x="total")
    checks = [Check("kind_word = 'invoice' AND signed_total < 0", cols.header("total") or
                    cols.header("line_amount") or cols.header("doc_type"),
                    money.format(x="signed_total"),
                    "'a negative total on an invoice: a credit note needs a credit note type'")]
    if cols.has("paid"):
        checks += [
            Check("paid > total", cols.header("paid"), money.format(x="paid"),
                  f"'paid is more than the total (' || {total} || ')'"),
            Check("paid < 0", cols.header("paid"), money.format(x="paid"),
                  "'paid cannot be negative'"),
        ]
    elif cols.has("outstanding"):
        checks += [
            Check("paid < 0", cols.header("outstanding"), money.format(x="total - paid"),
                  f"'the outstanding amount is more than the total (' || {total} || ')'"),
            Check("paid > total", cols.header("outstanding"), money.format(x="total - paid"),
                  "'the outstanding amount has the wrong sign for this document'"),
        ]
    return checks


def _line_level(conn: Any, cols: Columns) -> None:
    """Group the rows of each document number; keep its lines; check the rows agree."""
    amount = "coalesce(line_amount, round(line_quantity * line_unit_price, 4))"
    total = "min(total)" if cols.has("total") else f"CAST(sum({amount}) AS DECIMAL(18,4))"
    firsts = ", ".join(f"min({c}) AS {c}" for c in (
        "account_code", "account_name", "issue_date", "due_date", "currency", "paid",
        "outstanding", *TEXTS))
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_head0 AS SELECT min(rec) AS rec, number, "  # nosec B608
        "max(kind_word) FILTER (WHERE kind_word IN ('invoice', 'credit_note')) AS kind_word, "
        f"{firsts}, {total} AS total, count(*) AS n_rows FROM imp_rows "
        "WHERE row_class IS NULL AND number IS NOT NULL GROUP BY number"
    )
    sign = "CASE WHEN h.total < 0 THEN -1 ELSE 1 END"
    price = ("coalesce(r.line_unit_price, CASE WHEN coalesce(r.line_quantity, 0) = 0 "
             "THEN r.line_amount ELSE round(r.line_amount / r.line_quantity, 4) END, 0)")
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_line AS SELECT r.number, r.rec, "  # nosec B608
        "row_number() OVER (PARTITION BY r.number ORDER BY r.rec) AS line_no, "
        "coalesce(r.line_item_code, '') AS item_code, "
        "coalesce(r.line_description, '') AS description, "
        f"CAST({sign} * coalesce(r.line_quantity, 1) AS DECIMAL(18,4)) AS quantity, "
        f"CAST({price} AS DECIMAL(18,4)) AS unit_price, "
        f"CAST({sign} * coalesce({amount.replace('line_', 'r.line_')}, 0) AS DECIMAL(18,4)) "
        "AS amount FROM imp_rows r JOIN imp_head0 h USING (number) WHERE r.row_class IS NULL"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE imp_head AS SELECT h.*, l.lines_hash FROM imp_head0 h "
        f"LEFT JOIN (SELECT number, {lines_hash('imp_line')} AS lines_hash FROM imp_line "
        "GROUP BY number) l USING (number)"  # nosec B608
    )
    conn.execute("DROP TABLE imp_head0")
    for name in AGREE:
        if name == "kind_word" or cols.has(name):
            disagreements(conn, "number", "document", name,
                          cols.header("doc_type" if name == "kind_word" else name),
                          "coalesce(kind_word, '') <> 'unknown'")


def lines_hash(table: str) -> str:
    """SQL aggregate fingerprinting a document's lines (the same for staged and stored lines)."""
    return (f"md5(string_agg(concat_ws('|', {table}.item_code, {table}.description, "
            f"{table}.quantity, {table}.unit_price, {table}.amount), chr(10) "
            f"ORDER BY {table}.line_no))")


def _duplicates(conn: Any, cols: Columns) -> None:
    """An error on every later row that repeats a document number of the same kind.

    A first pass groups 64-bit hashes, not the numbers themselves (a fraction of the memory
    on a million rows); only hashes seen twice are checked exactly.
    """
    repeated = conn.execute("SELECT count(*) FROM (SELECT hash(kind, number) FROM imp_doc "
                            "GROUP BY 1 HAVING count(*) > 1)").fetchone()[0]
    if not repeated:
        return
    conn.execute(
        f"INSERT INTO {ERR} SELECT d.rec, {lit(cols.header('number'))}, d.number, "  # nosec B608
        "'document number ' || d.number || ' appears more than once (first on row {ref_row})', "
        "f.first FROM imp_doc d JOIN (SELECT kind, number, min(rec) AS first FROM imp_doc "
        "GROUP BY kind, number HAVING count(*) > 1) f USING (kind, number) WHERE d.rec <> f.first"
    )
