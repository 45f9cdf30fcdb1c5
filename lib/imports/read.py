"""Reading an export as it is: size and type checks, encoding, delimiter and the header row."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib.imports import xlsx
from lib.imports.layout import best_delimiter, column_count, find_header, header_names
from lib.imports.result import BadFile
from lib.imports.transcode import MIXED, NAMES, SNIFF_BYTES, Scan, mixed_row_ends, utf8_copy

SNIFF_ROWS = 200
MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office file (.xls or .doc)"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a program"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)


@dataclass(frozen=True)
class Sniffed:
    """What reading the start of a file found, and where the data to load is."""

    fmt: str  # "csv" or "xlsx"
    path: Path  # UTF-8 CSV for DuckDB (maybe a transcoded copy), or the workbook
    encoding: str
    delimiter: str
    header_line: int  # physical line (1-based) on which the header row ends
    header_row: int  # the header's row number as a spreadsheet shows it
    headers: tuple[str, ...]
    sample: tuple[tuple[str, ...], ...]
    lines: int = 0  # physical lines of the CSV; -1 while they are being counted
    crlf: bool = False  # lines end with CR LF
    frame: Any = field(default=None, repr=False)  # xlsx: the columns after the header, as text


def materialise(source: Path | bytes, file_name: str, workdir: Path, max_bytes: int) -> Path:
    """The file on disk (uploads are written to the work folder), after the size check."""
    size = len(source) if isinstance(source, bytes) else _size(source)
    if size > max_bytes:
        raise BadFile(
            f"The file is {size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.0f} MB."
        )
    if size == 0:
        raise BadFile("The file is empty (0 bytes).")
    if isinstance(source, Path):
        return source
    path = workdir / ("upload" + Path(file_name).suffix.lower()[:8])
    path.write_bytes(source)
    return path


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        raise BadFile(f"The file {path.name} cannot be opened.") from None


def sniff(path: Path, file_name: str, workdir: Path, sheet: str | int = 0,
          data: bytes | None = None, encoding: str | None = None,
          copy: bool = False) -> Sniffed:
    """Find the format, encoding, delimiter, header row and columns of a file.

    `data`, when given, is the file's content already in memory (an upload). A file whose
    start is UTF-8 with one kind of row end is not read further here (DuckDB checks every
    byte as it loads it, and its lines are counted meanwhile: `lines` is -1); `encoding`
    forces one after all, `copy` the UTF-8, LF copy (row ends mixed further on).
    """
    if data is None:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    else:
        head = data[:SNIFF_BYTES]
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xls":
        raise BadFile("Old Excel .xls files cannot be read: save the sheet as .xlsx or CSV.")
    if head.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return _sniff_xlsx(path, head, sheet)
    return _sniff_text(path, head, workdir, data, encoding or _text_encoding(head), copy)


def _sniff_text(path: Path, head: bytes, workdir: Path, data: bytes | None, encoding: str,
                copy: bool) -> Sniffed:
    """A text file: read in place when DuckDB can, else through a UTF-8, LF copy."""
    complete = len(head) < SNIFF_BYTES
    if encoding == "utf-8-sig" or (encoding == "utf-8" and _utf8_start(head)):
        name = NAMES[encoding]
        if copy or mixed_row_ends(head, complete):
            return _sniff_csv(utf8_copy(path, "utf-8", workdir, data)[0], name)
        return _sniff_csv(Scan(head=head, path=path, lines=-1, crlf=b"\r" in head), name,
                          complete=complete)
    # Not UTF-8 from the start: Windows-1252, or UTF-8 with some Windows-1252 bytes.
    scanned, name = utf8_copy(path, MIXED if encoding == "utf-8" else encoding, workdir, data)
    return _sniff_csv(scanned, name)


def _utf8_start(head: bytes) -> bool:
    """True when the first bytes are UTF-8 (a character cut at the end does not count)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def sniff_head(head: bytes, file_name: str, complete: bool) -> Sniffed:
    """Headers and first rows of a text file from its first bytes only (no full scan)."""
    encoding = _text_encoding(head)
    codec = {"utf-8-sig": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, encoding)
    try:
        text = codecs.getincrementaldecoder(codec)().decode(head, final=complete)
    except UnicodeDecodeError:
        text = head.decode("utf-8", errors="portal-cp1252")
    return _sniff_csv(Scan(head=text.encode("utf-8"), path=Path(file_name)), encoding,
                      complete=complete)


def _sniff_xlsx(path: Path, head: bytes, sheet: str | int) -> Sniffed:
    if not head.startswith(b"PK\x03\x04"):
        raise BadFile("The file is named .xlsx but is not an Excel workbook (not a zip file).")
    rows = xlsx.read_rows(path, sheet)
    top = [[xlsx.cell_text(c) for c in row] for row in rows[:SNIFF_ROWS]]
    header_at = find_header(top)
    width = max(map(len, rows), default=0)
    columns = xlsx.text_columns(rows[header_at + 1 :], width)
    if not any(column.null_count < len(column) for column in columns):
        raise BadFile("The sheet has a header row but no data rows.")
    sample = [tuple(xlsx.cell_text(c) for c in row) for row in rows[header_at + 1 : header_at + 21]]
    return Sniffed(
        fmt="xlsx", path=path, encoding="xlsx", delimiter="", header_line=header_at + 1,
        header_row=header_at + 1, headers=header_names(top[header_at], width),
        sample=tuple(sample), frame=columns,
    )


def _text_encoding(head: bytes) -> str:
    """The encoding of a text file from its first bytes; BadFile for binary content."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for magic, what in MAGIC:
        if head.startswith(magic):
            raise BadFile(f"The file is {what}, not a CSV or Excel export.")
    if head.startswith(b"PK\x03\x04"):
        raise BadFile("The file is a zip archive, not a CSV or Excel export.")
    if len(head) >= 4 and head[1::2].count(0) > 0.9 * (len(head) // 2):
        return "utf-16-le"  # "Unicode text" without its byte-order mark
    if len(head) >= 4 and head[0::2].count(0) > 0.9 * (len(head) // 2):
        return "utf-16-be"
    controls = sum(head.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32)))
    if controls > max(2, len(head) // 100):
        raise BadFile("The file holds binary data, not text: export it as CSV or .xlsx.")
    return "utf-8"


def _sniff_csv(scan: Scan, encoding: str, complete: bool | None = None) -> Sniffed:
    text = scan.head.decode("utf-8", errors="replace").lstrip("\ufeff")
    complete = len(scan.head) < SNIFF_BYTES if complete is None else complete
    if not complete:
        text = text[: text.rfind("\n") + 1] or text  # only whole lines
    if not text.strip():
        raise BadFile("The file has no data: it is empty or only blank lines.")
    delimiter, rows, ends = best_delimiter(text)
    header_at = find_header(rows)
    data_rows = [r for r in rows[header_at + 1 :] if any(c.strip() for c in r)]
    width = column_count(rows[header_at], data_rows)
    if not data_rows and complete:
        raise BadFile("The file has a header row but no data rows.")
    header_line = ends[header_at]
    return Sniffed(
        fmt="csv", path=scan.path, encoding=encoding, delimiter=delimiter,
        header_line=header_line, header_row=header_at + 1,
        headers=header_names(rows[header_at], width),
        sample=tuple(tuple(r) for r in data_rows[:20]), lines=scan.lines,
        crlf=scan.crlf,
    )
