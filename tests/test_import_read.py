"""Reading exports as they are: encodings, delimiters, title and total rows, row numbers, .xlsx."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from lib.imports import BadFile, ImportOptions, read_headers, read_preview, run_import
from lib.imports.load import load
from lib.imports.read import sniff

SAMPLES = Path(__file__).resolve().parent / "data" / "imports"


@pytest.mark.parametrize(("name", "encoding", "delimiter", "first_header", "header_row"), [
    ("sage50_uk_activity.csv", "UTF-8", ",", "No", 4),
    ("sap_fbl5n_de.txt", "Windows-1252", ";", "Kunde", 4),
    ("quickbooks_ar_aging_us.csv", "UTF-8 with BOM", ",", "Column 1", 5),
    ("business_central_ledger.txt", "UTF-16", "\t", "Posting Date", 1),
    ("xero_invoices_lines.csv", "UTF-8", ",", "ContactName", 1),
    ("netsuite_pipe.txt", "UTF-8", "|", "Type", 1),
    ("zoho_decimal_comma.csv", "UTF-8", ";", "Invoice Number", 1),
])
def test_encoding_delimiter_and_header_row_are_found(tmp_path: Path, name: str, encoding: str,
                                                     delimiter: str, first_header: str,
                                                     header_row: int) -> None:
    found = sniff(SAMPLES / name, name, tmp_path)
    assert (found.encoding, found.delimiter, found.header_row) == (encoding, delimiter, header_row)
    assert found.headers[0] == first_header


def test_windows_1252_text_keeps_its_accents_and_euro_sign(url: str) -> None:
    outcome = run_import(
        url, SAMPLES / "sap_fbl5n_de.txt", "sap_fbl5n_de.txt", kind="documents",
        mapping={"number": "Belegnummer", "account_code": "Kunde", "account_name": "Name 1",
                 "issue_date": "Belegdatum", "total": "Betrag in Belegwährung",
                 "description": "Text"},
        options=ImportOptions(decimal_comma=True, default_currency="EUR"), actor="t",
        dry_run=True)
    preview = outcome.preview
    assert "Nettofälligkeit" in preview.headers
    assert preview.first_rows[0]["account_name"] == "Müller Großhandel GmbH"
    assert {"code": "4712", "name": "Schäfer & Söhne KG"} in preview.accounts_new


def test_headers_and_first_rows_for_the_mapping_step() -> None:
    headers, rows = read_preview(SAMPLES / "netsuite_pipe.txt", "netsuite_pipe.txt", rows=2)
    assert headers[:3] == ["Type", "Date", "Document Number"]
    assert rows == [
        ["Invoice", "1/5/2026", "INV10001", "Acme Corp", "2/4/2026", "USD", "15,000.00",
         "5,000.00", "PO-1", "Open", "Spring order"],
        ["Credit Memo", "1/9/2026", "CM2001", "Acme Corp", "1/9/2026", "USD", "-300.00",
         "-300.00", "", "Open", "Return"],
    ]
    data = (SAMPLES / "business_central_ledger.txt").read_bytes()
    assert read_headers(data, "ledger.txt")[2] == "Document No."


def test_empty_and_repeated_header_cells_get_names_of_their_own() -> None:
    data = b"Ref,,Amount,Amount\nA1,x,1.00,2.00\n"
    assert read_headers(data, "f.csv") == ["Ref", "Column 2", "Amount", "Amount (2)"]


def test_a_trailing_delimiter_on_data_rows_adds_a_column(tmp_path: Path) -> None:
    data = b"Ref,Customer,Date,Total\nA1,C1,01/02/2026,5.00,\nA2,C1,02/02/2026,6.00,\n"
    assert read_headers(data, "f.csv") == ["Ref", "Customer", "Date", "Total", "Column 5"]


def _rows(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    """(first cell, row number) of every loaded record, and the skipped or refused rows."""
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8", newline="")
    found = sniff(path, "f.csv", tmp_path)
    con = duckdb.connect()
    loaded = load(con, found, "c0 AS first")
    records = con.execute("SELECT rowid, first FROM imp_raw ORDER BY rowid").fetchall()
    con.close()
    return [(first, loaded.row_of(rec)) for rec, first in records] + [
        (n.reason, n.row) for n in loaded.notes]


def test_row_numbers_are_the_rows_a_spreadsheet_shows(tmp_path: Path) -> None:
    text = ('Report\r\nnum,acct,amt\r\nR3,"two\r\nlines",1\r\n\r\nR5,Y,2\r\n'
            'R6,"a\r\n\r\nb",3\r\nR7,Z,4\r\nshort\r\nR9,W,5,extra\r\n\r\n\r\nR12,V,6\r\n')
    found = _rows(tmp_path, text)
    loaded = [(a, b) for a, b in found if a.startswith("R")]
    assert all(first == f"R{row}" for first, row in loaded)
    assert [a for a, _ in loaded] == ["R3", "R5", "R6", "R7", "R12"]
    notes = dict((row, reason) for reason, row in found if not reason.startswith("R"))
    assert notes[4] == notes[10] == notes[11] == "blank row"
    assert notes[8] == "a line of text, not a data row"
    assert notes[9].startswith("the row has 4 values where the header has 3 columns")


def _workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["Odoo invoices"])
    sheet.append([])
    sheet.append(["Number", "Partner", "Invoice/Bill Date", "Due Date", "Total", "Amount Due",
                  "Currency", "Check"])
    sheet.append(["INV/2026/0001", "Azure Interior", datetime(2026, 2, 3), date(2026, 3, 5),
                  1499.5, 0, "EUR", "=1+1"])
    sheet.append([])
    sheet.append(["RINV/2026/0001", "Azure Interior", date(2026, 2, 10), date(2026, 2, 10),
                  -99.5, -99.5, "EUR", "=SUM(E4:E6)"])
    sheet.append([10023, 12488, 46100, None, "1,000.00", "500", None, None])
    sheet.append([None, None, None, None, 2400, None, None, None])
    book.save(path)
    return path


def test_xlsx_is_read_as_text_without_running_formulas(url: str, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "odoo.xlsx")
    headers, rows = read_preview(path, "odoo.xlsx")
    assert headers == ["Number", "Partner", "Invoice/Bill Date", "Due Date", "Total",
                       "Amount Due", "Currency", "Check"]
    assert rows[0][:3] == ["INV/2026/0001", "Azure Interior", "2026-02-03"]
    assert rows[0][7] == ""  # a formula with no saved value stays empty: nothing is evaluated
    outcome = run_import(
        url, path.read_bytes(), "odoo.xlsx", kind="documents",
        mapping={"number": "Number", "account_code": "Partner", "issue_date": "Invoice/Bill Date",
                 "due_date": "Due Date", "total": "Total", "outstanding": "Amount Due",
                 "currency": "Currency"},
        options=ImportOptions(date_order="YMD", default_currency="EUR"), actor="t", dry_run=True)
    preview = outcome.preview
    assert preview.error_count == 0, preview.errors
    assert [(r["row"], r["number"], r["kind"], r["total"], r["issue_date"])
            for r in preview.first_rows] == [
        (4, "INV/2026/0001", "invoice", "1499.5000", "2026-02-03"),
        (6, "RINV/2026/0001", "credit_note", "99.5000", "2026-02-10"),
        (7, "10023", "invoice", "1000.0000", "2026-03-19"),  # Excel serial 46100
    ]
    assert [(s.row, s.reason) for s in preview.skipped] == [
        (5, "blank row"), (8, "subtotal row (no number, account or date)")]


def test_a_csv_renamed_xlsx_and_an_xlsx_renamed_csv(tmp_path: Path) -> None:
    with pytest.raises(BadFile, match="not an Excel workbook"):
        read_headers(b"a,b\n1,2\n", "export.xlsx")
    book = _workbook(tmp_path / "book.xlsx").read_bytes()
    assert read_headers(book, "export.csv")[0] == "Number"  # the content decides


def test_row_numbers_hold_across_read_chunks(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.imports import rownumbers, transcode

    text = "num,acct,amt\r\n" + "".join(
        f'R{n},"x{n}",{n}\r\n' + ("\r\n" if n % 3 == 0 else "") for n in range(2, 40))
    whole = _rows(tmp_path, text)
    # line breaks and empty lines split across pieces
    monkeypatch.setattr(rownumbers, "CHUNK", 7)
    monkeypatch.setattr(transcode, "CHUNK", 7)
    assert _rows(tmp_path, text) == whole
    numbered = [(first, row) for first, row in whole if first.startswith("R")]
    assert numbered[:4] == [("R2", 2), ("R3", 3), ("R4", 5), ("R5", 6)]
    assert [row for reason, row in whole if reason == "blank row"][:2] == [4, 8]


def test_windows_1252_bytes_after_an_ascii_start_are_still_read_right(url: str) -> None:
    rows = "".join(f"I{n},C{n % 7},Plain name,01/03/2026,10.00\r\n" for n in range(8000))
    late = "I9999,C1,Caf\xe9 R\xf6sti \u20ac,02/03/2026,12.50\r\n"  # é ö € in Windows-1252
    data = ("Number,Customer,Name,Date,Total\r\n" + rows + late).encode("cp1252")
    assert len(data) > 256 * 1024  # beyond what the sniff reads
    outcome = run_import(
        url, data, "late.csv", kind="documents",
        mapping={"number": "Number", "account_code": "Customer", "account_name": "Name",
                 "issue_date": "Date", "total": "Total"},
        options=ImportOptions(), actor="t", dry_run=True)
    assert outcome.preview.errors == [] and outcome.preview.encoding == "Windows-1252"
    assert outcome.preview.documents == {"invoice": 8001}
