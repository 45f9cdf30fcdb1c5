"""The first rows of an .xlsx sheet, streamed from the zip: enough to name its columns.

The mapping step needs only the header row; unfolding the whole sheet for it (as an import
does) would take most of a second on 100,000 rows. Values stay raw (a date is its serial).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

# B314/B405 (ruff S314/S405) are silenced below for this reason: ElementTree expands no
# external entity, expat caps entity amplification, and the streamed input is capped at
# HEAD_BYTES, so a hostile workbook cannot make the parse large.
from xml.etree import ElementTree as ET  # noqa: S405  # nosec B405

from lib.imports.xlsx import READ, bad, check_declared

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
HEAD_BYTES = 64 * 1024 * 1024  # streamed XML allowed for the first rows


def head_rows(path: Path, sheet: str | int = 0, limit: int = 200) -> list[list[str]]:
    """The first rows of a sheet as text, without unfolding the whole sheet (serials stay
    numbers: enough to find the header row and its names)."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_declared(archive.infolist())
            name = _sheet_part(archive, sheet)
            with archive.open(name) as member:
                raw = _stream_rows(_Capped(member), limit)
            strings = _shared_strings(archive, raw)
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError, EOFError) as exc:
        raise bad(f"The .xlsx file is damaged or not a workbook: {exc}.") from None
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
            raise bad("The sheet's first rows expand beyond 64 MB: refused as a bomb.")
        return chunk


def _sheet_part(archive: zipfile.ZipFile, sheet: str | int) -> str:
    """The zip member holding the chosen sheet (by position or by name)."""
    book = ET.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314  # nosec B314
    sheets = book.findall(f"{NS}sheets/{NS}sheet")
    chosen = [s for s in sheets if s.get("name") == sheet] if isinstance(sheet, str) else (
        sheets[sheet : sheet + 1])
    if not chosen:
        raise bad(f"The workbook has no sheet {sheet!r}.")
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314  # nosec B314
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
