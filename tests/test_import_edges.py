"""Real exports' awkward edges: line ends, row numbers, encodings, decimal marks, Excel dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import Workbook

from lib.imports import BadFile, ImportOptions, Preview, run_import
from lib.imports.load import load
from lib.imports.read import sniff
from lib.store import raw_connection

MAP = {"number": "Number", "account_code": "Customer", "issue_date": "Date", "total": "Total"}
HEAD = "Number,Customer,Date,Total"
ROWS = ["I1,C1,01/03/2026,5.00", "I2,C1,02/03/2026,6.00", "I3,C2,03/03/2026,7.00",
        "I4,C2,04/03/2026,8.00"]


def dry(url: str, data: bytes, mapping: dict[str, str] | None = None, **options: Any) -> Preview:
    return run_import(url, data, "export.csv", kind="documents", mapping=mapping or MAP,
                      options=ImportOptions(**options), actor="fiona", dry_run=True).preview


def numbered(preview: Preview) -> list[tuple[int, str]]:
    return [(r["row"], r["number"]) for r in preview.first_rows]


# ---- line ends -------------------------------------------------------------------------------

@pytest.mark.parametrize("ends", [
    ["\r\n", "\r\n", "\n", "\n", "\n", "\n"],  # title and header by one program, rows by another
    ["\n", "\n", "\r\n", "\r\n", "\r\n", "\r\n"],
    ["\r\n", "\n", "\r\n", "\n", "\n", "\r\n"],  # mixed row by row
    ["\r", "\r", "\r", "\r", "\r", "\r"],  # classic Mac
], ids=["crlf title, lf rows", "lf title, crlf rows", "mixed", "cr only"])
def test_a_file_mixing_line_ends_imports_every_row(url: str, ends: list[str]) -> None:
    lines = ["Customer activity report", HEAD, *ROWS]
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    preview = dry(url, text.encode())
    assert preview.errors == []
    assert numbered(preview) == [(3, "I1"), (4, "I2"), (5, "I3"), (6, "I4")]


def test_line_breaks_inside_quoted_values_are_kept(url: str) -> None:
    text = ("Report\r\n" + HEAD + ",Note\n" + 'I1,C1,01/03/2026,5.00,"two\r\nlines"\n'
            + "I2,C1,01/03/2026,6.00,plain\r\n")
    outcome = run_import(url, text.encode(), "export.csv", kind="documents",
                         mapping={**MAP, "description": "Note"}, options=ImportOptions(),
                         actor="fiona")
    assert outcome.applied and outcome.counts["inserted"] == 2
    with raw_connection(url) as con:
        notes = con.execute("SELECT number, description FROM document ORDER BY number").fetchall()
    assert notes == [("I1", "two\nlines"), ("I2", "plain")]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8"])
def test_a_stray_inch_mark_does_not_stop_a_rewritten_file(url: str, encoding: str) -> None:
    """A quote inside a field is a character (12" pipe), not the start of a quoted value."""
    text = ("Report\r\n" + HEAD + ",Note\r\n" + 'I1,C1,01/03/2026,5.00,Pipe 12" long\r\n'
            + "I2,C1,01/03/2026,6.00,Müller\n" + "I3,C1,01/03/2026,7.00,plain\r\n")
    outcome = run_import(url, text.encode(encoding), "export.csv", kind="documents",
                         mapping={**MAP, "description": "Note"}, options=ImportOptions(),
                         actor="fiona")
    assert outcome.preview.errors == [] and outcome.applied
    with raw_connection(url) as con:
        notes = con.execute("SELECT number, description FROM document ORDER BY number").fetchall()
    assert notes == [("I1", 'Pipe 12" long'), ("I2", "Müller"), ("I3", "plain")]


def test_row_ends_that_change_late_in_a_large_file(url: str) -> None:
    rows = "".join(f"I{n},C{n % 7},01/03/2026,10.00\n" for n in range(12_000))
    late = "".join(f"J{n},C1,02/03/2026,1.00\r\n" for n in range(5))
    data = (HEAD + "\n" + rows + late + "J9,C1,02/03/2026,x\n").encode()
    assert len(data) > 256 * 1024  # beyond what the sniff reads
    preview = dry(url, data)
    assert [(p.row, p.column, p.value) for p in preview.errors] == [(12_007, "Total", "x")]
    assert preview.documents == {"invoice": 12_005}


# ---- nothing read is never a success -----------------------------------------------------------

def test_lines_that_give_no_row_are_never_a_silent_success(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(b"Report\nNumber,Customer\nI1,C1\nI2,C2\n")
    found = sniff(good, "good.csv", tmp_path)
    # DuckDB reads no row at all from this one when it is not copied first (LF after CR LF).
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"Report\r\nNumber,Customer\nI1,C1\nI2,C2\n")
    with pytest.raises(BadFile, match="could not be read completely: none of the lines"):
        load(duckdb.connect(), replace(found, path=mixed), "c0")


def test_a_file_whose_rows_are_all_skipped_says_so(url: str) -> None:
    data = (HEAD + ",Type\n,,,5.00,\nP1,C1,01/03/2026,5.00,Payment\nTotal,,,10.00,\n").encode()
    preview = dry(url, data, {**MAP, "doc_type": "Type"})
    assert preview.error_count == 1 and not preview.ok
    message = preview.errors[0].message
    assert message.startswith("The file has no data rows: the 3 row(s) after the header (row 1)")
    assert "not an invoice or credit note (Payment)" in message and "total row" in message


# ---- row numbers -------------------------------------------------------------------------------

def test_rows_after_a_refused_row_spanning_lines_keep_their_numbers(url: str) -> None:
    """Rows are numbered as a spreadsheet shows them (a quoted value spanning lines is one row)."""
    text = (HEAD + ",Note\n"
            'I1,C1,01/03/2026,5.00,"a note\nover\nthree lines",extra\n'  # row 2, refused
            "\n"  # row 3
            "I2,C1,31/02/2026,6.00,ok\n"  # row 4: no such date
            'I3,C1,01/03/2026,7.00,"two\r\nlines"\n'  # row 5
            "I4,C1,01/03/2026,x,ok\n")  # row 6: not a number
    preview = dry(url, text.encode(), {**MAP, "description": "Note"})
    assert [(p.row, p.column, p.value) for p in preview.errors] == [
        (2, "", 'I1,C1,01/03/2026,5.00,"a note\nover\nthree lines",extra'),
        (4, "Date", "31/02/2026"), (6, "Total", "x")]
    assert "(more after Note: 'extra'" in preview.errors[0].message
    assert [(s.row, s.reason) for s in preview.skipped] == [(3, "blank row")]
    assert numbered(preview) == [(4, "I2"), (5, "I3"), (6, "I4")]


def test_a_short_row_names_the_columns_it_lacks(url: str) -> None:
    preview = dry(url, (HEAD + "\n" + ROWS[0] + "\nI2,C1,01/03/2026\n").encode())
    assert [(p.row, p.value) for p in preview.errors] == [(3, "I2,C1,01/03/2026")]
    assert preview.errors[0].message == (
        "the row has 3 values where the header has 4 columns (nothing for Total: a value or a "
        "delimiter is missing)")


# ---- encodings ---------------------------------------------------------------------------------

UTF8_ROW = "I1,C1,Müller € GmbH,01/03/2026,5.00\n".encode()
CP1252_ROW = "I2,C2,Café Rösti,01/03/2026,5.00\n".encode("cp1252")
FILLER = "".join(f"F{n},C9,Plain,01/03/2026,1.00\n" for n in range(9000)).encode()


@pytest.mark.parametrize("body", [UTF8_ROW + CP1252_ROW, UTF8_ROW + FILLER + CP1252_ROW],
                         ids=["near the start", "beyond the sniffed start"])
def test_a_utf8_file_with_windows_1252_bytes_keeps_both(url: str, body: bytes) -> None:
    data = b"Number,Customer,Name,Date,Total\n" + body
    preview = dry(url, data, {**MAP, "account_name": "Name"})
    assert preview.errors == []
    assert preview.encoding == "UTF-8 with some Windows-1252 characters"
    names = {a["name"] for a in preview.accounts_new}
    assert {"Müller € GmbH", "Café Rösti"} <= names  # neither read as mojibake


# ---- decimal marks -----------------------------------------------------------------------------

SEMICOLON = (b"Nr;Kunde;Datum;Betrag\nR1;K1;01.03.2026;1.234\nR2;K1;01.03.2026;1.234,56\n"
             b"R3;K1;01.03.2026;12,50\nR4;K1;01.03.2026;99\n")
GERMAN = {"number": "Nr", "account_code": "Kunde", "issue_date": "Datum", "total": "Betrag"}


def test_decimal_commas_with_the_decimal_point_option_are_explained(url: str) -> None:
    preview = dry(url, SEMICOLON, GERMAN)
    assert [(p.row, p.column, p.value) for p in preview.errors] == [
        (2, "Betrag", "1.234"), (3, "Betrag", "1.234,56"), (4, "Betrag", "12,50")]
    ambiguous, comma = preview.errors[0].message, preview.errors[1].message
    assert ambiguous == ("reads as 1.234 with a decimal point (1,234.56) but as 1234 with a "
                         "decimal comma (1.234,56), which this column uses on row 3")
    assert comma.startswith("not a number with a decimal point (1,234.56): it is written with "
                            "a decimal comma")


def test_decimal_commas_and_thousands_dots_with_the_right_option(url: str) -> None:
    preview = dry(url, SEMICOLON, GERMAN, decimal_comma=True)
    assert preview.errors == []
    assert [r["total"] for r in preview.first_rows] == ["1234.0000", "1234.5600", "12.5000",
                                                        "99.0000"]


def test_amounts_with_a_ledger_side_become_invoices_and_credit_notes(url: str) -> None:
    """An aged-receivables report writes '250.00 CR' for a credit: a credit note of 250."""
    data = (b"Number,Customer,Date,Total\nI1,C1,01/03/2026,\"1,200.00 DR\"\n"
            b"K7,C1,02/03/2026,250.00 CR\nI2,C1,03/03/2026,80.00\n")
    outcome = run_import(url, data, "aged.csv", kind="documents", mapping=MAP,
                         options=ImportOptions(), actor="fiona")
    assert outcome.preview.errors == [] and outcome.applied
    with raw_connection(url) as con:
        rows = con.execute("SELECT number, kind, total FROM document ORDER BY number").fetchall()
    assert [(n, k, f"{t:.2f}") for n, k, t in rows] == [
        ("I1", "invoice", "1200.00"), ("I2", "invoice", "80.00"), ("K7", "credit_note", "250.00")]


def test_a_sign_and_a_ledger_side_together_are_a_problem_with_its_place(url: str) -> None:
    preview = dry(url, b"Number,Customer,Date,Total\nI1,C1,01/03/2026,-250.00 CR\n")
    assert [(p.row, p.column, p.value, p.message) for p in preview.errors] == [
        (2, "Total", "-250.00 CR", "not a number")]


# ---- layouts -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "skipped"), [
    ((HEAD + ",\n" + "".join(r + ",\n" for r in ROWS)).encode(), []),  # trailing delimiter
    ((HEAD + "\n" + "".join(r + ",\n" for r in ROWS) + "Total,,,26.00\n").encode(),
     [(6, "total row")]),
    ((HEAD + "\n" + "\n".join(ROWS) + "\n,,,\n , , , \n").encode(), [(6, "blank row"),
                                                                 (7, "blank row")]),
    (("sep=,\n" + HEAD + "\n" + "\n".join(ROWS)).encode(), []),  # Excel's delimiter hint
    (('"Number", "Customer", "Date", "Total"\n' + "\n".join(
        ", ".join(f'"{v}"' for v in r.split(",")) for r in ROWS)).encode(), []),
    ((HEAD + "\n" + "\n".join(ROWS[:2]) + "\n" + HEAD + "\n" + "\n".join(ROWS[2:])).encode(),
     [(4, "the header row again (a report repeats it on each page)")]),
], ids=["trailing delimiter", "trailing delimiter, total row without", "delimiters only",
        "sep line", "space before quotes", "header repeated"])
