"""Where a text export's columns are: the delimiter, the header row, the column names."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter

from lib.imports.result import BadFile
from lib.imports.values import parse_amount, parse_date

DELIMITERS = (",", ";", "\t", "|")
SNIFF_ROWS = 200


def best_delimiter(text: str) -> tuple[str, list[list[str]], list[int]]:
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
    # Spaces before a quoted value ("a", "b") are skipped, as DuckDB's reader skips them.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        skipinitialspace=True)
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


def column_count(header: list[str], data_rows: list[list[str]]) -> int:
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
