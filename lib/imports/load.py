"""Loading a sniffed file into a DuckDB staging table, with each record's row number in the file.

Row numbers are the rows a spreadsheet shows (rownumbers.py rebuilds them).
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

from lib.imports.read import Sniffed
from lib.imports.result import BadFile
from lib.imports.rownumbers import blank_lines, number_rows, spanning_records
from lib.imports.transcode import count_lines
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
    column: str = ""  # the column at fault, where the reader says
    span: int = 0  # line breaks inside the row (a quoted value spanning lines)


@dataclass
class Loaded:
    """The staging table's size, the rows that did not load, and each record's file row."""

    rows: int
    refused: int = 0  # rows DuckDB refused (ragged, broken quotes, bad bytes)
    notes: list[RowNote] = field(default_factory=list)
    starts: list[tuple[int, int]] = field(default_factory=list)  # (first record, its row)
    header_row: int = 0

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
    beside the load); without it the file is counted here. BadFile when DuckDB cannot read
    the file, or when lines of it gave no row and no reason why.
    """
    if sniffed.fmt == "xlsx":
        return _load_frame(conn, sniffed, select)
    notes = _read(conn, sniffed, select)
    rows = int(conn.execute(f"SELECT count(*) FROM {RAW}").fetchone()[0])  # nosec B608
    loaded = Loaded(rows=rows, refused=len(notes), notes=notes, header_row=sniffed.header_row)
    counted = sniffed.lines if sniffed.lines >= 0 else (
        lines or (lambda: count_lines(sniffed.path)))()
    spans: dict[int, int] = {}

    def find_spans() -> dict[int, int]:
        spans.update(_spans(conn, sniffed))
        return spans

    loaded.starts, blanks = number_rows(
        sniffed.header_row, sniffed.header_line, rows, counted,
        [(n.row, n.span) for n in notes], lambda: blank_lines(sniffed.path, sniffed.crlf),
        find_spans)
    read = sniffed.header_line + rows + sum(1 + n.span for n in notes)
    _check_complete(sniffed, loaded, counted - read - len(blanks) - sum(spans.values()))
    loaded.notes.extend(RowNote(b, "blank row", "", False) for b in blanks)
    loaded.notes.sort(key=lambda n: n.row)
    return loaded


def _read(conn: Any, sniffed: Sniffed, select: str) -> list[RowNote]:
    """Load the rows; the rows DuckDB refused, when it refused any."""
    try:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT {select} "  # nosec B608
                     f"FROM {_csv_source(sniffed, False)}")
        return []
    except Exception:  # noqa: BLE001 - a row DuckDB refuses: read again, collecting every one
        drop_rejects(conn)
    try:
        conn.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT {select} "  # nosec B608
                     f"FROM {_csv_source(sniffed, True)}")
    except Exception as exc:  # noqa: BLE001 - DuckDB's error types vary: keep its words
        raise BadFile(f"The file cannot be read as CSV: {str(exc).splitlines()[0]}") from None
    return _rejected(conn, sniffed)


def _spans(conn: Any, sniffed: Sniffed) -> dict[int, int]:
    found = spanning_records(conn, _csv_source(sniffed, True), len(sniffed.headers))
    drop_rejects(conn)
    return found


def _check_complete(sniffed: Sniffed, loaded: Loaded, lost: int) -> None:
    """BadFile when some lines after the header became neither a row nor a known gap."""
    if lost <= 0:
        return
    what = ("none of the lines after the header" if loaded.rows == 0 and not loaded.refused
            else f"{lost} of the lines after the header")
    raise BadFile(
        f"The file could not be read completely: {what} (on line {sniffed.header_line}) gave "
        "a row, and nothing was imported. The file may be damaged or cut short: export it "
        "again as CSV."
    )


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
    return Loaded(rows=table.num_rows, starts=[(0, sniffed.header_line + 1)],
                  header_row=sniffed.header_row)


def _rejected(conn: Any, sniffed: Sniffed) -> list[RowNote]:
    found = conn.execute(
        "SELECT line, first(error_type), first(csv_line), first(error_message), "
        "first(column_idx) FROM imp_rejects GROUP BY line ORDER BY line"
    ).fetchall()
    drop_rejects(conn)
    return [_rejected_note(sniffed, int(r[0]), str(r[1]), str(r[2] or ""), str(r[3] or ""),
                           int(r[4] or 0)) for r in found]


def _rejected_note(sniffed: Sniffed, row: int, kind: str, line: str, message: str,
                   column: int) -> RowNote:
    """Why a row was not loaded: not data (skipped) or a broken row (an error)."""
    text = line.strip("\r\n")
    span = text.count("\n")
    cells = next(csv.reader(io.StringIO(text), delimiter=sniffed.delimiter), [])
    filled = [c.strip() for c in cells if c.strip()]
    if not filled or is_total_label(filled[0]) or ("COLUMNS" in kind and len(filled) == 1):
        reason = ("blank row" if not filled else "total row" if is_total_label(filled[0])
                  else "a line of text, not a data row")
        return RowNote(row, reason, text[:200], False, span=span)
    width = len(sniffed.headers)
    header = sniffed.headers[column - 1] if 0 < column <= width and "COLUMNS" not in kind else ""
    return RowNote(row, _reason(kind, message, cells, sniffed.headers), text[:200], True, header,
                   span)


def _reason(kind: str, message: str, cells: list[str], headers: tuple[str, ...]) -> str:
    """A refused row's problem in the user's words."""
    if "COLUMNS" in kind:
        return _ragged(cells, headers)
    if "QUOTE" in kind or "QUOTED" in kind:
        return "a quoted value is not closed or has text after its closing quote"
    if "ENCODING" in kind or "UNICODE" in kind:
        return ENCODING_REASON
    if "LINE SIZE" in kind:
        return "the row is longer than 4 MB"
    return message or kind


def _ragged(cells: list[str], headers: tuple[str, ...]) -> str:
    """A row with more or fewer values than the header has columns, and which ones."""
    width = len(headers)
    said = f"the row has {len(cells)} values where the header has {width} columns"
    if len(cells) < width:
        missing = ", ".join(headers[len(cells):][:5]) + ("..." if width - len(cells) > 5 else "")
        return f"{said} (nothing for {missing}: a value or a delimiter is missing)"
    extra = ", ".join(repr(c[:40]) for c in cells[width:][:3]) + (
        "..." if len(cells) - width > 3 else "")
    return f"{said} (more after {headers[-1]}: {extra}; an unquoted delimiter in a value?)"
