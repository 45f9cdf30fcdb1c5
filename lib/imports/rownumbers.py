"""Which file row each loaded record came from.

Row numbers are the rows a spreadsheet shows: a quoted value spanning lines is one row, an empty
line is a row. In a file without such values a row is the line a text editor shows. DuckDB skips
empty lines and counts rejected rows, so the number of each loaded record is rebuilt from where
the gaps (empty lines, rejected rows, records spanning lines) fall.
"""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class Gaps:
    """Where a file's rows and its loaded records part ways, in file order."""

    blanks: list[int]  # physical lines that are empty
    rejected: list[tuple[int, int]]  # (row, extra line breaks inside it) of refused rows
    spans: dict[int, int]  # record -> extra line breaks inside it (quoted values)


def number_rows(header_row: int, header_line: int, rows: int, lines: int,
                rejected: list[tuple[int, int]], find_blanks: Callable[[], list[int]],
                find_spans: Callable[[], dict[int, int]]) -> tuple[list[tuple[int, int]],
                                                                    list[int]]:
    """(first record, its row) after each gap, and the rows of the empty lines.

    The empty lines and the spanning records are looked for only when the line count says
    the file has some (most files have neither).
    """
    expected = header_line + rows + sum(1 + extra for _, extra in rejected)
    blanks = [b for b in find_blanks() if b > header_line] if lines > expected else []
    spans = find_spans() if lines > expected + len(blanks) else {}
    return segments(header_row, header_line, Gaps(blanks, sorted(rejected), spans))


def segments(header_row: int, header_line: int,
             gaps: Gaps) -> tuple[list[tuple[int, int]], list[int]]:
    """Walk through the gaps in file order, keeping the record, physical line and row in step.

    Empty lines are known by physical line, rejected rows by row, spanning records by record.
    """
    record, line, row = 0, header_line + 1, header_row + 1
    starts: list[tuple[int, int]] = [(0, row)]
    blank_rows: list[int] = []
    blanks, rejected, spans = gaps.blanks, gaps.rejected, sorted(gaps.spans)
    at = [0, 0, 0]  # the next empty line, rejected row and spanning record
    while True:
        while at[0] < len(blanks) and blanks[at[0]] < line:
            at[0] += 1  # empty lines inside a quoted value belong to it
        ahead = [blanks[at[0]] - line if at[0] < len(blanks) else None,
                 rejected[at[1]][0] - row if at[1] < len(rejected) else None,
                 spans[at[2]] - record if at[2] < len(spans) else None]
        if all(d is None for d in ahead):
            return starts, blank_rows
        step = max(min(d for d in ahead if d is not None), 0)
        record, line, row = record + step, line + step, row + step
        gap = next(i for i, d in enumerate(ahead) if d is not None and d <= step)
        if gap == 0:
            blank_rows.append(row)
        elif gap == 1:
            line += rejected[at[1]][1]  # the refused row's own line breaks
        else:
            line += gaps.spans[spans[at[2]]]  # the record's own line breaks
        at[gap] += 1
        line, row = line + 1, row + 1
        if gap == 2:
            record += 1
        else:
            starts.append((record, row))


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


def spanning_records(conn: Any, source: str, width: int) -> dict[int, int]:
    """Record -> line breaks inside it, for the records of `source` (a read_csv) that have any."""
    joined = "concat_ws(chr(31), " + ", ".join(f"c{i}" for i in range(width)) + ")"
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE imp_spans AS SELECT "  # nosec B608
        f"length({joined}) - length(replace({joined}, chr(10), '')) AS nl FROM {source}"
    )
    rows = conn.execute("SELECT rowid, nl FROM imp_spans WHERE nl > 0").fetchall()
    conn.execute("DROP TABLE imp_spans")
    return {int(r[0]): int(r[1]) for r in rows}
