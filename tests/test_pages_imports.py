"""Page tests: imports, import history, corrections and invoice PDFs, through the real app."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from reportlab.pdfgen import canvas
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from lib import inbox, models, people, store
from lib.imports import mapping as maps
from tests import factories
from tests.pagetools import log_in, new_app, texts

PASSWORD = "correct horse battery"
GOOD = (
    b"Invoice Number,Customer ID,Customer Name,Invoice Date,Due Date,Currency,Total,Amount Paid\n"
    b"INV-1001,ACME,Acme Ltd,05/01/2026,04/02/2026,GBP,120.00,0\n"
    b"INV-1002,NEWCO,New Co,06/01/2026,05/02/2026,GBP,80.50,80.50\n"
)
BAD = (
    b"Invoice Number,Customer ID,Invoice Date,Total\n"
    b"INV-9,ACME,31/02/2026,abc\n"
    b"INV-10,ACME,01/02/2026,5.00\n"
)
STAFF_PAGES = ["app_pages/imports.py", "app_pages/import_history.py",
               "app_pages/corrections.py", "app_pages/pdf_upload.py"]


@pytest.fixture
def portal(url: str) -> Iterator[str]:
    with store.session_scope(url) as session:
        people.add_account(session, "t", "ACME", "Acme Ltd")
        acme = people.account_by_code(session, "ACME")
        factories.document(session, "INV-1", account=acme, total=Decimal("100.00"))
        factories.document(session, "INV-2", account=acme, total=Decimal("50.00"))
        for username, role in [("ada", "admin"), ("fin", "finance"), ("sam", "support"),
                               ("bea", "buyer")]:
            people.add_contact(session, "t", username=username, name=username.title(),
                               email=f"{username}@x.com", role=role, password=PASSWORD)
        people.grant(session, "t", "bea", "ACME")
    yield url
    inbox.stop_watchers()  # the router started one for this test's data folder


def _open(username: str, page: str) -> AppTest:
    at = log_in(new_app(), username, PASSWORD)
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def _by_label(widgets: Any, label: str) -> Any:
    return next(w for w in widgets if w.label == label)


def _click(at: AppTest, label: str) -> AppTest:
    _by_label(at.button, label).click()
    at.run()
    assert not at.exception, at.exception
    return at


def _numbers(url: str) -> set[str]:
    with store.session_scope(url) as session:
        return set(session.exec(select(models.Document.number)).all())


@pytest.mark.parametrize("username", ["sam", "bea"])
def test_support_and_buyers_cannot_reach_finance_pages(portal: str, username: str) -> None:
    at = log_in(new_app(), username, PASSWORD)
    for page in STAFF_PAGES:
        with pytest.raises(ValueError):
            at.switch_page(page)


def test_finance_maps_previews_and_applies_a_file(portal: str) -> None:
    at = _open("fin", "app_pages/imports.py")
    at.file_uploader[0].upload("march.csv", GOOD, "text/csv")
    at.run()
    assert _by_label(at.selectbox, "Document number *").value == "Invoice Number"
    assert _by_label(at.selectbox, "Paid amount").value == "Amount Paid"
    assert "Check them below" in texts(at)
    assert _numbers(portal) == {"INV-1", "INV-2"}  # nothing written before applying
    _click(at, "Preview")
    shown = texts(at)
    assert "NEWCO" in shown and "INV-1002" in shown  # new account and the rows as read
    rows = next(f.value for f in at.dataframe if "number" in f.value)
    assert "80.50" in set(rows["total"]) and "0.0000" not in rows.to_string(), rows
    assert {m.label: m.value for m in at.metric}["Rows read"] == "2"
    _click(at, "Apply this file")
    assert "Import 1 applied" in texts(at)
    assert _numbers(portal) == {"INV-1", "INV-2", "INV-1001", "INV-1002"}


def test_a_file_with_problems_writes_nothing_unless_valid_rows_are_chosen(portal: str) -> None:
    at = _open("fin", "app_pages/imports.py")
    at.file_uploader[0].upload("bad.csv", BAD, "text/csv")
    at.run()
    before = store.content_checksum(portal)
    _click(at, "Preview")
    shown = texts(at)
    assert "31/02/2026" in shown and "abc" in shown and "by default nothing is written" in shown
    assert at.get("download_button"), "the problems download as CSV"
    assert _by_label(at.button, "Apply valid rows only").disabled
    assert store.content_checksum(portal) == before
    at.checkbox[-1].check()
    at.run()
    _click(at, "Apply valid rows only")
    assert "Import 1 applied" in texts(at)
    assert "INV-10" in _numbers(portal) and "INV-9" not in _numbers(portal)

    history = _open("fin", "app_pages/import_history.py")
    shown = texts(history)
    assert "bad.csv" in shown and "31/02/2026" in shown  # the rejected row is kept


CONTACTS = (
    b"Email,Contact Name,Customer ID,Branch\n"
    b"priya@acme.example,Priya Shah,ACME,\n"
    b"bea@x.com,Bea,ACME,North\n"
    b"nobody@ghost.example,Ghost,GHOST,\n"
)


def test_a_contacts_file_becomes_invitations_with_links(portal: str) -> None:
    """Finance previews a contacts file, then invites its valid contacts: a new login with a
    one-time link for Priya, access without a link for bea (she has a login), none for the row
    whose account does not exist."""
    at = _open("fin", "app_pages/imports.py")
    _by_label(at.selectbox, "Kind of file").select("contacts")
    at.run()
    at.file_uploader[0].upload("contacts.csv", CONTACTS, "text/csv")
    at.run()
    _click(at, "Preview")
    assert "unknown account code" in texts(at)
    assert not [b for b in at.button if b.label == "Apply this file"]
    invited = next(f.value for f in at.dataframe if {"Account", "Email"} <= set(f.value))
    assert invited["Email"].tolist() == ["priya@acme.example", "bea@x.com"]
    _click(at, "Invite these 2 contacts")
    links = next(f.value for f in at.dataframe if "link" in f.value)
    by_email = dict(zip(links["email"], links["link"], strict=True))
    assert "link=" in by_email["priya@acme.example"] and by_email["bea@x.com"] == ""
    assert at.get("download_button"), "the links download for a mail merge"
    at.run()  # a second press would make new links and void the ones just downloaded
    assert _by_label(at.button, "Invite these 2 contacts").disabled
    with store.session_scope(portal) as session:
        priya = session.exec(select(models.Contact).where(
            models.Contact.email == "priya@acme.example")).one()
        assert priya.role == "buyer" and not priya.password_hash
        grants = {(code, branch) for _, code, branch in people.grant_rows(session, "bea")}
        assert ("ACME", "North") in grants
        assert people.account_by_code(session, "GHOST") is None


def test_a_saved_mapping_is_recognised_next_time(portal: str) -> None:
    at = _open("ada", "app_pages/imports.py")
    at.file_uploader[0].upload("march.csv", GOOD, "text/csv")
    at.run()
    _by_label(at.text_input, "Save this mapping as").input("Our ERP")
    _click(at, "Save mapping")
    assert "Mapping “Our ERP” saved." in texts(at)
    assert [m.name for m in maps.list_mappings(portal)] == ["Our ERP"]
    again = _open("fin", "app_pages/imports.py")
    again.file_uploader[0].upload("april.csv", GOOD.replace(b"INV-100", b"INV-200"), "text/csv")
    again.run()
    assert "match the saved mapping “Our ERP”" in texts(again)


def test_history_reverts_the_latest_import_after_confirmation(portal: str) -> None:
    at = _open("fin", "app_pages/imports.py")
    at.file_uploader[0].upload("march.csv", GOOD, "text/csv")
    at.run()
    _click(at, "Preview")
    _click(at, "Apply this file")
    history = _open("fin", "app_pages/import_history.py")
    assert "march.csv" in texts(history)
    columns = history.dataframe[1].value.values.tolist()  # what it read from each column
    assert ["Document number", "Invoice Number"] in columns
    assert ["Paid amount", "Amount Paid"] in columns
    assert _by_label(history.button, "Revert import 1").disabled
    history.checkbox[0].check()
    history.run()
    _click(history, "Revert import 1")
    assert "Import 1 reverted" in texts(history)
    assert _numbers(portal) == {"INV-1", "INV-2"}


def test_corrections_need_a_note_and_are_shown_to_staff(portal: str) -> None:
    at = _open("fin", "app_pages/corrections.py")
    labels = at.multiselect[0].options
    inv1 = next(option for option in labels if option.startswith("INV-1 "))
    at.multiselect[0].select(inv1)
    at.run()
    _click(at, "Correct 1 document(s)")
    assert "A note is required" in texts(at)  # a PortalError, shown as a message
    assert not at.exception
    _by_label(at.text_area, "Note (required)").input("Paid by bank transfer 4471")
    _click(at, "Correct 1 document(s)")
    assert "1 document(s) marked paid" in texts(at)
    assert "Marked paid by fin" in texts(at)  # the table shows the correction to staff
    with store.session_scope(portal) as session:
        doc = session.exec(select(models.Document).where(models.Document.number == "INV-1")).one()
    assert (doc.paid, doc.feed_paid) == (Decimal("100.0000"), Decimal("0"))


def test_partially_paid_with_a_bad_amount_is_a_message(portal: str) -> None:
    at = _open("ada", "app_pages/corrections.py")
    at.multiselect[0].select(at.multiselect[0].options[0])
    at.run()
    at.radio[0].set_value("partially paid")
    _by_label(at.text_input, "Amount paid (partially paid only)").input("lots")
    _by_label(at.text_area, "Note (required)").input("cheque")
    _click(at, "Correct 1 document(s)")
    assert "is not an amount" in texts(at)


def _pdf(text: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


def test_pdfs_are_uploaded_and_reported(portal: str) -> None:
    at = _open("fin", "app_pages/pdf_upload.py")
    at.file_uploader[0].set_value([("INV-1.pdf", _pdf("one"), "application/pdf"),
                                   ("nothing-42.pdf", _pdf("two"), "application/pdf"),
                                   ("INV-2.pdf", b"not a pdf", "application/pdf")])
    at.run()
    _click(at, "Attach to documents")
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Matched"], metrics["Unmatched"], metrics["Rejected"]) == ("1", "1", "1")
    assert "invoice INV-1" in texts(at)
    with store.session_scope(portal) as session:
        doc = session.exec(select(models.Document).where(models.Document.number == "INV-1")).one()
    assert doc.pdf_sha256 is not None


def test_an_unreadable_file_is_a_message_not_a_traceback(portal: str) -> None:
    at = _open("fin", "app_pages/imports.py")
    at.file_uploader[0].upload("renamed.csv", b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8,
                               "text/csv")
    at.run()
    assert not at.exception
    assert at.error and "program" in at.error[0].value
