"""Amounts read with the wrong decimal mark: say so, and stop the values that read both ways.

With the decimal point chosen, '1.234,56' is not a number (reported), but '1.234' reads as
1.234 where the file means 1234. When a column shows the other convention on any row, every
value in it that the two conventions read differently is an error too, so that applying only
the valid rows cannot write a thousand-fold wrong amount.
"""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

from typing import Any

from lib.imports.stage import ERR, Columns
from lib.imports.values import amount_sql, lit

MARKS = {False: "a decimal point (1,234.56)", True: "a decimal comma (1.234,56)"}


def not_a_number(value: str, decimal_comma: bool) -> str:
    """SQL message for a value that is not an amount, naming the other convention if it fits."""
    other = amount_sql(value, not decimal_comma)
    return (f"CASE WHEN {other} IS NOT NULL THEN {lit(_hint(decimal_comma))} "
            "ELSE 'not a number' END")


def _hint(decimal_comma: bool) -> str:
    return (f"not a number with {MARKS[decimal_comma]}: it is written with "
            f"{MARKS[not decimal_comma]}; change the file's decimal mark option if the file "
            "writes amounts that way")


def check_marks(conn: Any, cols: Columns, names: tuple[str, ...], decimal_comma: bool) -> None:
    """Errors on the values that read differently with the other decimal mark, in each amount
    column where some value is written with the other mark."""
    for name in names:
        if not cols.has(name):
            continue
        other = amount_sql(f"{name}_bad", not decimal_comma)
        found = conn.execute(
            f"SELECT min(rec) FROM imp_rows WHERE {name}_bad IS NOT NULL "  # nosec B608
            f"AND {other} IS NOT NULL").fetchone()[0]
        if found is not None:
            _ambiguous(conn, cols, name, decimal_comma, int(found))


def _ambiguous(conn: Any, cols: Columns, name: str, decimal_comma: bool, evidence: int) -> None:
    text = f"{name}_amb"
    other = amount_sql(text, not decimal_comma)
    message = (f"'reads as ' || {_plain(name)} || {lit(' with ' + MARKS[decimal_comma])} || "
               f"' but as ' || {_plain(other)} || {lit(' with ' + MARKS[not decimal_comma])} || "
               "', which this column uses on row {ref_row}'")
    conn.execute(
        f"INSERT INTO {ERR} SELECT rec, {lit(cols.header(name))}, {text}, "  # nosec B608
        f"{message}, {evidence} FROM imp_rows WHERE row_class IS NULL AND {text} IS NOT NULL"
    )


def _plain(amount: str) -> str:
    """SQL: an amount as text without trailing zeros (1.2340 -> 1.234, 1234.0000 -> 1234)."""
    return f"rtrim(rtrim(CAST({amount} AS VARCHAR), '0'), '.')"
