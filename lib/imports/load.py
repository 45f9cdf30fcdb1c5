"""Loading a sniffed file into a DuckDB staging table, with each record's row number in the file.

Row numbers are the rows a spreadsheet shows: a quoted value spanning lines is one row, an empty
line is a row. DuckDB skips empty lines and counts rejected rows, so the number of each loaded
record is rebuilt from where the gaps (empty lines, rejected rows) fall.
"""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

import bisect
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lib.imports.read import Sniffed, blank_lines, count_lines
from lib.imports.result import BadFile
from lib.imports.values import lit
from lib.imports.vocab import is_total_label

RAW = "imp_raw"
MAX_LINE = 4 * 1024 * 1024


@dataclass(frozen=True)
class RowNote:
    """A row the importer did not load: skipped (not data) or rejected (an error)."""

    row: int
    reason: str
    text: str
    error: bool


@dataclass
class Loaded:
    """The staging table's size, the rows that did not load, and each record's file row."""

    rows: int
    refused: int = 0  # rows DuckDB refused (ragged, broken quotes, bad bytes)
    notes: list[RowNote] = field(default_factory=list)
    starts: list[tuple[int, int]] = field(default_factory=list)  # (first record, its row)

    def row_of(self, record: int) -> int:
        """The file row (1-based, as a spreadsheet numbers it) of a loaded record."""
        at = bisect.bisect_right(self.starts, (record, 1 << 62)) - 1
        first, row = self.starts[max(at, 0)]
        return row + record - first


def columns_spec(width: int) -> str:
    """The read_csv column list: c0 .. cN, all text."""
    return "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"


def _csv_source(sniffed: Sniffed, rejects: bool) -> str:
    options = (
        f"delim={lit(sniffed.delimiter)}, quote='\"', escape='\"', header=false, "
        f"skip={sniffed.header_line}, columns={columns_spec(len(sniffed.headers))}, "
        f"auto_detect=false, null_padding=false, max_line_size={MAX_LINE}"
    )
    if rejects:
        options += ", store_rejects=true, rejects_table='imp_rejects', rejects_scan='imp_scans'"
    return f"read_csv({lit(str(sniffed.path))}, {options})"


ENCODING_REASON = "the row is not valid text in the file's encoding (wrong encoding?)"


def load(conn: Any, sniffed: Sniffed, select: str,
         lines: Callable[[], int] | None = None) -> Loaded:
    """Create the staging table from the file through `select` (over columns c0 .. cN).

    `lines` gives the file's physical line count when the sniff did not count them (it runs
    beside the load); without it the file is counted here.
    """
    if sniffed.fmt == "xlsx":
        return _load_frame(conn, sniffed, select)
    try:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT {select} "  # nosec B608
                     f"FROM {_csv_source(sniffed, False)}")
        notes: list[RowNote] = []
    except Exception:  # noqa: BLE001 - a row DuckDB refuses: read again, collecting every one
        drop_rejects(conn)
        try:
            conn.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT {select} "  # nosec B608
                         f"FROM {_csv_source(sniffed, True)}")
        except Exception as exc:  # noqa: BLE001 - DuckDB's error types vary: keep its words
            raise BadFile(f"The file cannot be read as CSV: {str(exc).splitlines()[0]}") from None
        notes = _rejected(conn, sniffed)
    rows = int(conn.execute(f"SELECT count(*) FROM {RAW}").fetchone()[0])  # nosec B608
    loaded = Loaded(rows=rows, refused=len(notes), notes=notes)
    counter = lines or (lambda: count_lines(sniffed.path))
    _number_rows(conn, sniffed, loaded, sniffed.lines if sniffed.lines >= 0 else counter())
    return loaded


def drop_rejects(conn: Any) -> None:
    """Remove the reject tables of an earlier read on this connection."""
    conn.execute("DROP TABLE IF EXISTS imp_rejects; DROP TABLE IF EXISTS imp_scans")


def _load_frame(conn: Any, sniffed: Sniffed, select: str) -> Loaded:
    import pyarrow as pa  # only workbooks come this way

    from lib.imports.xlsx import sql_text

    table = pa.table({f"c{i}": column for i, column in enumerate(sniffed.frame)})
    texts = ", ".join(f"{sql_text(f'c{i}', column.type)} AS c{i}"
                      for i, column in enumerate(sniffed.frame))
    conn.register("imp_frame", table)
    try:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT {select} "  # nosec B608
                     f"FROM (SELECT {texts} FROM imp_frame)")
    finally:
        conn.unregister("imp_frame")
    return Loaded(rows=table.num_rows, starts=[(0, sniffed.header_line + 1)])


