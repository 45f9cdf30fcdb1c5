"""Reading an export as it is: size and type checks, encoding, delimiter and the header row."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib.errors import PortalError
from lib.imports import xlsx
from lib.imports.values import parse_amount, parse_date

SNIFF_BYTES = 256 * 1024
SNIFF_ROWS = 200
CHUNK = 8 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
TEXT_EXTENSIONS = (".csv", ".txt", ".tsv", ".tab", "")
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


class BadFile(PortalError):
    """A file the importer cannot read at all; the message says why in plain words."""


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
    lines: int = 0  # physical lines in the CSV
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
          data: bytes | None = None) -> Sniffed:
    """Find the format, encoding, delimiter, header row and columns of a file.

    `data`, when given, is the file's content already in memory (an upload): it is scanned
    there rather than read back from `path`.
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
    encoding = _text_encoding(head)
    scanned, encoding_name = _utf8_copy(path, encoding, workdir, data)
    return _sniff_csv(scanned, encoding_name)


def sniff_head(head: bytes, file_name: str, complete: bool) -> Sniffed:
    """Headers and first rows of a text file from its first bytes only (no full scan)."""
    encoding = _text_encoding(head)
    codec = {"utf-8-sig": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, encoding)
    try:
        text = codecs.getincrementaldecoder(codec)().decode(head, final=complete)
    except UnicodeDecodeError:
        text = head.decode("cp1252", errors="replace")
    return _sniff_csv(_Scan(head=text.encode("utf-8"), path=Path(file_name)), encoding,
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


def _utf8_copy(path: Path, encoding: str, workdir: Path,
               data: bytes | None) -> tuple[_Scan, str]:
    """Scan the file as UTF-8; transcode it first when it is UTF-16 or Windows-1252."""
    if encoding in ("utf-8", "utf-8-sig"):
        scanned = _scan_chunks(path, _chunks(path, data))
        if scanned.valid_utf8 or encoding == "utf-8-sig":
            return scanned, "UTF-8" if encoding == "utf-8" else "UTF-8 with BOM"
        encoding = "cp1252"
    target = workdir / "transcoded.csv"
    scanned = _scan_chunks(target, _transcoded(_chunks(path, data), encoding, target))
    names = {"cp1252": "Windows-1252", "utf-16": "UTF-16"}
    return scanned, names.get(encoding, encoding.upper())


def _chunks(path: Path, data: bytes | None) -> Iterator[bytes]:
    """The file in pieces, from memory when it is there, else from disk."""
    if data is not None:
        for start in range(0, len(data), CHUNK):
            yield data[start : start + CHUNK]
        return
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _transcoded(chunks: Iterator[bytes], encoding: str, target: Path) -> Iterator[bytes]:
    """Re-encode to UTF-8 chunk by chunk, writing the copy DuckDB will read."""
    # cp1252 leaves five byte values undefined: they become U+FFFD rather than fail the file.
    errors = "replace" if encoding == "cp1252" else "strict"
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    with target.open("wb") as out:
        for chunk in itertools.chain(chunks, [b""]):
            try:  # the empty last chunk flushes: a character cut off at the end is an error
                data = decoder.decode(chunk, final=not chunk).encode("utf-8")
            except UnicodeDecodeError:
                raise BadFile(f"The file is not valid {encoding.upper()} text.") from None
            out.write(data)
            yield data


@dataclass
class _Scan:
    lines: int = 0
    valid_utf8: bool = True
    head: bytes = b""
    path: Path = Path()
    crlf: bool = False


def _scan_chunks(path: Path, chunks: Iterable[bytes]) -> _Scan:
    """Count lines and check UTF-8, streaming once through the file."""
    scan = _Scan(path=path)
    decoder = codecs.getincrementaldecoder("utf-8")()
    last = b""
    for chunk in chunks:
        if len(scan.head) < SNIFF_BYTES:
            scan.head += chunk[: SNIFF_BYTES - len(scan.head)]
            scan.crlf = scan.crlf or b"\r" in scan.head
        if scan.valid_utf8 and not (chunk.isascii() and not decoder.getstate()[0]):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                scan.valid_utf8 = False
        scan.lines += chunk.count(b"\n")
        last = chunk[-1:] or last
    if last and last != b"\n":
        scan.lines += 1  # a last line without its line break
    return scan


def blank_lines(path: Path, crlf: bool) -> list[int]:
    """The numbers of the empty lines of a (UTF-8) file; only needed when a file has some."""
    found: list[int] = []
    lines, carry = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            block = carry + chunk
            cut = block.rfind(b"\n") + 1
            carry = block[cut:]
            lines = _blank_lines(block[:cut], lines, crlf, found)
    return found


def _blank_lines(block: bytes, lines: int, crlf: bool, found: list[int]) -> int:
    """Add the empty lines of a block that starts a line; returns the lines counted so far."""
    positions: list[int] = []
    if block.startswith((b"\n", b"\r\n")):
        positions.append(0)
    for pattern in (b"\n\n", b"\n\r\n") if crlf else (b"\n\n",):
        at = block.find(pattern)
        while at >= 0:
            positions.append(at + 1)
            at = block.find(pattern, at + 1)
    done, counted = 0, lines
    for pos in sorted(positions):
        counted += block.count(b"\n", done, pos)
        done = pos
        found.append(counted + 1)
    return lines + block.count(b"\n")


def _sniff_csv(scan: _Scan, encoding: str, complete: bool | None = None) -> Sniffed:
    text = scan.head.decode("utf-8", errors="replace").lstrip("\ufeff")
    complete = len(scan.head) < SNIFF_BYTES if complete is None else complete
    if not complete:
        text = text[: text.rfind("\n") + 1] or text  # only whole lines
    if not text.strip():
        raise BadFile("The file has no data: it is empty or only blank lines.")
    delimiter, rows, ends = _best_delimiter(text)
    header_at = find_header(rows)
    data_rows = [r for r in rows[header_at + 1 :] if any(c.strip() for c in r)]
    width = _width(rows[header_at], data_rows)
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


def _best_delimiter(text: str) -> tuple[str, list[list[str]], list[int]]:
    """The delimiter that splits most rows into the same number (>1) of fields."""
    best: tuple[int, str, list[list[str]], list[int]] | None = None
    for delimiter in DELIMITERS:
        rows, ends = _parse(text, delimiter)
        widths = Counter(len(r) for r in rows if len(r) > 1)
        score = max(widths.values(), default=0)
        if score and (best is None or score > best[0]):
            best = (score, delimiter, rows, ends)
    if best is None:
        raise BadFile(
            "No columns found: no comma, semicolon, tab or | separates the values of any row."
        )
    return best[1], best[2], best[3]


def _parse(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """Rows of the sample and the file line on which each ends."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    rows: list[list[str]] = []
    ends: list[int] = []
    try:
        for row in reader:
            rows.append(row)
            ends.append(reader.line_num)
            if len(rows) >= SNIFF_ROWS:
                break
    except csv.Error:
        pass  # a broken quote late in the sample: judge by the rows before it
    return rows, ends


def find_header(rows: list[list[str]]) -> int:
    """Index of the header row: the first row as wide as the data and mostly words."""
    filled = [sum(1 for c in r if c and c.strip()) for r in rows]
    widths = Counter(n for n in filled if n >= 2)
    if not widths:
        raise BadFile("No header row found: no row has two or more filled columns.")
    target = max(widths.items(), key=lambda item: (item[1], item[0]))[0]
    for index, row in enumerate(rows):
        if filled[index] >= max(2, math.ceil(0.6 * target)) and _mostly_words(row):
            return index
    raise BadFile("No header row found: every wide row holds numbers or dates, not names.")


def _mostly_words(row: list[str]) -> bool:
    cells = [c.strip() for c in row if c and c.strip()]
    values = sum(1 for c in cells if parse_amount(c) is not None or parse_date(c) is not None)
    return values * 2 < len(cells)


def _width(header: list[str], data_rows: list[list[str]]) -> int:
    """Columns to declare: the data's usual width, and every named header cell."""
    usual = Counter(len(r) for r in data_rows).most_common(1)
    data_width = usual[0][0] if usual else len(header)
    named = max((i + 1 for i, c in enumerate(header) if c.strip()), default=0)
    return max(data_width, named)


def header_names(row: list[str] | tuple[str, ...], width: int) -> tuple[str, ...]:
    """Header texts, with 'Column N' for an empty cell and ' (2)' for a repeated name."""
    names: list[str] = []
    seen: set[str] = set()
    for index in range(width):
        text = (row[index] if index < len(row) else "") or ""
        name = " ".join(text.replace("\ufeff", "").split()) or f"Column {index + 1}"
        candidate, copy = name, 2
        while candidate.lower() in seen:
            candidate, copy = f"{name} ({copy})", copy + 1
        seen.add(candidate.lower())
        names.append(candidate)
    return tuple(names)
