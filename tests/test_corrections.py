"""Staff corrections: paid, partially paid, unpaid, with a note, audited, all or nothing."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from lib import corrections, models, store
from lib.access import Principal
from lib.errors import AccessDenied, PortalError
from tests import factories

FINANCE = Principal("fiona", "finance")
ADMIN = Principal("ada", "admin")


def _seed(url: str) -> dict[str, int]:
    with store.session_scope(url) as session:
        ids = {
            "INV-1": factories.document(session, "INV-1").id,
            "INV-2": factories.document(session, "INV-2", total=Decimal("250.00"),
                                        paid=Decimal("50.00")).id,
            "CN-1": factories.document(session, "CN-1", kind="credit_note",
                                       account_code="BETA", total=Decimal("30.00")).id,
            "VOID-1": factories.document(session, "VOID-1", erp_status="Void").id,
        }
    return {k: int(v or 0) for k, v in ids.items()}


def _doc(url: str, doc_id: int) -> models.Document:
    with store.session_scope(url) as session:
        doc = session.get(models.Document, doc_id)
        assert doc is not None
        return doc


def _events(url: str) -> list[dict[str, object]]:
    with store.session_scope(url) as session:
        rows = session.exec(
            select(models.AuditEvent).where(models.AuditEvent.action == "correction")
            .order_by(models.AuditEvent.id)
        ).all()
        return [{"actor": e.actor, "target": e.target, "account": e.account_code,
                 **json.loads(e.detail_json)} for e in rows]


def test_mark_paid_sets_paid_to_total_keeps_feed_paid_and_is_audited(url: str) -> None:
    ids = _seed(url)
    [result] = corrections.correct_documents(url, FINANCE, [ids["INV-2"]], corrections.PAID,
                                             "Paid by bank transfer 4471")
    doc = _doc(url, ids["INV-2"])
    assert (doc.paid, doc.feed_paid) == (Decimal("250.00"), Decimal("50.00"))
    assert "Marked paid by fiona" in doc.correction_note
    assert "Paid by bank transfer 4471" in doc.correction_note
    assert (result.paid_before, result.paid_after, result.changed) == (
        Decimal("50.00"), Decimal("250.00"), True)
    [event] = _events(url)
    assert event["actor"] == "fiona" and event["target"] == "invoice INV-2"
    assert event["account"] == "ACME"
    assert Decimal(event["before"]["paid"]) == Decimal("50")  # type: ignore[index]
    assert Decimal(event["after"]["paid"]) == Decimal("250")  # type: ignore[index]
    assert event["note"] == "Paid by bank transfer 4471"


def test_partially_paid_and_unpaid(url: str) -> None:
    ids = _seed(url)
    corrections.correct_documents(url, ADMIN, [ids["INV-1"]], corrections.PARTIAL,
                                  "Part payment by cheque", amount=Decimal("40.50"))
    assert _doc(url, ids["INV-1"]).paid == Decimal("40.50")
    assert "partially paid (40.50 GBP)" in _doc(url, ids["INV-1"]).correction_note
    corrections.correct_documents(url, ADMIN, [ids["INV-1"]], corrections.UNPAID,
                                  "Cheque bounced")
    doc = _doc(url, ids["INV-1"])
    assert doc.paid == Decimal("0") and "Marked unpaid" in doc.correction_note
    events = _events(url)
    assert [e["state"] for e in events] == ["partially paid", "unpaid"]
    # Each event starts from where the one before ended.
    assert Decimal(events[1]["before"]["paid"]) == Decimal("40.50")  # type: ignore[index]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0"), "more than 0 and less than the total"),
        (Decimal("100.00"), "more than 0 and less than the total"),
        (Decimal("120"), "more than 0 and less than the total"),
        (Decimal("-5"), "more than 0 and less than the total"),
        (Decimal("10.005"), "more decimals than GBP allows"),
        (None, "Give the amount"),
    ],
)
def test_a_bad_partial_amount_changes_nothing(url: str, amount: Decimal | None,
                                              message: str) -> None:
    ids = _seed(url)
    before = store.content_checksum(url)
    with pytest.raises(PortalError, match=message):
        corrections.correct_documents(url, FINANCE, [ids["INV-1"]], corrections.PARTIAL,
                                      "note", amount=amount)
    assert store.content_checksum(url) == before


@pytest.mark.parametrize("note", ["", "   ", "x" * 501])
def test_a_note_is_required(url: str, note: str) -> None:
    ids = _seed(url)
    before = store.content_checksum(url)
    with pytest.raises(PortalError, match="note"):
        corrections.correct_documents(url, FINANCE, [ids["INV-1"]], corrections.PAID, note)
    assert store.content_checksum(url) == before


def test_a_selection_is_one_transaction(url: str) -> None:
    ids = _seed(url)
    results = corrections.correct_documents(
        url, FINANCE, [ids["INV-1"], ids["CN-1"]], corrections.PAID, "Settled in the ERP"
    )
    assert {r.number for r in results} == {"INV-1", "CN-1"}
    assert _doc(url, ids["CN-1"]).paid == Decimal("30.00")
    assert len(_events(url)) == 2
    # 80 is a valid part of INV-1 (100) but not of CN-1 (30): nothing at all is written.
    before = store.content_checksum(url)
    with pytest.raises(PortalError, match="CN-1"):
        corrections.correct_documents(url, FINANCE, [ids["INV-1"], ids["CN-1"]],
                                      corrections.PARTIAL, "split", amount=Decimal("80"))
    assert store.content_checksum(url) == before


def test_void_documents_and_unknown_states_are_refused(url: str) -> None:
    ids = _seed(url)
    with pytest.raises(PortalError, match="void"):
        corrections.correct_documents(url, FINANCE, [ids["VOID-1"]], corrections.PAID, "n")
    with pytest.raises(PortalError, match="Unknown correction"):
        corrections.correct_documents(url, FINANCE, [ids["INV-1"]], "refunded", "n")
    with pytest.raises(PortalError, match="at least one"):
        corrections.correct_documents(url, FINANCE, [], corrections.PAID, "n")


@pytest.mark.parametrize("role", ["support", "buyer"])
def test_support_and_buyers_cannot_correct_or_search(url: str, role: str) -> None:
    ids = _seed(url)
    who = Principal("someone", role)
    with pytest.raises(AccessDenied):
        corrections.correct_documents(url, who, [ids["INV-1"]], corrections.PAID, "n")
    with Session(store.engine_for(url)) as session, pytest.raises(AccessDenied):
        corrections.find_documents(session, who)


def test_find_documents_of_any_account_with_filters(url: str) -> None:
    ids = _seed(url)
    corrections.correct_documents(url, FINANCE, [ids["INV-1"]], corrections.PAID, "ok")
    with store.session_scope(url) as session:
        everything = corrections.find_documents(session, FINANCE)
        beta = corrections.find_documents(session, FINANCE, account_code="BETA")
        by_number = corrections.find_documents(session, FINANCE, search="inv-")
        unpaid = corrections.find_documents(session, FINANCE, status="unpaid or partly paid")
        corrected = corrections.find_documents(session, FINANCE, status="corrected")
    assert set(everything["Number"]) == {"INV-1", "INV-2", "CN-1", "VOID-1"}
    assert list(beta["Number"]) == ["CN-1"]
    assert set(by_number["Number"]) == {"INV-1", "INV-2"}
    assert set(unpaid["Number"]) == {"INV-2", "CN-1", "VOID-1"}
    assert list(corrected["Number"]) == ["INV-1"]
    assert corrected["Correction"].iloc[0].startswith("Marked paid by fiona")


def test_history_shows_every_correction_of_a_document(url: str) -> None:
    ids = _seed(url)
    corrections.correct_documents(url, FINANCE, [ids["INV-1"]], corrections.PAID, "first")
    corrections.correct_documents(url, ADMIN, [ids["INV-1"]], corrections.UNPAID, "second")
    with store.session_scope(url) as session:
        history = corrections.correction_history(session, FINANCE, ids["INV-1"])
    assert list(history["Note"]) == ["second", "first"]
    assert list(history["By"]) == ["ada", "fiona"]
    # Money as the portal writes it everywhere, not the store's four decimals.
    assert list(history["Paid before"]) == ["100.00 GBP", "0.00 GBP"]
    assert list(history["Paid after"]) == ["0.00 GBP", "100.00 GBP"]


def test_a_concurrent_write_is_not_lost_and_shows_no_error(url: str) -> None:
    ids = _seed(url)
    outcome: dict[str, object] = {}

    def correct() -> None:
        try:
            outcome["result"] = corrections.correct_documents(
                url, FINANCE, [ids["INV-1"]], corrections.PARTIAL, "part", Decimal("40"))
        except Exception as exc:  # the test reports it below
            outcome["error"] = exc

    # Another transaction changes the same document and commits while the correction runs.
    with Session(store.engine_for(url)) as other:
        doc = other.get(models.Document, ids["INV-1"])
        assert doc is not None
        doc.paid = Decimal("30")
        other.add(doc)
        other.flush()
        worker = threading.Thread(target=correct)
        worker.start()
        time.sleep(0.12)
        other.commit()
    worker.join(10)
    assert "error" not in outcome, outcome.get("error")
    [result] = outcome["result"]  # type: ignore[misc]
    assert result.paid_before == Decimal("30")  # it saw the committed write, not a stale read
    assert _doc(url, ids["INV-1"]).paid == Decimal("40")


FEED = ("Invoice Number,Customer ID,Invoice Date,Due Date,Currency,Total,Amount Paid\n"
        "INV-7,ACME,05/01/2026,04/02/2026,GBP,100.00,{paid}\n")
FEED_MAPPING = {"number": "Invoice Number", "account_code": "Customer ID",
                "issue_date": "Invoice Date", "due_date": "Due Date", "currency": "Currency",
                "total": "Total", "paid": "Amount Paid"}


def _feed(url: str, paid: str) -> None:
    from lib.imports import ImportOptions, run_import

    outcome = run_import(url, FEED.format(paid=paid).encode(), "feed.csv", kind="documents",
                         mapping=FEED_MAPPING, options=ImportOptions(), actor="feed")
    assert outcome.preview.ok, outcome.preview.errors


def _inv7(url: str) -> models.Document:
    with store.session_scope(url) as session:
        return session.exec(select(models.Document).where(models.Document.number == "INV-7")).one()


def test_a_later_feed_keeps_the_correction_unless_it_reports_a_new_paid_amount(url: str) -> None:
    _feed(url, "0")
    doc_id = int(_inv7(url).id or 0)
    corrections.correct_documents(url, FINANCE, [doc_id], corrections.PAID, "Paid in cash")
    _feed(url, "0")  # the ERP still says 0: the correction stays
    doc = _inv7(url)
    assert doc.paid == Decimal("100") and doc.correction_note.startswith("Marked paid")
    _feed(url, "40.00")  # the ERP now reports a payment: it supersedes the correction
    doc = _inv7(url)
    assert (doc.paid, doc.feed_paid, doc.correction_note) == (Decimal("40"), Decimal("40"), "")
    with store.session_scope(url) as session:
        superseded = session.exec(select(models.AuditEvent).where(
            models.AuditEvent.action == "correction_superseded")).all()
    assert [e.target for e in superseded] == ["invoice INV-7"]
