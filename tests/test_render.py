"""Renderers, checked by what a reader of the file sees: PDF text, XLSX cells, CSV fields."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from PIL import Image as PILImage
from pypdf import PdfReader

from lib import render
from lib.errors import PortalError
from lib.ledger import LedgerDoc
from lib.statements import (
    NOTE_NO_PAYMENTS,
    Statement,
    StatementAccount,
    Wholesaler,
    activity_statement,
    open_item_statement,
)

D = Decimal
END = date(2026, 3, 31)
SELLER = Wholesaler("Müller & Søn Großhandel <GmbH>", ("Königstraße 5", "70173 Stuttgart"))
ACCOUNT = StatementAccount("CAFE1", "Crème Brûlée Café SARL")
INJECTION = '=HYPERLINK("http://example.invalid","click")'


def doc(number: str, issued: date, total: str, **overrides: object) -> LedgerDoc:
    values: dict[str, object] = {
        "kind": "invoice", "number": number, "issue_date": issued,
        "due_date": issued + timedelta(30), "currency": "EUR", "total": D(total),
        "account_code": "CAFE1",
    }  # fmt: skip
    values.update(overrides)
    return LedgerDoc(**values)  # type: ignore[arg-type]


DOCS = [
    doc("F-1001", date(2026, 1, 15), "1234.50", po_reference="Rabatt 5 € – Crème <b>& Co</b>"),
    doc("F-1002", date(2026, 3, 10), "99.99", po_reference=INJECTION),
    doc("AV-7", date(2026, 2, 1), "10.00", kind="credit_note", po_reference="-10 retour"),
]


def small(kind: str = "open_item", seller: Wholesaler = SELLER) -> Statement:
    if kind == "open_item":
        return open_item_statement(DOCS, ACCOUNT, "EUR", END, wholesaler=seller,
                                   statement_date=date(2026, 4, 1))  # fmt: skip
    return activity_statement(DOCS, [], ACCOUNT, "EUR", date(2026, 1, 1), END, wholesaler=seller)


def pdf_text(data: bytes) -> tuple[str, PdfReader]:
    """The text of every page, with each run of white space (wrapped lines too) as one space."""
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), reader


def test_pdf_shows_header_lines_totals_and_page_numbers() -> None:
    text, reader = pdf_text(render.render_pdf(small()))
    for expected in ("Müller & Søn Großhandel <GmbH>", "Königstraße 5", "Statement of open items",
                     "CAFE1 Crème Brûlée Café SARL", "Open items at 31 Mar 2026", "1 Apr 2026",
                     "F-1001", "1,234.50", "-10.00", "Total due at 31 Mar 2026",
                     "1,324.49 EUR", "Rabatt 5 € – Crème <b>& Co</b>", "Page 1 of 1"):  # fmt: skip
        assert expected in text, expected
    assert "Payment dates are not in the data feed" in text
    assert len(reader.pages) == 1


def test_pdf_activity_shows_running_balance() -> None:
    text, _ = pdf_text(render.render_pdf(small("activity")))
    assert "Statement of account" in text and "1 Jan 2026 to 31 Mar 2026" in text
    assert "Opening balance at 1 Jan 2026" in text and "Closing balance at 31 Mar 2026" in text
    assert "1,224.50" in text  # after F-1001 and AV-7


def test_pdf_has_no_line_cap() -> None:
    docs = [doc(f"F-{i:05d}", date(2025, 1, 1) + timedelta(i % 400), "10.00") for i in range(5000)]
    statement = open_item_statement(docs, ACCOUNT, "EUR", END, wholesaler=SELLER)
    text, reader = pdf_text(render.render_pdf(statement))
    assert set(re.findall(r"F-\d{5}", text)) == {f"F-{i:05d}" for i in range(5000)}
    pages = len(reader.pages)
    assert pages > 50 and f"Page {pages} of {pages}" in text
    assert "50,000.00 EUR" in text


@pytest.mark.parametrize(("size", "width", "height"), [("A4", 595, 842), ("letter", 612, 792)])
def test_pdf_page_sizes(size: str, width: int, height: int) -> None:
    box = PdfReader(io.BytesIO(render.render_pdf(small(), size))).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (width, height)


def test_unknown_page_size_is_refused() -> None:
    with pytest.raises(PortalError, match="A4 or Letter"):
        render.render_pdf(small(), "A5")


def test_pdf_embeds_its_font() -> None:
    data = render.render_pdf(small())
    assert b"DejaVuSans" in data and b"/FontFile2" in data  # an embedded TrueType font


def test_pdf_logo_is_drawn_and_a_missing_one_is_skipped(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    PILImage.new("RGB", (120, 40), (20, 60, 140)).save(logo)
    with_logo = Wholesaler(SELLER.name, SELLER.address_lines, logo)
    _, reader = pdf_text(render.render_pdf(small(seller=with_logo)))
    assert len(reader.pages[0].images) == 1
    gone = Wholesaler(SELLER.name, (), tmp_path / "missing.png")
    text, _ = pdf_text(render.render_pdf(small(seller=gone)))
    assert "Müller" in text


def trimmed(values: list[object]) -> list[object]:
    """A row without the empty cells openpyxl pads it with on the right."""
    while values and values[-1] is None:
        values.pop()
    return values


def xlsx_rows(data: bytes) -> list[list[openpyxl.cell.Cell]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


def test_xlsx_statement_keeps_numbers_dates_and_text_apart() -> None:
    rows = xlsx_rows(render.render_xlsx(small()))
    values = [trimmed([c.value for c in row]) for row in rows]
    assert values[0][0] == "Statement of open items"
    head = values.index(["Date", "Type", "Number", "Reference", "Due date", "Total", "Paid",
                         "Outstanding", "Days overdue"])  # fmt: skip
    first, injected = rows[head + 1], rows[head + 3]
    assert first[0].value == datetime(2026, 1, 15) and first[0].is_date
    assert first[7].value == 1234.5 and first[7].data_type == "n"
    assert first[7].number_format == "#,##0.00"
    assert first[3].value == "Rabatt 5 € – Crème <b>& Co</b>"
    assert injected[3].value == INJECTION and injected[3].data_type == "s"  # text, not a formula
    assert ["Total due at 31 Mar 2026", 1324.49] in values
    assert ["Unapplied credit", -10] in values
    assert ["Note", NOTE_NO_PAYMENTS] in values


def test_xlsx_formats_follow_the_currency_and_text_stays_text() -> None:
    docs = [doc("Y-1", date(2026, 1, 15), "1234", currency="JPY", po_reference="#N/A"),
            doc("Y-2", date(2026, 2, 1), "5", currency="JPY", po_reference="tab\x00bell\x07")]
    rows = xlsx_rows(render.render_xlsx(open_item_statement(docs, ACCOUNT, "JPY", END,
                                                            wholesaler=SELLER)))  # fmt: skip
    values = [[c.value for c in row] for row in rows]
    head = next(i for i, v in enumerate(values) if v[:2] == ["Date", "Type"])
    assert rows[0][0].font.b and all(c.font.b for c in rows[head] if c.value)
    assert not rows[head + 1][1].font.b
    first, second = rows[head + 1], rows[head + 2]
    assert first[0].is_date and first[0].number_format == "d mmm yyyy"
    assert first[4].is_date and first[4].number_format == "d mmm yyyy"
    assert (first[5].value, first[5].number_format) == (1234, "#,##0")  # yen: no decimals
    assert (first[3].value, first[3].data_type) == ("#N/A", "s")  # text, not an Excel error
    assert second[3].value == "tab bell "  # control characters a sheet cannot hold
    assert first[8].value == 45 and first[8].number_format == "General"  # days, not money


def test_csv_statement_is_plain_and_neutralised() -> None:
    data = render.render_csv(small())
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets then read UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Statement of open items"]
    assert ["2026-01-15", "Invoice", "F-1001", "Rabatt 5 € – Crème <b>& Co</b>", "2026-02-14",
            "1234.50", "0.00", "1234.50", "45"] in rows  # fmt: skip
    assert ["2026-03-10", "Invoice", "F-1002", "'" + INJECTION, "2026-04-09", "99.99", "0.00",
            "99.99", ""] in rows  # fmt: skip
    assert ["2026-02-01", "Credit note", "AV-7", "'-10 retour", "2026-03-03", "-10.00", "0.00",
            "-10.00", ""] in rows  # fmt: skip
    assert ["Total due at 31 Mar 2026", "1324.49"] in rows
    assert ["Aging at 31 Mar 2026"] in rows and ["Unapplied credit", "-10.00"] in rows


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+44 20", "'+44 20"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("Plain", "Plain"), ("", ""),
     (D("-5.00"), D("-5.00")), (-3, -3), (None, None)],
)  # fmt: skip
def test_neutralise(value: object, expected: object) -> None:
    assert render.neutralise(value) == expected


FRAME = pd.DataFrame({
    "Number": ["F-1", INJECTION, "-2"],
    "Issued": [date(2026, 1, 2), date(2026, 1, 3), None],
    "Total": [D("10.50"), D("-3.00"), D("1E+1")],
    "Share": [0.25, float("nan"), 1.0],
    "Loaded": [pd.Timestamp("2026-01-02 10:30", tz="UTC"), pd.NaT, pd.Timestamp("2026-01-03")],
})  # fmt: skip


def test_table_to_csv() -> None:
    rows = list(csv.reader(io.StringIO(render.table_to_csv(FRAME).decode("utf-8-sig"))))
    assert rows == [
        ["Number", "Issued", "Total", "Share", "Loaded"],
        ["F-1", "2026-01-02", "10.50", "0.25", "2026-01-02T10:30:00+00:00"],
        ["'" + INJECTION, "2026-01-03", "-3.00", "", ""],
        ["'-2", "", "10", "1.0", "2026-01-03"],
    ]


def test_table_to_xlsx() -> None:
    data = render.table_to_xlsx(FRAME, "Invoices: 2026/Q1 [all]")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Invoices  2026 Q1  all"]
    rows = [list(r) for r in book.worksheets[0].iter_rows()]
    assert [c.value for c in rows[0]] == ["Number", "Issued", "Total", "Share", "Loaded"]
    assert [c.value for c in rows[1]] == ["F-1", datetime(2026, 1, 2), 10.5, 0.25,
                                          datetime(2026, 1, 2, 10, 30)]  # fmt: skip
    assert rows[2][0].value == INJECTION and rows[2][0].data_type == "s"
    assert rows[2][2].value == -3 and rows[2][2].data_type == "n"
    assert rows[2][3].value is None and rows[3][1].value is None and rows[3][2].value == 10
    assert rows[3][0].value == "-2" and rows[3][0].data_type == "s"


def test_zip_files_makes_names_safe_and_unique() -> None:
    data = render.zip_files([("a.pdf", b"1"), ("../../etc/a.pdf", b"2"), ("A.pdf", b"3"),
                             ("dir\\b.csv", b"4"), ("..", b"5")])  # fmt: skip
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["a.pdf", "a (2).pdf", "A (3).pdf", "b.csv", "file"]
        assert [archive.read(n) for n in archive.namelist()] == [b"1", b"2", b"3", b"4", b"5"]


def test_renderers_by_format() -> None:
    statement = small("activity")
    assert set(render.RENDERERS) == {"pdf", "xlsx", "csv"}
    assert render.RENDERERS["pdf"](statement).startswith(b"%PDF")
    assert render.RENDERERS["xlsx"](statement).startswith(b"PK")
    text = render.RENDERERS["csv"](statement).decode("utf-8-sig")
    assert text.startswith("Statement of account") and "\r\nAging at 31 Mar 2026\r\n" in text
    assert set(render.MEDIA_TYPES) >= set(render.RENDERERS)


def test_aware_datetimes_become_utc_in_xlsx() -> None:
    frame = pd.DataFrame({"At": [datetime(2026, 1, 2, 12, 0, tzinfo=timezone(timedelta(hours=2)))]})
    rows = xlsx_rows(render.table_to_xlsx(frame))
    assert rows[1][0].value == datetime(2026, 1, 2, 10, 0)
