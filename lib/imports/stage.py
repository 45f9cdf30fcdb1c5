"""Shared staging steps: resolving a mapping to columns, and collecting problems as rows."""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib.imports.load import Loaded
from lib.imports.mapping import FIELDS, missing_required
from lib.imports.result import ImportOptions, Problem
from lib.imports.values import DATE_ORDERS, amount_sql, date_sql, lit

ERR = "imp_err"
SQL_TYPES = {"date": "DATE", "amount": "DECIMAL(18,4)", "text": "VARCHAR", "upper": "VARCHAR"}
MAX_PROBLEMS = 10_000  # listed in full; the count covers all of them
ALIASES: dict[str, dict[str, str]] = {
    "documents": {"kind": "doc_type", "type": "doc_type", "document_type": "doc_type"},
    "payments": {"document_number": "applied_document", "allocated_document": "applied_document",
                 "allocated_amount": "applied_amount", "allocation_amount": "applied_amount"},
    "accounts": {"account_code": "code", "account_name": "name"},
    "contacts": {},
}
EXAMPLES = {"DMY": "31/03/2026", "MDY": "03/31/2026", "YMD": "2026-03-31"}
DATE_WORDS = {"DMY": "day/month/year", "MDY": "month/day/year", "YMD": "year-month-day"}


@dataclass(frozen=True)
class Columns:
    """The mapping resolved against the file: portal field -> column position, and headers."""

    index: dict[str, int]
    headers: tuple[str, ...]
    sample: tuple[tuple[str, ...], ...] = ()

    def samples(self, name: str) -> list[str]:
        """The first values of a field's column (for choosing fast parsing paths)."""
        at = self.index.get(name)
        return [] if at is None else [row[at] for row in self.sample if at < len(row)]

    def has(self, name: str) -> bool:
        """True when the field is mapped to a column."""
        return name in self.index

    def col(self, name: str) -> str:
        """The staging source column of a field (c0 .. cN)."""
        return f"c{self.index[name]}"

    def header(self, name: str) -> str:
        """The file's header text of a field's column ('' when not mapped)."""
        return self.headers[self.index[name]] if name in self.index else ""

    def text(self, name: str) -> str:
        """SQL for a field's trimmed text, NULL when empty or not mapped."""
        if not self.has(name):
            return "NULL::VARCHAR"
        col = self.col(name)
        # Most values have no surrounding space: test the ends before trimming (it is cheaper).
        return (f"(CASE WHEN {col} LIKE ' %' OR {col} LIKE '% ' THEN NULLIF(trim({col}), '') "
                f"ELSE NULLIF({col}, '') END)")

    def mapping(self) -> dict[str, str]:
        """Portal field -> header, as applied."""
        return {name: self.headers[i] for name, i in self.index.items()}


def resolve(kind: str, mapping: Mapping[str, str], headers: tuple[str, ...],
            sample: tuple[tuple[str, ...], ...] = ()) -> tuple[Columns, list[Problem]]:
    """Match a mapping's column names to the file's headers; problems for what does not fit."""
    known = {spec.name for spec in FIELDS[kind]}
    lower = {h.lower(): i for i, h in enumerate(headers)}
    index: dict[str, int] = {}
    problems: list[Problem] = []
    for given, column in mapping.items():
        name = ALIASES[kind].get(given, given)
        if not column:
            continue
        if name not in known:
            problems.append(Problem(None, column, "", f"'{given}' is not a field of {kind} files."))
        elif column in headers:
            index[name] = headers.index(column)
        elif column.strip().lower() in lower:
            index[name] = lower[column.strip().lower()]
        else:
            problems.append(Problem(None, column, "", (
                f"The mapping puts {name} in column '{column}', which this file does not have. "
                f"Its columns are: {', '.join(headers)}.")))
    for name in missing_required(kind, {n: headers[i] for n, i in index.items()}):
        problems.append(Problem(None, "", "", f"No column is mapped to the required field {name}."))
    return Columns(index, headers, sample), problems


def check_options(date_order: str, currency: str, known: frozenset[str]) -> list[Problem]:
    """Problems with the options themselves (file-level, no row)."""
    problems = []
    if date_order not in DATE_ORDERS:
        problems.append(Problem(None, "", date_order, "Unknown date order."))
    if currency.strip().upper() not in known:
        problems.append(Problem(None, "", currency, "The default currency is not a known code."))
    return problems


