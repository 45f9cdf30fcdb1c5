"""Opening .xlsx workbooks safely: zip and cell-grid limits first, then calamine via pandas.

Calamine reads the values Excel saved; it never evaluates a formula. A workbook is a zip of XML:
its declared and its real expanded sizes are checked, and so is the grid the sheet would unfold
into (one cell at XFD1048576 would make calamine allocate billions of empty cells).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lib.errors import PortalError
from lib.imports.result import BadFile

MAX_EXPANDED = 512 * 1024 * 1024  # bytes of XML once unzipped
MAX_RATIO = 100  # expanded / compressed, checked once the expansion is large
RATIO_FLOOR = 16 * 1024 * 1024
MAX_MEMBERS = 5_000
MAX_CELLS = 30_000_000  # rows x columns of the grid calamine would build
READ = 1024 * 1024
_ROW = re.compile(rb'<row [^>]*?r="([0-9]+)"')
_WIDE = re.compile(rb'<c r="([A-Z]{2,3})[0-9]')  # columns after Z; A to Z count as 26


def bad(message: str) -> PortalError:
    """The BadFile error for a workbook."""
    return BadFile(message)


def check_workbook(path: Path) -> None:
    """Refuse a damaged zip, a zip that is not a workbook, a zip bomb or a sheet-grid bomb."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise bad("The .xlsx file is damaged: it is not a readable zip archive.") from None
    with archive:
        infos = archive.infolist()
        check_declared(infos)
        total = 0
        for info in infos:
            total = _inflate(archive, info, total)


def check_declared(infos: list[zipfile.ZipInfo]) -> None:
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise bad("The zip file is not an Excel workbook (it has no xl/workbook.xml).")
    if len(infos) > MAX_MEMBERS:
        raise bad(f"The workbook holds {len(infos)} parts; the limit is {MAX_MEMBERS}.")
    declared = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if declared > MAX_EXPANDED or (declared > RATIO_FLOOR and declared > MAX_RATIO * packed):
        raise bad(
            f"The workbook would expand to {declared / 1048576:.0f} MB from "
            f"{packed / 1048576:.1f} MB: refused as a possible zip bomb."
        )


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, total: int) -> int:
    """Unzip one part with a running cap (declared sizes can lie); size up sheet grids."""
    sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
    rows, width, cells, tail = 0, 26, 0, b""
    try:
        for chunk in _unzipped(archive, info):
            total += len(chunk)
            if total > MAX_EXPANDED:
                raise bad("The workbook expands beyond 512 MB: refused as a zip bomb.")
            if sheet:
                text = tail + chunk
                rows, width = _grid(text, rows, width)
                cells += chunk.count(b"<c")  # also counts a few <col>: a bound is enough
                tail = text[-64:]
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:
        raise bad(f"The .xlsx file is damaged: {exc}.") from None
    if sheet and (cells > MAX_CELLS or rows * width > MAX_CELLS):
        raise bad(
            f"A sheet spans {rows} rows and {width} columns: too large to read "
            "(a spreadsheet bomb, or not an export)."
        )
    return total


