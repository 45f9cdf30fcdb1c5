"""Statements and document tables to bytes: PDF, XLSX and CSV, plus zip bundles. No Streamlit."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, NamedStyle
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from lib.money import minor_units, plain_amount
from lib.render_pdf import render_pdf
from lib.statements import Statement, long_date

# A text cell starting with one of these may run as a formula when a spreadsheet opens the file.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "zip": "application/zip",
}
XLSX_DATE_FORMAT = "d mmm yyyy"
# The named styles of a workbook: amounts in the currency's decimals, dates, bold headings.
AMOUNT, DAY, HEADING = "Amount", "Date", "Heading"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet could read as a formula gets a leading apostrophe; numbers stay."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _is_missing(value: Any) -> bool:
    """None, NaN and NaT: an empty cell."""
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _csv_cell(value: Any, currency: str | None = None) -> str:
    """One CSV field: plain numbers, ISO dates, neutralised text."""
    if _is_missing(value):
        return ""
    if isinstance(value, Decimal):
        return plain_amount(value, currency) if currency else format(value, "f")  # never 1E+1
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(neutralise(value)) if isinstance(value, str) else str(value)


def _csv_bytes(rows: Iterable[Iterable[Any]], currency: str | None = None) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so spreadsheets read accents and the euro sign."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_cell(value, currency) for value in row])
    return out.getvalue().encode("utf-8-sig")


def table_to_csv(df: pd.DataFrame) -> bytes:
    """A table of documents as CSV bytes (header row first)."""
    header = [str(c) for c in df.columns]
    return _csv_bytes([header, *df.itertuples(index=False, name=None)])


def _money_format(currency: str) -> str:
    digits = minor_units(currency)
    return "#,##0" + ("." + "0" * digits if digits else "")


def _xlsx_styles(workbook: Workbook, money_format: str) -> dict[str, Any]:
    """The workbook's few named styles, as the style array every cell of that look shares."""
    looks = (NamedStyle(AMOUNT, number_format=money_format),
             NamedStyle(DAY, number_format=XLSX_DATE_FORMAT),
             NamedStyle(HEADING, font=Font(bold=True)))  # fmt: skip
    for look in looks:
        workbook.add_named_style(look)
    return {look.name: look.as_tuple() for look in looks}


def _styled(ws: WriteOnlyWorksheet, value: Any, style: Any) -> Cell:
    # Each cell copies the shared array: no style object is built per cell.
    return Cell(ws, row=1, column=1, value=value, style_array=style)


def _xlsx_value(ws: WriteOnlyWorksheet, value: Any, styles: dict[str, Any],
                bold: bool = False) -> Any:  # fmt: skip
    """A value as a write-only sheet appends it: text never a formula, numbers and dates typed.

    Plain values where openpyxl's own typing is right (a cell it reuses, as fast as it gets);
    a cell of a shared named style where a number format, bold or a guard is needed.
    """
    if _is_missing(value):
        return None
    if isinstance(value, str):
        return _xlsx_text(ws, value, styles[HEADING] if bold else None)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)  # xlsx has no time zones
    if isinstance(value, date):
        return _styled(ws, value, styles[DAY])
    if isinstance(value, Decimal):
        return _styled(ws, value, styles[AMOUNT])
    return value


def _xlsx_text(ws: WriteOnlyWorksheet, text: str, style: Any) -> Any:
    """Text stays text: openpyxl would store "=..." as a formula and "#N/A" as an error."""
    text = ILLEGAL_CHARACTERS_RE.sub(" ", text)
    trigger = text.startswith(FORMULA_TRIGGERS)
    if style is None and not trigger and text not in ERROR_CODES:
        return text
    cell = _styled(ws, text, style)
    cell.data_type = "s"
    if trigger:
        cell.quotePrefix = True  # stays text when edited
    return cell


def _xlsx_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(name: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip()
    return cleaned[:31] or "Sheet1"


def table_to_xlsx(df: pd.DataFrame, sheet: str = "Documents") -> bytes:
    """A table of documents as an .xlsx workbook of one sheet, header in bold."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(_sheet_title(sheet))
    styles = _xlsx_styles(workbook, "#,##0.00")
    ws.append([_xlsx_value(ws, str(c), styles, bold=True) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        ws.append([_xlsx_value(ws, value, styles) for value in row])
    return _xlsx_bytes(workbook)


def _statement_rows(statement: Statement) -> list[tuple[Any, ...]]:
    """The statement as rows for a spreadsheet: header, summary, lines, aging, notes."""
    headers, lines = statement.table()
    rows: list[tuple[Any, ...]] = [(statement.title,), (statement.wholesaler.name,)]
    rows += [(line,) for line in statement.wholesaler.address_lines]
    rows += [(), *statement.header_fields(), (), *statement.summary(), (), headers, *lines, ()]
    rows += [(f"Aging at {long_date(statement.period_end)}",)]
    rows += [*statement.aging.rows(), ("Total", statement.aging.total), ()]
    rows += [("Note", note) for note in statement.notes]
    return rows


def render_csv(statement: Statement) -> bytes:
    """The statement as CSV: plain amounts in its currency's decimals, ISO dates."""
    return _csv_bytes(_statement_rows(statement), statement.currency)


def render_xlsx(statement: Statement) -> bytes:
    """The statement as an .xlsx sheet with numbers as numbers and dates as dates."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("Statement")
    for column, width in zip("ABCDEFGHI", (14, 14, 16, 30, 14, 14, 14, 14, 12), strict=False):
        ws.column_dimensions[column].width = width
    styles = _xlsx_styles(workbook, _money_format(statement.currency))
    headers = statement.table()[0]
    for index, row in enumerate(_statement_rows(statement)):
        bold = index == 0 or tuple(row) == headers
        ws.append([_xlsx_value(ws, value, styles, bold) for value in row])
    return _xlsx_bytes(workbook)


def _safe_name(name: str) -> str:
    """A file name without folders, so a zip never writes outside where it is unpacked."""
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    return "file" if base in ("", ".", "..") else base


def zip_files(files: Iterable[tuple[str, bytes]]) -> bytes:
    """Bundle (name, bytes) pairs into one zip; names are made safe and unique."""
    out = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            safe = _safe_name(name)
            stem, dot, ext = safe.rpartition(".") if "." in safe[1:] else (safe, "", "")
            candidate, n = safe, 1
            while candidate.lower() in used:
                n += 1
                candidate = f"{stem} ({n}){dot}{ext}"
            used.add(candidate.lower())
            archive.writestr(zipfile.ZipInfo(candidate, ZIP_EPOCH), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


RENDERERS: dict[str, Callable[[Statement], bytes]] = {
    "pdf": render_pdf,
    "xlsx": render_xlsx,
    "csv": render_csv,
}