def create_errors(conn: Any) -> None:
    """The problems table of this import: record, column, value, message, related record."""
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE {ERR} (rec BIGINT, col VARCHAR, val VARCHAR, "
        "msg VARCHAR, ref BIGINT)"
    )


@dataclass(frozen=True)
class Check:
    """A per-row rule: when `when` holds, the row has a problem in `column`."""

    when: str
    column: str
    value: str
    message: str


def add_row_errors(conn: Any, source: str, checks: list[Check], where: str = "true") -> None:
    """Record, in one pass over `source`, every row that breaks any of the checks."""
    if not checks:
        return
    items = ", ".join(
        f"CASE WHEN {c.when} THEN {{'col': {lit(c.column)}, 'val': coalesce(({c.value})::VARCHAR,"
        f" ''), 'msg': {c.message}}} END"
        for c in checks
    )
    any_broken = " OR ".join(f"coalesce({c.when}, false)" for c in checks)
    conn.execute(
        f"INSERT INTO {ERR} SELECT rec, e.col, e.val, e.msg, NULL FROM (SELECT rec, "  # nosec B608
        f"unnest(list_filter([{items}], lambda x: x IS NOT NULL)) AS e "
        f"FROM {source} WHERE ({where}) AND ({any_broken}))"
    )


def problems(conn: Any, loaded: Loaded) -> tuple[list[Problem], int]:
    """The problems with file row numbers (file order), and how many there are in all."""
    found: list[Problem] = [
        Problem(n.row, n.column, n.text, n.reason) for n in loaded.notes if n.error
    ]
    count = int(conn.execute("SELECT count(*) FROM imp_err").fetchone()[0]) + len(found)
    rows = conn.execute(
        "SELECT rec, col, val, msg, ref FROM imp_err ORDER BY rec, col LIMIT ?", [MAX_PROBLEMS]
    ).fetchall()
    for rec, col, val, msg, ref in rows:
        if ref is not None:
            msg = msg.replace("{ref_row}", str(loaded.row_of(int(ref))))
        found.append(Problem(loaded.row_of(int(rec)), col, val, msg))
    found.sort(key=lambda p: (p.row or 0, p.column))
    return found[:MAX_PROBLEMS], count


def bad_date(order: str) -> str:
    """The SQL message for a value that is not a date in the file's order."""
    return (f"'not a date in the ' || {lit(DATE_WORDS[order])} || ' order (e.g. ' || "
            f"{lit(EXAMPLES[order])} || ')'")


def value_columns(cols: Columns, fields: Mapping[str, str], options: ImportOptions,
                  extra_bad: tuple[tuple[str, str], ...] = ()) -> str:
    """SQL select items for the mapped fields: text, or parsed dates and amounts.

    Unparsable values go into one JSON column `bad` (NULL on a good row), not into a column
    per field: on a million rows every mostly-empty column would cost memory. So do amounts
    the other decimal mark would read differently (as <field>_amb; see amounts.py).
    """
    parts: list[str] = []
    bad = [(name, cond, cols.text(name)) for name, cond in extra_bad]
    for name, kind in fields.items():
        if not cols.has(name):
            continue
        text = cols.text(name)
        if kind in ("text", "upper"):
            parts.append(f"{'upper(' + text + ')' if kind == 'upper' else text} AS {name}")
            continue
        parsed = (date_sql(cols.col(name), options.date_order, cols.samples(name))
                  if kind == "date"
                  else amount_sql(cols.col(name), options.decimal_comma))
        parts.append(f"{parsed} AS {name}")
        bad.append((name, f"CASE WHEN {name} IS NULL THEN {text} IS NOT NULL ELSE false END",
                    text))
        if kind == "amount":
            bad.append((f"{name}_amb", _two_ways(cols.col(name), name, options), text))
    items = ", ".join(f"{lit(key)}, CASE WHEN {cond} THEN {text} END" for key, cond, text in bad)
    when = " OR ".join(f"({cond})" for _, cond, _ in bad)
    return ", ".join([*parts, f"CASE WHEN {when} THEN CAST(json_object({items}) AS VARCHAR) "
                      "END AS bad" if bad else "NULL::VARCHAR AS bad"])


