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

# The first rows of a sheet are read with ElementTree: it expands no external entity, expat
# caps entity amplification, and the input is capped at HEAD_BYTES (see head_rows).
from xml.etree import ElementTree as ET  # noqa: S405

from lib.errors import PortalError

MAX_EXPANDED = 512 * 1024 * 1024  # bytes of XML once unzipped
MAX_RATIO = 100  # expanded / compressed, checked once the expansion is large
RATIO_FLOOR = 16 * 1024 * 1024
MAX_MEMBERS = 5_000
MAX_CELLS = 30_000_000  # rows x columns of the grid calamine would build
READ = 1024 * 1024
_ROW = re.compile(rb'<row [^>]*?r="([0-9]+)"')
_WIDE = re.compile(rb'<c r="([A-Z]{2,3})[0-9]')  # columns after Z; A to Z count as 26


def _bad(message: str) -> PortalError:
    from lib.imports.read import BadFile  # read.py imports this module

    return BadFile(message)


def check_workbook(path: Path) -> None:
    """Refuse a damaged zip, a zip that is not a workbook, a zip bomb or a sheet-grid bomb."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise _bad("The .xlsx file is damaged: it is not a readable zip archive.") from None
    with archive:
        infos = archive.infolist()
        _check_declared(infos)
        total = 0
        for info in infos:
            total = _inflate(archive, info, total)


def _check_declared(infos: list[zipfile.ZipInfo]) -> None:
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise _bad("The zip file is not an Excel workbook (it has no xl/workbook.xml).")
    if len(infos) > MAX_MEMBERS:
        raise _bad(f"The workbook holds {len(infos)} parts; the limit is {MAX_MEMBERS}.")
    declared = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if declared > MAX_EXPANDED or (declared > RATIO_FLOOR and declared > MAX_RATIO * packed):
        raise _bad(
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
                raise _bad("The workbook expands beyond 512 MB: refused as a zip bomb.")
            if sheet:
                text = tail + chunk
                rows, width = _grid(text, rows, width)
                cells += chunk.count(b"<c")  # also counts a few <col>: a bound is enough
                tail = text[-64:]
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:
        raise _bad(f"The .xlsx file is damaged: {exc}.") from None
    if sheet and (cells > MAX_CELLS or rows * width > MAX_CELLS):
        raise _bad(
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
        raise _bad(f"The sheet could not be read: {exc}") from None
    except Exception as exc:  # calamine's own error types are not exported: report its words
        raise _bad(f"The workbook could not be read: {str(exc)[:200]}") from None
    if not any(any(cell != "" for cell in row) for row in rows[:1000]) and not rows[1000:]:
        raise _bad("The sheet is empty.")
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


_ARROW_TYPES = (({float, int}, "float64"), ({date}, "date32"), ({datetime}, "timestamp"))


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
        types = list(map(type, column))
        kinds = set(types)
        empty = column.count("")
        values = [None if v == "" else v for v in column] if empty else list(column)
        if empty == types.count(str):
            kinds.discard(str)  # its only strings are empty cells
        arrow = next((name for group, name in _ARROW_TYPES if kinds and kinds <= group), None)
        if not kinds or kinds <= {str}:
            out.append(pa.array(values, pa.string()))
        elif arrow:
            out.append(pa.array(values, pa.timestamp("us") if arrow == "timestamp"
                                else getattr(pa, arrow)()))
        else:
            out.append(pa.array([None if v is None else cell_text(v) for v in values],
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


# ---- the first rows only (for the mapping step): stream the sheet, stop early ---------------

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
HEAD_BYTES = 64 * 1024 * 1024  # streamed XML allowed for the first rows


def head_rows(path: Path, sheet: str | int = 0, limit: int = 200) -> list[list[str]]:
    """The first rows of a sheet as text, without unfolding the whole sheet (serials stay
    numbers: enough to find the header row and its names)."""
    try:
        with zipfile.ZipFile(path) as archive:
            _check_declared(archive.infolist())
            name = _sheet_part(archive, sheet)
            with archive.open(name) as member:
                raw = _stream_rows(_Capped(member), limit)
            strings = _shared_strings(archive, raw)
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError, EOFError) as exc:
        raise _bad(f"The .xlsx file is damaged or not a workbook: {exc}.") from None
    return [[strings[int(v)] if kind == "s" and v.isdigit() and int(v) < len(strings) else v
             for kind, v in row] for row in raw]


class _Capped:
    """A file object that refuses to yield more than HEAD_BYTES (a bomb stays small)."""

    def __init__(self, member: Any) -> None:
        self.member, self.seen = member, 0

    def read(self, size: int = -1) -> bytes:
        chunk: bytes = self.member.read(READ if size < 0 else min(size, READ))
        self.seen += len(chunk)
        if self.seen > HEAD_BYTES:
            raise _bad("The sheet's first rows expand beyond 64 MB: refused as a bomb.")
        return chunk


def _sheet_part(archive: zipfile.ZipFile, sheet: str | int) -> str:
    """The zip member holding the chosen sheet (by position or by name)."""
    book = ET.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314  # nosec B314
    sheets = book.findall(f"{NS}sheets/{NS}sheet")
    chosen = [s for s in sheets if s.get("name") == sheet] if isinstance(sheet, str) else (
        sheets[sheet : sheet + 1])
    if not chosen:
        raise _bad(f"The workbook has no sheet {sheet!r}.")
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314  # nosec  # nosec B314
    target = next(r.get("Target", "") for r in rels if r.get("Id") == chosen[0].get(REL))
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def _column(ref: str) -> int:
    number = 0
    for letter in ref:
        if not letter.isalpha():
            break
        number = number * 26 + ord(letter.upper()) - 64
    return number - 1


def _stream_rows(member: Any, limit: int) -> list[list[tuple[str, str]]]:
    """(type, raw value) per cell of the first `limit` rows, empty rows included."""
    rows: list[list[tuple[str, str]]] = []
    for _, element in ET.iterparse(member, events=("end",)):  # noqa: S314  # nosec B314
        if element.tag != f"{NS}row":
            continue
        index = int(element.get("r") or len(rows) + 1) - 1
        if index >= limit:
            break
        while len(rows) < index:
            rows.append([])
        cells: list[tuple[str, str]] = []
        for cell in element.iter(f"{NS}c"):
            at = _column(cell.get("r") or "") if cell.get("r") else len(cells)
            cells.extend([("", "")] * max(0, at - len(cells)))
            kind = cell.get("t", "n")
            text = "".join(t.text or "" for t in cell.iter(f"{NS}t")) if kind == "inlineStr" \
                else (cell.findtext(f"{NS}v") or "")
            cells.append((kind, text))
        rows.append(cells[:MAX_HEAD_COLUMNS])
        element.clear()
    return rows


MAX_HEAD_COLUMNS = 1000


def _shared_strings(archive: zipfile.ZipFile, rows: list[list[tuple[str, str]]]) -> list[str]:
    """The shared strings up to the highest one the first rows use."""
    wanted = max((int(v) for row in rows for kind, v in row if kind == "s" and v.isdigit()),
                 default=-1)
    if wanted < 0 or "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    with archive.open("xl/sharedStrings.xml") as member:
        events = ET.iterparse(_Capped(member), events=("end",))  # noqa: S314  # nosec B314
        for _, element in events:
            if element.tag == f"{NS}si":
                strings.append("".join(t.text or "" for t in element.iter(f"{NS}t")))
                element.clear()
                if len(strings) > wanted:
                    break
    return strings
