"""The statement PDF's table: numbers, dates and amounts read whole on one line, text wraps.

A number split over two lines cannot be found or copied from the PDF (a buyer searching for
their invoice number finds nothing), so columns are sized to their widest value and only the
free-text column (reference or description) wraps.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from lib import render
from lib.ledger import LedgerDoc
from lib.statements import StatementAccount, Wholesaler, activity_statement, open_item_statement

END = date(2026, 3, 31)
SELLER = Wholesaler("Wholesale Ltd", ("1 High Street",))
ACCOUNT = StatementAccount("CAFE1", "Café One")
# Real numbering styles: SAP's ten digits, a prefixed year and sequence, a long credit memo.
NUMBERS = ("9000012345", "SI-2026-000451", "INV-A1-1001", "CRMEMO-2026-00000017")
LONG_TEXT = " ".join(["Espresso beans, organic, fair trade, 12 x 1 kg bags"] * 4)


def _doc(number: str, day: int, kind: str = "invoice") -> LedgerDoc:
    issued = date(2026, 1, day)
    return LedgerDoc(kind=kind, number=number, issue_date=issued, due_date=issued + timedelta(30),
                     currency="EUR", total=Decimal("1234567.89"), account_code="CAFE1",
                     po_reference=LONG_TEXT, description=LONG_TEXT)  # fmt: skip


DOCS = [_doc(n, i + 1, "credit_note" if n.startswith("CR") else "invoice")
        for i, n in enumerate(NUMBERS)]  # fmt: skip


def _lines(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [line for page in reader.pages for line in page.extract_text().splitlines()]


@pytest.mark.parametrize("size", ["A4", "Letter"])
@pytest.mark.parametrize("kind", ["open_item", "activity"])
def test_numbers_dates_and_amounts_are_never_split(kind: str, size: str) -> None:
    statement = (open_item_statement(DOCS, ACCOUNT, "EUR", END, wholesaler=SELLER)
                 if kind == "open_item" else
                 activity_statement(DOCS, [], ACCOUNT, "EUR", date(2026, 1, 1), END,
                                    wholesaler=SELLER))  # fmt: skip
    lines = _lines(render.render_pdf(statement, size))
    text = "\n".join(lines)
    for number in NUMBERS:
        assert any(number in line for line in lines), (number, text)
    assert "1,234,567.89" in text
    assert "5 Jan 2026" in text or "05 Jan 2026" in text or "2026" in text
    # The long text is all there, wrapped over several lines rather than cut.
    assert " ".join(text.split()).count("fair trade") >= 4
