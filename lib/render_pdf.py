"""The statement PDF: reportlab platypus, embedded DejaVu font, "Page n of m", no line cap."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lib.errors import PortalError
from lib.money import format_amount, format_money
from lib.statements import OPEN_ITEM, Statement, long_date

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAGE_SIZES = {"a4": A4, "letter": letter}
PDF_MARGIN = 15 * mm
PDF_CHUNK_ROWS = 500  # reportlab lays out many short tables about twice as fast as one long one
# The column of free text that takes the width the others leave (Reference, Description).
OPEN_ITEM_TEXT_COLUMN, ACTIVITY_TEXT_COLUMN = 3, 3
TEXT_COLUMN_SHARE = 0.18  # the least of the width the free text keeps before others give way
CELL_PADDING = 3  # left and right padding of a table cell, in points
CELL_FONT_SIZE = 7.5
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _register_fonts() -> None:
    """Embed DejaVu Sans, once per process, so the euro sign and accented names render."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def _numbered_canvas(footer: str) -> type[canvas.Canvas]:
    """A canvas that holds pages back until the end, so each can say 'Page n of m'."""

    class NumberedCanvas(canvas.Canvas):  # type: ignore[misc]  # reportlab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802  # reportlab's name
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for number, state in enumerate(self._held, 1):
                self.__dict__.update(state)
                width = self._pagesize[0]
                self.setFont(FONT, 7.5)
                self.drawString(PDF_MARGIN, PDF_MARGIN / 2, footer)
                self.drawRightString(width - PDF_MARGIN, PDF_MARGIN / 2,
                                     f"Page {number} of {len(self._held)}")  # fmt: skip
                super().showPage()
            super().save()

    return NumberedCanvas


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=11)
    return {
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "big": ParagraphStyle("big", parent=base, fontName=FONT_BOLD, fontSize=14, leading=18),
        "bold": ParagraphStyle("bold", parent=base, fontName=FONT_BOLD),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=7.5, leading=9),
        "head_right": ParagraphStyle("head_right", parent=base, fontName=FONT_BOLD, fontSize=7.5,
                                     leading=9, alignment=TA_RIGHT),  # fmt: skip
    }


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of feed text shown as text: reportlab would read <, > and & as markup."""
    return Paragraph(escape(CONTROL_CHARACTERS.sub(" ", text)), style)


def _cell_text(value: Any, currency: str) -> str:
    """What a table cell reads: amounts and dates formatted, feed text without control codes."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_amount(value, currency)
    if isinstance(value, date):
        return long_date(value)
    return CONTROL_CHARACTERS.sub(" ", str(value))


def _column_widths(headers: tuple[str, ...], rows: list[list[str]], text_column: int,
                   width: float) -> tuple[list[float], list[bool]]:  # fmt: skip
    """Each column as wide as its widest cell, so numbers and dates stay on one line; the
    free-text column takes what is left. When that is too little, columns give way only down
    to their widest word: a number or an amount (one word) is never split.

    Also returns, per column, whether every cell fits on one line at that width.
    """
    natural, word = _natural_widths(headers, rows)
    whole = [0.0 if i == text_column else w for i, w in enumerate(natural)]
    word[text_column] = 0.0
    room = width - width * TEXT_COLUMN_SHARE
    excess, slack = sum(whole) - room, sum(whole) - sum(word)
    if excess > 0:
        share = min(1.0, excess / slack) if slack else 1.0
        whole = [w - (w - m) * share for w, m in zip(whole, word, strict=True)]
    if sum(whole) > width:  # even single words do not fit: the last resort is to scale
        whole = [w * width / sum(whole) for w in whole]
    whole[text_column] = max(0.0, width - sum(whole))
    return whole, [n <= w + 0.01 for n, w in zip(natural, whole, strict=True)]


def _natural_widths(headers: tuple[str, ...],
                    rows: list[list[str]]) -> tuple[list[float], list[float]]:  # fmt: skip
    """Per column: the width of its widest cell, and of its widest single word (both padded).

    Headings wrap between words, so only their longest word counts. Each distinct text is
    measured once: dates, types and many amounts repeat down a column.
    """
    heads = [max(_width(w, FONT_BOLD) for w in heading.split()) for heading in headers]
    whole, word = list(heads), list(heads)
    for i, column in enumerate(zip(*rows, strict=False)):  # rows all have len(headers)
        for text in set(column):
            size = _width(text)
            whole[i] = max(whole[i], size)
            longest = max(map(_width, text.split()), default=0.0) if " " in text else size
            word[i] = max(word[i], longest)
    pad = 2 * CELL_PADDING + 1
    return [w + pad for w in whole], [w + pad for w in word]


def _width(text: str, font: str = FONT) -> float:
    return float(pdfmetrics.stringWidth(text, font, CELL_FONT_SIZE))


def _pdf_cell(text: str, style: ParagraphStyle, width: float) -> Any:
    """Plain text is drawn as it is, and fast; only text too wide needs a wrapping Paragraph."""
    return text if _width(text) <= width - 2 * CELL_PADDING else _para(text, style)