def test_export_layouts_import_every_row(url: str, data: bytes,
                                         skipped: list[tuple[int, str]]) -> None:
    preview = dry(url, data)
    assert preview.errors == []
    assert [r["number"] for r in preview.first_rows] == ["I1", "I2", "I3", "I4"]
    assert [r["total"] for r in preview.first_rows] == ["5.0000", "6.0000", "7.0000", "8.0000"]
    assert [(s.row, s.reason) for s in preview.skipped] == skipped


def test_a_repeated_header_name_maps_to_its_own_column(url: str) -> None:
    data = b"Number,Customer,Date,Total,Total\nI1,C1,01/03/2026,5.00,7.00\n"
    preview = dry(url, data, {**MAP, "total": "Total (2)"})
    assert preview.headers[-2:] == ["Total", "Total (2)"]
    assert [r["total"] for r in preview.first_rows] == ["7.0000"]


# ---- Excel dates -------------------------------------------------------------------------------

def test_excel_dates_as_serials_floats_and_datetimes_all_import(url: str, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Number", "Customer", "Date", "Due", "Total"])
    sheet.append(["I1", "C1", 45291.5, datetime(2026, 2, 3, 14, 30), 10])  # serial with a time
    sheet.append(["I2", "C1", 45292, date(2026, 2, 4), 11.5])
    sheet.append(["I3", "C1", "45293.25", "2026-02-05", "12"])  # typed as text
    sheet.append(["I4", "C1", datetime(2026, 1, 1), 46100.75, 13])
    sheet.append(["I5", "C1", 4000, None, 14])  # a four-digit serial: 1910-12-13
    book.save(tmp_path / "dates.xlsx")
    preview = run_import(url, (tmp_path / "dates.xlsx").read_bytes(), "dates.xlsx",
                         kind="documents", mapping={**MAP, "due_date": "Due"},
                         options=ImportOptions(), actor="fiona", dry_run=True).preview
    assert preview.errors == []
    assert [(r["issue_date"], r["due_date"]) for r in preview.first_rows] == [
        ("2023-12-31", "2026-02-03"), ("2024-01-01", "2026-02-04"), ("2024-01-02", "2026-02-05"),
        ("2026-01-01", "2026-03-19"), ("1910-12-13", "1910-12-13")]
