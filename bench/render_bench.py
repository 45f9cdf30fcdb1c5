"""A long statement rendered by lib/ as PDF and XLSX, beside bare reportlab and openpyxl."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from typing import Any

from bench.common import DAYS, Row, Section, Size, paired
from bench.generate import Dataset
from bench.ledger_bench import statement_period

TARGET = 1.5
FLOOR_FONT = "BenchDejaVu"
CHUNK = 500  # rows per table: reportlab lays out short tables much faster than one long one


def long_statement(ds: Dataset, lines: int) -> Any:
    """The largest account's GBP activity statement, cut to exactly `lines` lines.

    Twelve months hold enough lines at full size; a small (--quick) store needs its whole history.
    """
    start, end = statement_period(date.fromisoformat(ds.as_of))
    for begin in (start, date.fromordinal(end.toordinal() - DAYS)):
        built = _statement(ds, begin, end)
        if len(built.lines) >= lines:
            return replace(built, lines=built.lines[:lines])
    raise RuntimeError(f"the statement has {len(built.lines)} lines, fewer than {lines}")


def _statement(ds: Dataset, start: date, end: date) -> Any:
    from lib import ledger_queries, statements, store
    from lib.access import AccountGrant, Principal
    from lib.queries import scope_for

    who = Principal("bench", "buyer", frozenset({AccountGrant(ds.largest_code)}))
    with store.session_scope(ds.url) as session:
        scope = scope_for(session, who, ds.largest_code)
        built = ledger_queries.build_statement(
            session, scope, kind=statements.ACTIVITY, currency="GBP", start=start, end=end,
            statement_date=end,
            wholesaler=statements.Wholesaler("Bench Wholesale Ltd", ("1 Bench Street", "Leeds")),
        )  # fmt: skip
    return built


def _register_floor_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    from lib.render_pdf import FONT_DIR

    if FLOOR_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FLOOR_FONT, str(FONT_DIR / "DejaVuSans.ttf")))


def bare_pdf(headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    """The floor: the same rows as text in plain platypus tables, with the same embedded font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    style = TableStyle([("FONTNAME", (0, 0), (-1, -1), FLOOR_FONT),
                        ("FONTSIZE", (0, 0), (-1, -1), 7.5)])  # fmt: skip
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    # Fixed widths, as any real layout gives: measuring every cell for auto widths is slow.
    widths = [(A4[0] - 72) / len(headers)] * len(headers)
    story = []
    for start in range(0, len(cells), CHUNK):
        table = Table([list(headers), *cells[start:start + CHUNK]], colWidths=widths,
                      repeatRows=1)
        table.setStyle(style)
        story.append(table)
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build(story)
    return out.getvalue()


def bare_xlsx(headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    """The floor: the same typed rows appended to an openpyxl write-only sheet."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Statement")
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(ds: Dataset, size: Size) -> Section:
    """Time render_pdf and render_xlsx of a long statement against their bare floors."""
    from lib import render
    from lib.render_pdf import render_pdf

    section = Section("render",
                      f"4. Renderers (issue 3): a {size.statement_lines:,}-line statement")
    statement = long_statement(ds, size.statement_lines)
    headers, rows = statement.table()
    _register_floor_font()
    pdf = render_pdf(statement)
    section.add(Row(f"statement PDF ({len(pdf) / 1e3:.0f} kB)",
                    *paired(lambda: render_pdf(statement), lambda: bare_pdf(headers, rows),
                            size.slow_runs), TARGET,
                    note=f"floor: reportlab platypus, {CHUNK}-row tables, fixed widths, same font"))
    section.add(Row("statement XLSX", *paired(lambda: render.render_xlsx(statement),
                                              lambda: bare_xlsx(headers, rows), size.runs),
                    TARGET,
                    note="floor: openpyxl write-only sheet of the same typed rows"))
    section.notes.append(
        f"The largest account's GBP activity statement (12 months; the whole history with "
        f"--quick), cut to its first "
        f"{size.statement_lines:,} lines; render_pdf (A4) and render_xlsx from lib/. Medians of "
        f"{size.slow_runs} (PDF) and {size.runs} (XLSX) runs after a warm-up, alternating "
        "with the floor; the seconds shown "
        "are absolute times per file.")
    return section
