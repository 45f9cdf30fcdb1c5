"""A corpus of bad files: each gets a clear message naming where and what, and changes nothing."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlmodel import Session

from lib import store
from lib.imports import ImportOptions, run_import
from tests import factories
from tests.trust_figures import record

DOCS = {"number": "Number", "doc_type": "Type", "account_code": "Customer", "issue_date": "Date",
        "due_date": "Due", "currency": "Currency", "total": "Total", "paid": "Paid"}
HEAD = "Number,Type,Customer,Date,Due,Currency,Total,Paid\n"
GOOD = "I1,Invoice,ACME,01/03/2026,31/03/2026,GBP,100.00,0\n"
LINES = {"number": "No", "account_code": "Customer", "issue_date": "Date",
         "line_item_code": "Item", "line_quantity": "Qty", "line_unit_price": "Price"}
PAYMENTS = {"reference": "Ref", "account_code": "Customer", "payment_date": "Date",
            "amount": "Amount", "applied_document": "Invoice", "applied_amount": "Applied"}


@dataclass(frozen=True)
class Bad:
    """A bad file and the first problem it must report."""

    id: str
    data: bytes
    message: str
    row: int | None = None
    column: str = ""
    value: str = ""
    name: str = "export.csv"
    kind: str = "documents"
    mapping: dict[str, str] = field(default_factory=lambda: dict(DOCS))
    options: ImportOptions = field(default_factory=ImportOptions)


def docs(*rows: str) -> bytes:
    return (HEAD + GOOD + "".join(r + "\n" for r in rows)).encode()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _sheet(cells: str) -> bytes:
    return _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                 "xl/worksheets/sheet1.xml": f"<worksheet><sheetData>{cells}</sheetData>"
                                             "</worksheet>".encode()})


CORPUS = [
    # ---- files that cannot be read at all ----
    Bad("empty", b"", "empty"),
    Bad("blank lines only", b"\n\r\n\n", "no data"),
    Bad("header only", HEAD.encode(), "header row but no data rows"),
    Bad("png renamed csv", b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG image"),
    Bad("pdf renamed csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
    Bad("gzip renamed csv", b"\x1f\x8b\x08\x00" + bytes(100), "gzip"),
    Bad("program renamed csv", b"\x7fELF\x02\x01\x01" + bytes(100), "program"),
    Bad("binary noise", bytes(range(256)) * 8, "binary data"),
    Bad("old xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), ".xls", name="old.xls"),
    Bad("xls content renamed csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
        "old-style Office file"),
    Bad("xlsx that is not a zip", b"Number,Total\nI1,5\n", "not a zip file", name="x.xlsx"),
    Bad("zip that is not a workbook", _zip({"notes.txt": b"hello"}), "no xl/workbook.xml",
        name="x.xlsx"),
    Bad("damaged zip", b"PK\x03\x04" + b"\x00" * 60 + b"garbage", "damaged", name="x.xlsx"),
    Bad("zip bomb", _zip({"xl/workbook.xml": b"<workbook/>",
                          "xl/worksheets/sheet1.xml": b"<c/>" * 6_000_000}),
        "zip bomb", name="bomb.xlsx"),
    Bad("spreadsheet grid bomb", _sheet('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
        "spreadsheet bomb", name="grid.xlsx"),
    Bad("oversized", docs(*[GOOD] * 50), "the limit is 0 MB",
        options=ImportOptions(max_bytes=1000)),
    Bad("one column only", b"just a line of text\nanother line\n", "No columns found"),
    Bad("no header row", b"1,2,3\n4,5,6\n7,8,9\n", "No header row found"),
    Bad("utf-16 cut in half", b"\xff\xfe" + "Number\tTotal\r\nI1\t5\r\n".encode("utf-16-le")
        + b"\x00\xd8", "not valid UTF-16", name="u.txt"),
    # ---- mapping and options ----
    Bad("mapping names a missing column", docs(), "which this file does not have",
        column="Amount", mapping={**DOCS, "total": "Amount"}),
    Bad("required field not mapped", docs(), "required field account_code",
        mapping={k: v for k, v in DOCS.items() if k != "account_code"}),
    Bad("unknown default currency", docs(), "default currency",
        options=ImportOptions(default_currency="XXX"), value="XXX"),
    # ---- rows the reader refuses ----
    Bad("ragged row", docs("I2,Invoice,ACME,01/03/2026,,GBP,5.00,0,extra,more"),
        "values where the header has 8 columns", row=3),
    Bad("unclosed quote", docs('I2,Invoice,"ACME,01/03/2026,,GBP,5.00,0'), "quoted value",
        row=3),
    Bad("bad bytes in utf-8 with bom", b"\xef\xbb\xbf" + docs("I2,Invoice,AC\xffME,01/03/2026,,"
        "GBP,5.00,0".encode("latin-1").decode("latin-1")).replace(b"\xc3\xbf", b"\xff"),
        "not valid text in the file's encoding", row=3),
    # ---- values ----
    Bad("missing number", docs(",Invoice,ACME,01/03/2026,,GBP,5.00,0"),
        "missing document number", row=3, column="Number"),
    Bad("missing account", docs("I2,Invoice,,01/03/2026,,GBP,5.00,0"),
        "missing customer account code", row=3, column="Customer"),
    Bad("walk-in sale", docs("I2,Invoice,NA,01/03/2026,,GBP,5.00,0"), "walk-in", row=3,
        column="Customer", value="NA"),
    Bad("missing issue date", docs("I2,Invoice,ACME,,,GBP,5.00,0"), "missing issue date",
        row=3, column="Date"),
    Bad("impossible date", docs("I2,Invoice,ACME,31/02/2026,,GBP,5.00,0"), "not a date",
        row=3, column="Date", value="31/02/2026"),
    Bad("us date in a dmy file", docs("I2,Invoice,ACME,12/31/2026,,GBP,5.00,0"),
        "day/month/year", row=3, column="Date", value="12/31/2026"),
    Bad("text date", docs("I2,Invoice,ACME,next Tuesday,,GBP,5.00,0"), "not a date", row=3,
        column="Date", value="next Tuesday"),
    Bad("letter O in an amount", docs("I2,Invoice,ACME,01/03/2026,,GBP,12.5O,0"),
        "not a number", row=3, column="Total", value="12.5O"),
    Bad("decimal comma in a point file", docs('I2,Invoice,ACME,01/03/2026,,GBP,"1,5",0'),
        "not a number", row=3, column="Total", value="1,5"),
    Bad("missing total", docs("I2,Invoice,ACME,01/03/2026,,GBP,,0"), "missing total", row=3,
        column="Total"),
    Bad("text in paid", docs("I2,Invoice,ACME,01/03/2026,,GBP,5.00,half"), "not a number",
        row=3, column="Paid", value="half"),
    Bad("paid more than total", docs("I2,Invoice,ACME,01/03/2026,,GBP,5.00,7.50"),
        "paid is more than the total (5.00)", row=3, column="Paid", value="7.50"),
    Bad("outstanding more than total", b"Number,Customer,Date,Total,Due amount\n"
        b"I1,ACME,01/03/2026,10.00,25.00\n", "outstanding amount is more than the total",
        row=2, column="Due amount", mapping={"number": "Number", "account_code": "Customer",
                                              "issue_date": "Date", "total": "Total",
                                              "outstanding": "Due amount"}),
    Bad("due before issue", docs("I2,Invoice,ACME,01/03/2026,01/02/2026,GBP,5.00,0"),
        "due date is before the issue date", row=3, column="Due", value="2026-02-01"),
    Bad("unknown currency", docs("I2,Invoice,ACME,01/03/2026,,XYZ,5.00,0"),
        "unknown currency code", row=3, column="Currency", value="XYZ"),
    Bad("unknown document type", docs("I2,Frobnicate,ACME,01/03/2026,,GBP,5.00,0"),
        "unknown document type", row=3, column="Type", value="Frobnicate"),
    Bad("negative invoice", docs("I2,Invoice,ACME,01/03/2026,,GBP,-5.00,0"),
        "negative total on an invoice", row=3, column="Total", value="-5.00"),
    Bad("duplicate number", docs("I1,Invoice,ACME,02/03/2026,,GBP,7.00,0"),
        "appears more than once (first on row 2)", row=3, column="Number", value="I1"),
    Bad("another account's document", docs("OLD-1,Invoice,BETA,01/03/2026,,GBP,5.00,0"),
        "already belongs to account ACME", row=3, column="Customer", value="BETA"),
    # ---- line-level, payments, accounts ----
    Bad("lines disagree on the date", b"No,Customer,Date,Item,Qty,Price\n"
        b"A1,ACME,01/03/2026,X,1,5\nA1,ACME,02/03/2026,Y,1,5\n", "rows disagree", row=3,
        column="Date", value="2026-03-02", mapping=LINES),
    Bad("line without amount", b"No,Customer,Date,Item,Qty,Price\nA1,ACME,01/03/2026,X,,5\n",
        "a line needs an amount", row=2, mapping=LINES),
    Bad("quantity in words", b"No,Customer,Date,Item,Qty,Price\nA1,ACME,01/03/2026,X,two,5\n",
        "not a number", row=2, column="Qty", value="two", mapping=LINES),
    Bad("payment to an unknown document", b"Ref,Customer,Date,Amount,Invoice,Applied\n"
        b"R1,ACME,01/03/2026,5.00,NOPE-9,5.00\n", "no document with this number", row=2,
        column="Invoice", value="NOPE-9", kind="payments", mapping=PAYMENTS),
    Bad("payment without reference", b"Ref,Customer,Date,Amount,Invoice,Applied\n"
        b",ACME,01/03/2026,5.00,,\n", "missing payment reference", row=2, column="Ref",
        kind="payments", mapping=PAYMENTS),
    Bad("payment applied beyond its amount", b"Ref,Customer,Date,Amount,Invoice,Applied\n"
        b"R1,ACME,01/03/2026,5.00,OLD-1,9.00\n", "exceed the payment", row=2,
        column="Applied", kind="payments", mapping=PAYMENTS),
    Bad("account listed twice", b"Code,Name\nC1,One\nC1,Uno\n", "appears more than once",
        row=3, column="Code", value="C1", kind="accounts", mapping={"code": "Code",
                                                                     "name": "Name"}),
    Bad("account its own parent", b"Code,Name,Parent\nC1,One,C1\n", "its own parent", row=2,
        column="Parent", kind="accounts",
        mapping={"code": "Code", "name": "Name", "parent_code": "Parent"}),
]


@pytest.fixture(scope="module")
def shared_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One store for the whole corpus, holding a document of account ACME."""
    url = f"duckdb:///{tmp_path_factory.mktemp('bad') / 'portal.duckdb'}"
    with Session(store.engine_for(url)) as session:
        factories.document(session, "OLD-1", account_code="ACME")
        session.commit()
    yield url
    store.close_all()


@pytest.fixture(scope="module")
def checksum(shared_url: str) -> dict[str, str]:
    return store.content_checksum(shared_url)


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40 and len({b.id for b in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("bad", CORPUS, ids=[b.id for b in CORPUS])
def test_bad_file_is_explained_and_changes_nothing(shared_url: str, checksum: dict[str, str],
                                                   bad: Bad, tmp_path: Path) -> None:
    start = time.perf_counter()
    outcome = run_import(shared_url, bad.data, bad.name, kind=bad.kind, mapping=bad.mapping,
                         options=bad.options, actor="fiona")
    seconds = time.perf_counter() - start
    assert not outcome.applied
    problems = outcome.preview.errors
    assert problems, "a bad file must report a problem"
    first = problems[0]
    assert bad.message in first.message, first
    assert first.row == bad.row, first
    if bad.column:
        assert first.column == bad.column, first
    if bad.value:
        assert first.value == bad.value, first
    assert store.content_checksum(shared_url) == checksum
    record("badfiles", files=1, refused=1, stores_unchanged=1, max_seconds=round(seconds, 3))