def _unzipped(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A part's content in pieces of at most READ bytes.

    Deflated parts are inflated here with zlib, a piece at a time (a bomb never expands
    at once); the checksum zipfile would add is left to calamine, which reads the file next.
    """
    if info.compress_type != zipfile.ZIP_DEFLATED or archive.fp is None:
        with archive.open(info) as member:
            while chunk := member.read(READ):
                yield chunk
        return
    handle = archive.fp
    handle.seek(info.header_offset)
    header = handle.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"no local header for {info.filename}")
    handle.seek(info.header_offset + 30 + int.from_bytes(header[26:28], "little")
                + int.from_bytes(header[28:30], "little"))
    inflater, left = zlib.decompressobj(-15), info.compress_size
    while left > 0 or inflater.unconsumed_tail:
        packed = inflater.unconsumed_tail or handle.read(min(READ, left))
        if not inflater.unconsumed_tail:
            left -= len(packed)
            if not packed:
                raise EOFError(f"{info.filename} is cut short")
        chunk = inflater.decompress(packed, READ)
        if chunk:
            yield chunk
        if inflater.eof:
            return


def _grid(text: bytes, rows: int, width: int) -> tuple[int, int]:
    """The highest row number and column number seen so far.

    Rows come in order, so the last row element of a piece holds its highest number; a
    piece whose rows carry no number is counted instead.
    """
    last = text.rfind(b"<row ")
    found = _ROW.search(text, last) if last >= 0 else None
    rows = max(rows, int(found.group(1))) if found else rows + text.count(b"<row")
    for letters in set(_WIDE.findall(text)):
        number = 0
        for letter in letters:
            number = number * 26 + letter - 64
        width = max(width, number)
    return rows, width


def read_rows(path: Path, sheet: str | int = 0) -> list[list[Any]]:
    """Every row of one sheet from A1 (values as calamine gives them), after the safety checks.

    python-calamine directly rather than through pandas.read_excel: pandas converts each cell
    in a Python call, which doubled the time of a 100,000-row import; the engine is the same.
    """
    check_workbook(path)
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        found = (book.get_sheet_by_name(sheet) if isinstance(sheet, str)
                 else book.get_sheet_by_index(sheet))
        rows: list[list[Any]] = found.to_python(skip_empty_area=False)
    except (ValueError, KeyError, IndexError) as exc:
        raise bad(f"The sheet could not be read: {exc}") from None
    except Exception as exc:  # calamine's own error types are not exported: report its words
        raise bad(f"The workbook could not be read: {str(exc)[:200]}") from None
    if not any(any(cell != "" for cell in row) for row in rows[:1000]) and not rows[1000:]:
        raise bad("The sheet is empty.")
    return rows


def cell_text(value: Any) -> str:
    """A cell as text, as text_columns writes it: 12488.0 as '12488', dates in ISO form."""
    if value.__class__ is str:
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _arrow_types() -> tuple[tuple[set[type], Any], ...]:
    """Cell types that load as one typed Arrow column, with that column's type."""
    import pyarrow as pa

    return (({float, int}, pa.float64()), ({date}, pa.date32()),
            ({datetime}, pa.timestamp("us")))


def _text_column(column: tuple[Any, ...]) -> Any:
    """A column of text cells; empty cells become nulls (in Arrow, not cell by cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(column, pa.string())
    return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)


def text_columns(rows: list[list[Any]], width: int) -> list[Any]:
    """The rows as Arrow columns: text, or numbers or dates where a column holds only those.

    Typed columns are turned into text by DuckDB as it loads them (SQL_TEXT), in C; only a
    column mixing text with numbers or dates goes cell by cell through cell_text.
    """
    import pyarrow as pa

    if len(set(map(len, rows))) > 1:  # calamine's rows are all as wide as the sheet
        rows = [(list(row) + [""] * width)[:width] for row in rows]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    out = []
    for column in columns:
        kinds = set(map(type, column))
        if kinds <= {str}:
            out.append(_text_column(column))
            continue
        values: Any = column
        if str in kinds and all(v == "" for v in column if v.__class__ is str):
            kinds.discard(str)  # its only strings are empty cells
            values = [None if v.__class__ is str else v for v in column]
        arrow = next((kind for group, kind in _arrow_types() if kinds <= group), None)
        if arrow is not None:
            out.append(pa.array(values, arrow))
        else:
            out.append(pa.array([None if v == "" else cell_text(v) for v in column],
                                pa.string()))
    return out


def sql_text(column: str, arrow_type: Any) -> str:
    """SQL turning a loaded Arrow column into the text cell_text would give."""
    name = str(arrow_type)
    if name == "double":
        return (f"CASE WHEN {column} = trunc({column}) AND abs({column}) < 1e15 "
                f"THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) "
                f"ELSE CAST({column} AS VARCHAR) END")
    return column if name == "string" else f"CAST({column} AS VARCHAR)"
