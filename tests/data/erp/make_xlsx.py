"""Writes business_central_customer_ledger_entries.xlsx, a Business Central "Open in Excel" export.

Run from the repository root: `.venv/bin/python tests/data/erp/make_xlsx.py`. The generated file
is committed; this script documents how it was made. Invented customers and amounts.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

OUT = Path(__file__).resolve().parent / "business_central_customer_ledger_entries.xlsx"

# Captions of the Customer Ledger Entries page (Cust. Ledger Entry table), in page order.
HEADERS = ["Posting Date", "Document Type", "Document No.", "External Document No.",
           "Customer No.", "Customer Name", "Description", "Currency Code", "Original Amount",
           "Amount", "Remaining Amount", "Remaining Amt. (LCY)", "Due Date", "Open", "Entry No."]

# posting date, type, number, external no., customer, name, description, currency,
# original amount, remaining amount, due date
ENTRIES = [
    (date(2026, 10, 1), "Invoice", "PSI-103021", "PO-4471", "C10000", "The Cannon Group PLC",
     "Order 101005", "", "1499.03", "1499.03", date(2026, 10, 31)),
    (date(2026, 10, 8), "Invoice", "PSI-103034", "PO-4490", "C10000", "The Cannon Group PLC",
     "Order 101012", "", "2310.50", "810.50", date(2026, 11, 7)),
    (date(2026, 10, 12), "Credit Memo", "PSCM-104006", "", "C10000", "The Cannon Group PLC",
     "Return of order 101012", "", "-215.00", "-215.00", date(2026, 10, 12)),
    (date(2026, 10, 19), "Invoice", "PSI-103050", "SEL/8812", "C20000", "Selangorian Ltd.",
     "Order 101020", "EUR", "3120.00", "3120.00", date(2026, 11, 18)),
    (date(2026, 10, 26), "Payment", "G02014", "", "C20000", "Selangorian Ltd.",
     "Payment received", "EUR", "-1000.00", "0.00", date(2026, 10, 26)),
    (date(2026, 11, 2), "Invoice", "PSI-103071", "JH-5520", "C30000",
     "John Haddock Insurance Co.", "Order 101033", "", "675.40", "0.00", date(2026, 12, 2)),
]

# Exchange rate of the one foreign-currency customer, for the (LCY) column.
EUR_RATE = Decimal("0.86")


def main() -> None:
    """Write the workbook: one header row, one row per ledger entry, real dates and numbers."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Customer Ledger Entries"
    sheet.append(HEADERS)
    for entry_no, entry in enumerate(ENTRIES, start=1401):
        posted, doc_type, number, external, customer, name, text, currency = entry[:8]
        original, remaining, due = Decimal(entry[8]), Decimal(entry[9]), entry[10]
        lcy = remaining * EUR_RATE if currency else remaining
        sheet.append([datetime.combine(posted, datetime.min.time()), doc_type, number, external,
                      customer, name, text, currency, original, original,
                      remaining, lcy.quantize(Decimal("0.01")),
                      datetime.combine(due, datetime.min.time()), "Yes" if remaining else "No",
                      entry_no])
    for row in sheet.iter_rows(min_row=2):
        row[0].number_format = row[12].number_format = "dd/mm/yyyy"
        for cell in row[8:12]:
            cell.number_format = "#,##0.00"
    book.save(OUT)


if __name__ == "__main__":
    main()
