"""A look at a file before its import: the column names and first rows, for the mapping step."""

from __future__ import annotations

import tempfile
from pathlib import Path

from lib.imports import xlsx_head
from lib.imports.layout import find_header, header_names
from lib.imports.read import Sniffed, materialise, sniff, sniff_head
from lib.imports.result import BadFile, ImportOptions
from lib.imports.transcode import SNIFF_BYTES


def read_headers(source: Path | bytes, file_name: str, *, sheet: str | int = 0,
                 max_bytes: int | None = None) -> list[str]:
    """The file's column names (for mapping suggestions); BadFile when it cannot be read.

    Only the start of the file is read: a CSV's first 256 KB, a workbook's first rows.
    """
    limit = max_bytes or ImportOptions().max_bytes
    head = source[:4] if isinstance(source, bytes) else _head(source, 4)
    if not head.startswith(b"PK\x03\x04"):
        return read_preview(source, file_name, rows=0, sheet=sheet, max_bytes=limit)[0]
    with tempfile.TemporaryDirectory(prefix="portal-import-") as work:
        path = materialise(source, file_name, Path(work), limit)
        rows = xlsx_head.head_rows(path, sheet)
    header_at = find_header(rows)
    return list(header_names(rows[header_at], len(rows[header_at])))


def _head(path: Path, size: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        raise BadFile(f"The file {path.name} cannot be opened.") from None


def read_preview(source: Path | bytes, file_name: str, *, rows: int = 20,
                 sheet: str | int = 0, max_bytes: int | None = None) -> tuple[
                     list[str], list[list[str]]]:
    """The column names and the first data rows as text, before any mapping.

    A CSV is judged from its first 256 KB (the whole file is checked when it is imported);
    a workbook has to be opened whole. BadFile when the file cannot be read.
    """
    limit = max_bytes or ImportOptions().max_bytes
    with tempfile.TemporaryDirectory(prefix="portal-import-") as work:
        sniffed = _sniff_start(source, file_name, Path(work), limit, sheet)
    width = len(sniffed.headers)
    sample = [[(list(r) + [""] * width)[i] or "" for i in range(width)]
              for r in sniffed.sample[:rows]]
    return list(sniffed.headers), sample


def _sniff_start(source: Path | bytes, file_name: str, work: Path, limit: int,
                 sheet: str | int) -> Sniffed:
    if isinstance(source, bytes):
        head, size = source[:SNIFF_BYTES], len(source)
    else:
        if not source.is_file():  # gone from the drop folder, or never there
            return sniff(materialise(source, file_name, work, limit), file_name, work, sheet)
        size = source.stat().st_size
        with source.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    is_book = head.startswith(b"PK\x03\x04") or Path(file_name).suffix.lower() in (
        ".xlsx", ".xlsm", ".xls")
    if is_book or size == 0 or size > limit:
        path = materialise(source, file_name, work, limit)
        return sniff(path, file_name, work, sheet)
    return sniff_head(head, file_name, complete=size <= SNIFF_BYTES)