def _two_ways(col: str, name: str, options: ImportOptions) -> str:
    """SQL: the parsed amount would differ with the other decimal mark (1.234 or 1,234).

    The LIKE test (a mark followed by three characters) is cheap and rules out nearly every
    value, so the second parse runs on few rows.
    """
    mark = "," if options.decimal_comma else "."
    other = amount_sql(col, not options.decimal_comma)
    return (f"CASE WHEN {name} IS NOT NULL AND {col} LIKE {lit('%' + mark + '___%')} "
            f"THEN coalesce({other} <> {name}, false) ELSE false END")


def create_rows_view(conn: Any, cols: Columns, fields: Mapping[str, str],
                     extra_bad: tuple[str, ...] = ()) -> None:
    """imp_rows: the staged rows with their record number, every field (NULL when unmapped)
    and each field's unparsable text as <field>_bad."""
    extra = [f"NULL::{SQL_TYPES[kind]} AS {name}" for name, kind in fields.items()
             if not cols.has(name)]
    extra += [f"json_extract_string(bad, '$.{name}') AS {name}_bad"
              for name, kind in fields.items() if kind in ("date", "amount")]
    extra += [f"json_extract_string(bad, '$.{name}_amb') AS {name}_amb"
              for name, kind in fields.items() if kind == "amount"]
    extra += [f"json_extract_string(bad, '$.{name}') AS {name}_bad" for name in extra_bad]
    conn.execute("CREATE OR REPLACE TEMP VIEW imp_rows AS SELECT rowid AS rec, * "  # nosec B608
                 f"{''.join(', ' + e for e in extra)} FROM imp_raw")


def row_text(cols: Columns, names: tuple[str, ...]) -> str:
    """SQL: what a skipped row holds, to show the user (only computed for skipped rows)."""
    shown = ([] if 0 in cols.index.values() else ["NULLIF(trim(c0), '')"]) + [
        cols.text(n) for n in names if cols.has(n)]
    return (f"CASE WHEN row_class IS NOT NULL THEN concat_ws(' | ', {', '.join(shown)}) END "
            "AS row_text")


def disagreements(conn: Any, key: str, label: str, name: str, header: str,
                  where: str = "true") -> None:
    """An error where rows sharing a key (a document or payment) give different values."""
    conn.execute(
        f"INSERT INTO {ERR} SELECT recs[2], {lit(header)}, vals[2], {lit(label)} || ' ' || k || "
        f"': its rows disagree on this column (' || vals[1] || ' on row {{ref_row}})', recs[1] "
        "FROM (SELECT k, list(val ORDER BY rec) AS vals, list(rec ORDER BY rec) AS recs "
        f"FROM (SELECT {key} AS k, CAST({name} AS VARCHAR) AS val, min(rec) AS rec "  # nosec B608
        f"FROM imp_rows WHERE row_class IS NULL AND {key} IS NOT NULL AND {name} IS NOT NULL "
        f"AND ({where}) GROUP BY ALL) GROUP BY k HAVING count(*) > 1)"
    )


def duplicates(conn: Any, source: str, keys: str, label: str, header: str) -> None:
    """An error on every later row repeating a key that must be unique in the file."""
    conn.execute(
        f"INSERT INTO {ERR} SELECT d.rec, {lit(header)}, d.{label}, {lit(label)} || ' ' || "
        f"d.{label} || ' appears more than once (first on row {{ref_row}})', f.first "  # nosec B608
        f"FROM {source} d JOIN (SELECT {keys}, min(rec) AS first FROM {source} GROUP BY {keys} "
        f"HAVING count(*) > 1) f USING ({keys}) WHERE d.rec <> f.first"
    )


REPEATED_HEADER = "the header row again (a report repeats it on each page)"


def repeated_header(cols: Columns) -> str:
    """SQL: the row repeats the header's names in (up to three of) the mapped columns."""
    named = [(name, header) for name, header in cols.mapping().items()
             if not re.fullmatch(r"Column [0-9]+|.* \([0-9]+\)", header)][:3]
    if not named:
        return "false"
    return " AND ".join(f"{cols.text(name)} = {lit(header)}" for name, header in named)


def blank_or_note(cols: Columns) -> str:
    """SQL for a row with nothing in the mapped columns: blank, or a heading or note."""
    every = ", ".join(f"NULLIF(trim(c{i}), '')" for i in range(len(cols.headers)))
    return (f"(CASE WHEN coalesce({every}, NULL) IS NULL THEN 'blank row' "
            "ELSE 'a heading or note (nothing in the mapped columns)' END)")
