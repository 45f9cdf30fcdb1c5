"""Downloads: built for the person at the moment of the click, scoped, and counted as activity."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from lib import activity, clock, downloads, models, people, queries, statements, store
from lib.access import AccountGrant, Principal
from lib.errors import NotFound, PortalError
from tests import factories

AS_OF = date(2026, 3, 31)
BUYER = Principal("bea", "buyer", frozenset({AccountGrant("ACME")}))
REQUEST = downloads.StatementRequest(statements.ACTIVITY, "GBP", date(2026, 1, 1), AS_OF, AS_OF)


@pytest.fixture
def portal(url: str, data_dir: Path) -> str:
    """ACME with two invoices (one with a PDF) and OTHER with one; bea on ACME, sam support."""
    with store.session_scope(url) as s:
        acme = factories.account(s, "ACME")
        other = factories.account(s, "OTHER")
        content = b"%PDF-1.4 invoice one"
        sha = hashlib.sha256(content).hexdigest()
        path = data_dir / "documents" / sha[:2] / f"{sha}.pdf"
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        factories.document(s, "INV/1", account=acme, pdf_sha256=sha, po_reference="=cmd()")
        factories.document(s, "INV-2", account=acme, total=Decimal("12.5"))
        factories.document(s, "INV-O", account=other, pdf_sha256=sha)
        for username, role in (("bea", "buyer"), ("sam", "support")):
            people.add_contact(s, "t", username=username, name=username, email="", role=role)
        people.grant(s, "t", "bea", "ACME")
    return url


def _ids(url: str) -> dict[str, int]:
    with store.session_scope(url) as s:
        return {d.number: d.id or 0 for d in s.exec(select(models.Document)).all()}


def _activity(url: str) -> list[tuple[str, str, str, str]]:
    with store.session_scope(url) as s:
        rows = s.exec(select(models.ActivityEvent).order_by(models.ActivityEvent.id)).all()
        return [(r.username, r.account_code, r.action, r.target) for r in rows]


def test_the_list_as_csv_and_xlsx(portal: str) -> None:
    data = downloads.list_download(portal, BUYER, "ACME", as_of=AS_OF,
                                   filters=queries.DocumentFilter(), fmt="csv")  # fmt: skip
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == queries.LIST_COLUMNS
    assert sorted(r[0] for r in rows[1:]) == ["INV-2", "INV/1"]
    by_number = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_number["INV-2"]["Total"] == "12.50"
    assert by_number["INV/1"]["Reference"] == "'=cmd()"
    book = load_workbook(io.BytesIO(downloads.list_download(
        portal, BUYER, "ACME", as_of=AS_OF, filters=queries.DocumentFilter(text="INV-2"),
        fmt="xlsx")))  # fmt: skip
    sheet = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert [r[0] for r in sheet] == ["Number", "INV-2"]
    assert _activity(portal) == [("bea", "ACME", activity.DOWNLOAD_LIST, "csv"),
                                 ("bea", "ACME", activity.DOWNLOAD_LIST, "xlsx")]


def test_a_pdf_within_the_scope_only(portal: str) -> None:
    ids = _ids(portal)
    assert downloads.pdf_download(portal, BUYER, "ACME", ids["INV/1"]) == b"%PDF-1.4 invoice one"
    with pytest.raises(NotFound):
        downloads.pdf_download(portal, BUYER, "ACME", ids["INV-O"])  # OTHER's, though stored
    with pytest.raises(NotFound):
        downloads.pdf_download(portal, BUYER, "OTHER", ids["INV-O"])
    with pytest.raises(NotFound):
        downloads.pdf_download(portal, BUYER, "ACME", ids["INV-2"])  # no PDF uploaded
    assert _activity(portal) == [("bea", "ACME", activity.DOWNLOAD_PDF, "INV/1")]


def test_a_zip_of_pdfs_holds_only_the_scopes(portal: str) -> None:
    data = downloads.pdf_zip_download(portal, BUYER, "ACME", list(_ids(portal).values()))
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["invoice-INV_1.pdf"]
    assert _activity(portal) == [("bea", "ACME", activity.DOWNLOAD_PDF_ZIP, "1 PDFs")]
    with pytest.raises(PortalError, match="At most"):
        downloads.pdf_zip_download(portal, BUYER, "ACME",
                                   list(range(downloads.MAX_ZIP_DOCUMENTS + 1)))  # fmt: skip


@pytest.mark.parametrize(("fmt", "start"), [("pdf", b"%PDF"), ("xlsx", b"PK"), ("csv", b"\xef")])
def test_statements_in_each_format(portal: str, data_dir: Path, fmt: str, start: bytes) -> None:
    data = downloads.statement_download(portal, BUYER, "ACME", REQUEST, fmt=fmt,
                                        page_size="Letter", data_dir=data_dir)  # fmt: skip
    assert data.startswith(start)
    assert _activity(portal) == [("bea", "ACME", activity.DOWNLOAD_STATEMENT,
                                  f"activity GBP 2026-01-01..2026-03-31 {fmt}")]  # fmt: skip


def test_staff_and_staff_viewing_as_the_buyer_are_not_counted(portal: str, data_dir: Path) -> None:
    viewing = Principal("bea", "buyer", BUYER.grants, viewed_by="sam")
    staff = Principal("sam", "support")
    for who in (viewing, staff):
        assert downloads.pdf_download(portal, who, "ACME", _ids(portal)["INV/1"])
        downloads.statement_download(portal, who, "ACME", REQUEST, fmt="csv", page_size="A4",
                                     data_dir=data_dir)  # fmt: skip
    assert _activity(portal) == []


def test_a_download_after_access_ended_gets_nothing(portal: str, data_dir: Path) -> None:
    with store.session_scope(portal) as s:
        grant_id = people.grant_rows(s, "bea")[0][0]
        people.revoke(s, "t", grant_id)
    with pytest.raises(NotFound):
        downloads.statement_download(portal, BUYER, "ACME", REQUEST, fmt="csv", page_size="A4",
                                     data_dir=data_dir)  # fmt: skip
    with store.session_scope(portal) as s:
        people.set_disabled(s, "t", "sam", True, clock.now())
    with pytest.raises(NotFound):
        downloads.pdf_download(portal, Principal("bea", "buyer", BUYER.grants, viewed_by="sam"),
                               "ACME", _ids(portal)["INV/1"])  # fmt: skip
    assert _activity(portal) == []


def test_activity_records_only_known_actions(url: str) -> None:
    with store.session_scope(url) as s, pytest.raises(ValueError):
        activity.record(s, BUYER, "ACME", "looked_around")