def _rejected(conn: Any, sniffed: Sniffed) -> list[RowNote]:
    found = conn.execute(
        "SELECT line, first(error_type), first(csv_line), first(error_message) "
        "FROM imp_rejects GROUP BY line ORDER BY line"
    ).fetchall()
    drop_rejects(conn)
    return [_rejected_note(sniffed, int(r[0]), str(r[1]), str(r[2] or ""), str(r[3] or ""))
            for r in found]


def _rejected_note(sniffed: Sniffed, row: int, kind: str, line: str, message: str) -> RowNote:
    """Why a row was not loaded: not data (skipped) or a broken row (an error)."""
    text = line.strip("\r\n")
    cells = next(csv.reader(io.StringIO(text), delimiter=sniffed.delimiter), [])
    filled = [c.strip() for c in cells if c.strip()]
    width = len(sniffed.headers)
    if not filled:
        return RowNote(row, "blank row", text[:200], False)
    if is_total_label(filled[0]):
        return RowNote(row, "total row", text[:200], False)
    if "COLUMNS" in kind and len(filled) == 1:
        return RowNote(row, "a line of text, not a data row", text[:200], False)
    if "COLUMNS" in kind:
        reason = f"the row has {len(cells)} values where the header has {width} columns"
    elif "QUOTE" in kind or "QUOTED" in kind:
        reason = "a quoted value is not closed or has text after its closing quote"
    elif "ENCODING" in kind or "UNICODE" in kind:
        reason = ENCODING_REASON
    elif "LINE SIZE" in kind:
        reason = "the row is longer than 4 MB"
    else:
        reason = message or kind
    return RowNote(row, reason, text[:200], True)


def _number_rows(conn: Any, sniffed: Sniffed, loaded: Loaded, lines: int) -> None:
    """Work out where gaps fall so that every record knows its file row."""
    header_row = sniffed.header_row
    rejected = sorted(n.row for n in loaded.notes)
    expected = sniffed.header_line + loaded.rows + len(rejected)
    empty: list[int] = []
    extra: dict[int, int] = {}
    if lines > expected:  # empty lines (DuckDB skips them), or values spanning lines
        empty = [b for b in blank_lines(sniffed.path, sniffed.crlf) if b > sniffed.header_line]
    if lines > expected + len(empty):  # some quoted values span lines: which records
        extra = _spanning_records(conn, sniffed)
    loaded.starts, blanks = _segments(header_row, sniffed.header_line, empty, rejected, extra)
    loaded.notes.extend(RowNote(b, "blank row", "", False) for b in blanks)
    loaded.notes.sort(key=lambda n: n.row)


def _spanning_records(conn: Any, sniffed: Sniffed) -> dict[int, int]:
    width = len(sniffed.headers)
    joined = "concat_ws(chr(31), " + ", ".join(f"c{i}" for i in range(width)) + ")"
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE imp_spans AS SELECT "  # nosec B608
        f"length({joined}) - length(replace({joined}, chr(10), '')) AS nl "
        f"FROM {_csv_source(sniffed, True)}"
    )
    rows = conn.execute("SELECT rowid, nl FROM imp_spans WHERE nl > 0").fetchall()
    conn.execute("DROP TABLE imp_spans")
    drop_rejects(conn)
    return {int(r[0]): int(r[1]) for r in rows}


def _segments(
    header_row: int, header_line: int, blanks: list[int], rejected: list[int],
    extra: dict[int, int],
) -> tuple[list[tuple[int, int]], list[int]]:
    """(first record, its row) after each gap, and the rows of the empty lines.

    Empty lines are known by physical line, rejected rows by row, spanning records by record:
    walk through all three in file order, keeping the physical line and the row in step.
    """
    record, line, row = 0, header_line + 1, header_row + 1
    starts: list[tuple[int, int]] = [(0, row)]
    blank_rows: list[int] = []
    spans = sorted(extra)
    b = r = s = 0
    while True:
        while b < len(blanks) and blanks[b] < line:
            b += 1  # empty lines inside a quoted value belong to it
        to_blank = blanks[b] - line if b < len(blanks) else None
        to_reject = rejected[r] - row if r < len(rejected) else None
        to_span = spans[s] - record if s < len(spans) else None
        steps = [d for d in (to_blank, to_reject, to_span) if d is not None]
        if not steps:
            return starts, blank_rows
        step = max(min(steps), 0)
        record, line, row = record + step, line + step, row + step
        if to_blank is not None and to_blank <= step:
            blank_rows.append(row)
            b += 1
        elif to_reject is not None and to_reject <= step:
            r += 1
        else:
            line += extra[spans[s]]  # the record's own line breaks
            record, line, row, s = record + 1, line + 1, row + 1, s + 1
            continue
        line, row = line + 1, row + 1
        starts.append((record, row))
