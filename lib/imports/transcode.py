"""The UTF-8 copy with one kind of line end that DuckDB reads, when a file is not that already.

DuckDB's CSV reader needs UTF-8 and one line end throughout: a file whose title rows end in
CR LF and whose rows end in LF (two programs wrote it) loads no rows at all, and a mix further
on fails. Such files, and files in other encodings, are copied here: decoded, with every row
end outside a quoted value written as LF (line ends inside quoted values are kept as they are).
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lib.imports.result import BadFile

SNIFF_BYTES = 256 * 1024
CHUNK = 8 * 1024 * 1024
MIXED = "utf-8-cp1252"  # UTF-8, where a byte that is not UTF-8 is read as Windows-1252
_HIGH = bytes(range(128, 256))
NAMES = {"cp1252": "Windows-1252", "utf-16": "UTF-16", "utf-8-sig": "UTF-8 with BOM",
         "utf-8": "UTF-8"}


def _cp1252_byte(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the bytes UTF-8 refused, read as Windows-1252 instead."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


# A codec error handler keeps decoding in C (one Python call per stray byte, not per chunk);
# registering the same handler again is harmless.
codecs.register_error("portal-cp1252", _cp1252_byte)


@dataclass
class Scan:
    """What writing (or reading) a file found: its lines and first bytes."""

    lines: int = 0
    head: bytes = b""
    path: Path = Path()
    crlf: bool = False
    high: int = 0  # bytes >= 0x80 read (MIXED only)
    wide: int = 0  # non-ASCII characters they made (fewer than `high`: real UTF-8 was there)
    last: bytes = b""

    def encoding_name(self, encoding: str) -> str:
        """The encoding as the user knows it."""
        if encoding == MIXED:
            return ("UTF-8 with some Windows-1252 characters" if self.high > self.wide
                    else "Windows-1252")
        return NAMES.get(encoding, encoding.upper())


def mixed_row_ends(head: bytes, complete: bool) -> bool:
    """True when the line ends in the head are not all LF or all CR LF.

    Quotes are not followed: a quote opens a value only at the start of a field, and a stray
    one (12" pipe) would hide every later line end. A quoted value spanning lines only makes
    the file count as mixed, and rewriting it costs nothing worse than an LF for its CR LF.
    """
    if not complete and head.endswith(b"\r"):
        head = head[:-1]  # its LF may be in the part not read
    crlf = head.count(b"\r\n")
    lone_cr = head.count(b"\r") - crlf
    lone_lf = head.count(b"\n") - crlf
    return bool(lone_cr or (crlf and lone_lf))


def chunks(path: Path, data: bytes | None) -> Iterator[bytes]:
    """The file in pieces, from memory when it is there, else from disk."""
    if data is not None:
        for start in range(0, len(data), CHUNK):
            yield data[start : start + CHUNK]
        return
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


class RowEnds:
    """Rewrites every CR LF and lone CR as LF, a piece at a time.

    Inside quoted values too: following quotes here went wrong on a stray one (12" pipe), and
    a line break inside a description stays a line break.
    """

    def __init__(self) -> None:
        self.carry = b""  # a CR at the end of a piece: its LF may start the next one

    def feed(self, piece: bytes) -> bytes:
        """The piece with its line ends rewritten (a trailing CR waits for the next piece)."""
        piece, self.carry = self.carry + piece, b""
        if piece.endswith(b"\r"):
            piece, self.carry = piece[:-1], b"\r"
        return piece.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

    def rewrite(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """Every piece rewritten, then what is still held back at the end of the file."""
        yield from map(self.feed, pieces)
        yield self.carry.replace(b"\r", b"\n")


def _decoded(pieces: Iterator[bytes], encoding: str, scan: Scan) -> Iterator[bytes]:
    """Re-encode to UTF-8 piece by piece; BadFile for a file that is not in its encoding."""
    codec = "utf-8" if encoding == MIXED else encoding
    # cp1252 leaves five byte values undefined: they become U+FFFD rather than fail the file.
    errors = {"cp1252": "replace", MIXED: "portal-cp1252"}.get(encoding, "strict")
    decoder = codecs.getincrementaldecoder(codec)(errors=errors)
    for piece in itertools.chain(pieces, [b""]):
        try:  # the empty last piece flushes: a character cut off at the end is an error
            text = decoder.decode(piece, final=not piece)
        except UnicodeDecodeError:
            raise BadFile(f"The file is not valid {NAMES.get(encoding, encoding.upper())} "
                          "text.") from None
        if encoding == MIXED:
            scan.high += len(piece) - len(piece.translate(None, _HIGH))
            scan.wide += len(text) - len(text.encode("ascii", "ignore"))
        yield text.encode("utf-8")


def utf8_copy(path: Path, encoding: str, workdir: Path, data: bytes | None) -> tuple[Scan, str]:
    """Write the UTF-8, LF copy DuckDB reads (counting its lines); its scan and encoding name.

    `encoding` "utf-8" copies without decoding (only the line ends change).
    """
    target = workdir / "transcoded.csv"
    scan = Scan(path=target)
    pieces = chunks(path, data)
    if encoding != "utf-8":
        pieces = _decoded(pieces, encoding, scan)
    with target.open("wb") as out:
        for piece in RowEnds().rewrite(pieces):
            out.write(piece)
            _count(scan, piece)
    if scan.last and scan.last != b"\n":
        scan.lines += 1  # a last line without its line break
    return scan, scan.encoding_name(encoding)


def _count(scan: Scan, piece: bytes) -> None:
    if len(scan.head) < SNIFF_BYTES:
        scan.head += piece[: SNIFF_BYTES - len(scan.head)]
    scan.lines += piece.count(b"\n")
    scan.last = piece[-1:] or scan.last


def count_lines(path: Path) -> int:
    """Physical lines of a file (a last line without a line break counts)."""
    lines, last = 0, b""
    for chunk in chunks(path, None):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    return lines + (1 if last and last != b"\n" else 0)


def has_cr(path: Path) -> bool:
    """True when a file holds a carriage return anywhere (a mix DuckDB may have refused)."""
    return any(b"\r" in chunk for chunk in chunks(path, None))