def _header(statement: Statement, styles: dict[str, ParagraphStyle], width: float) -> Table:
    """Wholesaler (logo, name, address) on the left; title and account fields on the right."""
    seller = statement.wholesaler
    left: list[Any] = []
    logo = seller.logo_path
    if logo is not None and Path(logo).is_file():
        # An unreadable logo must not stop a buyer getting their statement.
        with contextlib.suppress(OSError, ValueError):
            left.append(Image(str(logo), width=40 * mm, height=18 * mm, kind="proportional",
                              hAlign="LEFT"))  # fmt: skip
    left += [_para(seller.name, styles["big"])]
    left += [_para(line, styles["body"]) for line in seller.address_lines]
    fields = [[_para(label, styles["bold"]), _para(text, styles["body"])]
              for label, text in statement.header_fields()]  # fmt: skip
    field_table = Table(fields, colWidths=[32 * mm, width / 2 - 34 * mm], hAlign="LEFT")
    field_table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT)]))
    right = [_para(statement.title, styles["big"]), field_table]
    table = Table([[left, right]], colWidths=[width / 2, width / 2])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("FONTNAME", (0, 0), (-1, -1), FONT)]))  # fmt: skip
    return table


def _grid_style(numeric_from: int, header_rows: int = 1) -> TableStyle:
    return TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("FONTNAME", (0, 0), (-1, header_rows - 1), FONT_BOLD),
        ("LINEBELOW", (0, 0), (-1, header_rows - 1), 0.6, colors.black),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, header_rows), (-1, -1), [colors.white, colors.HexColor("#f2f4f7")]),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ])  # fmt: skip


def _lines_tables(
    statement: Statement, styles: dict[str, ParagraphStyle], width: float
) -> list[Any]:
    """The lines in tables of PDF_CHUNK_ROWS rows, each repeating the header on a new page."""
    headers, rows = statement.table()
    is_open_item = statement.kind == OPEN_ITEM
    text_column, numeric_from = ((OPEN_ITEM_TEXT_COLUMN, 5) if is_open_item
                                 else (ACTIVITY_TEXT_COLUMN, 4))  # fmt: skip
    texts = [[_cell_text(value, statement.currency) for value in row] for row in rows]
    widths, fits = _column_widths(headers, texts, text_column, width)
    head = [_para(text, styles["head_right" if i >= numeric_from else "head"])
            for i, text in enumerate(headers)]  # fmt: skip
    cells = [[text if fit else _pdf_cell(text, styles["cell"], w)
              for text, w, fit in zip(row, widths, fits, strict=True)] for row in texts]
    tables: list[Any] = []
    for start in range(0, max(len(cells), 1), PDF_CHUNK_ROWS):
        table = Table([head, *cells[start:start + PDF_CHUNK_ROWS]], colWidths=widths,
                      repeatRows=1)  # fmt: skip
        table.setStyle(_grid_style(numeric_from))
        tables.append(table)
    return tables


def _amounts_table(pairs: list[tuple[str, Decimal]], currency: str) -> Table:
    """Labels over amounts, one column each (the aging summary)."""
    table = Table([[label for label, _ in pairs], [format_amount(a, currency) for _, a in pairs]])
    table.setStyle(_grid_style(0))
    return table


def render_pdf(statement: Statement, page_size: str = "A4") -> bytes:
    """The statement as a PDF on A4 or Letter: every line, page numbers, embedded font."""
    size = PAGE_SIZES.get(page_size.strip().lower())
    if size is None:
        raise PortalError(f"Unknown page size {page_size!r}: choose A4 or Letter.")
    _register_fonts()
    styles = _styles()
    width = size[0] - 2 * PDF_MARGIN
    summary = [[_para(k, styles["bold"]), format_money(v, statement.currency)]
               for k, v in statement.summary()]  # fmt: skip
    summary_table = Table(summary, colWidths=[70 * mm, 45 * mm], hAlign="LEFT")
    summary_table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT_BOLD),
                                       ("ALIGN", (1, 0), (1, -1), "RIGHT")]))  # fmt: skip
    aging = [*statement.aging.rows(), ("Total", statement.aging.total)]
    story: list[Any] = [_header(statement, styles, width), Spacer(1, 6 * mm), summary_table,
                        Spacer(1, 5 * mm), *_lines_tables(statement, styles, width),
                        Spacer(1, 5 * mm), _para("Aging", styles["bold"]),
                        _amounts_table(aging, statement.currency), Spacer(1, 4 * mm)]  # fmt: skip
    story += [_para(note, styles["body"]) for note in statement.notes]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=size, leftMargin=PDF_MARGIN, rightMargin=PDF_MARGIN,
                            topMargin=PDF_MARGIN, bottomMargin=PDF_MARGIN,
                            title=f"{statement.title} {statement.account.code}",
                            author=statement.wholesaler.name, initialFontName=FONT)  # fmt: skip
    footer = f"{statement.account.code} · {statement.currency} · {statement.period_label()}"
    doc.build(story, canvasmaker=_numbered_canvas(footer))
    return out.getvalue()
