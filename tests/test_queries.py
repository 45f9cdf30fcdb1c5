"""Scoped reads on a real store: lists, filters, totals, detail, PDFs, balances, payments."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from lib import ledger, ledger_queries, models, queries, statements, store
from lib.access import AccountGrant, Principal
from lib.errors import NotFound
from tests import factories

AS_OF = date(2026, 3, 31)
D = Decimal
SELLER = statements.Wholesaler("Northwind Wholesale Ltd")


@pytest.fixture
def session(url: str) -> Iterator[Session]:
    """A unit of work on this test's store, with two accounts' documents."""
    with store.session_scope(url) as s:
        build_ledger(s)
        yield s


def build_ledger(s: Session) -> None:
    """ACME (branches North and South, GBP and EUR) and OTHER; known answers below."""
    acme = factories.account(s, "ACME")
    other = factories.account(s, "OTHER")
    doc = factories.document
    doc(s, "INV-1", account=acme, issue_date=date(2026, 1, 5), due_date=date(2026, 2, 4),
        total=D("500.00"), paid=D("500.00"), branch="North", po_reference="PO-100")
    doc(s, "INV-2", account=acme, issue_date=date(2026, 2, 10), due_date=date(2026, 3, 12),
        total=D("300.00"), paid=D("100.00"), branch="North", description="Pallets 50% off")
    doc(s, "INV-3", account=acme, issue_date=date(2026, 3, 15), due_date=date(2026, 4, 14),
        total=D("200.00"), branch="South", po_reference="po-777")
    doc(s, "INV-4", account=acme, issue_date=date(2026, 3, 1), due_date=date(2026, 3, 31),
        total=D("999.00"), erp_status="Void", branch="South")
    doc(s, "INV-5", account=acme, issue_date=date(2026, 3, 2), due_date=date(2025, 12, 1),
        total=D("70.00"), currency="EUR", branch="North")
    doc(s, "CN-1", account=acme, kind="credit_note", issue_date=date(2026, 2, 20),
        due_date=date(2026, 2, 20), total=D("50.00"), branch="South")
    doc(s, "INV-9", account=acme, issue_date=date(2026, 4, 20), due_date=date(2026, 5, 20),
        total=D("40.00"))  # issued after AS_OF: in the list, in no balance at AS_OF
    doc(s, "INV-O1", account=other, total=D("123.00"), po_reference="PO-100")  # fmt: skip


def scope(s: Session, code: str = "ACME", branch: str | None = None) -> queries.Scope:
    who = Principal("buyer", "buyer", frozenset({AccountGrant(code, branch)}))
    return queries.scope_for(s, who, code)


def numbers(frame) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n) for n in frame["Number"]]


def test_the_list_is_the_accounts_documents_newest_first(session: Session) -> None:
    frame = queries.document_list(session, scope(session), as_of=AS_OF)
    assert numbers(frame) == ["INV-9", "INV-3", "INV-5", "INV-4", "CN-1", "INV-2", "INV-1"]
    statuses = dict(zip(numbers(frame), frame["Status"], strict=True))
    assert statuses == {"INV-9": "open", "INV-3": "open", "INV-5": "overdue", "INV-4": "void",
                        "CN-1": "open", "INV-2": "overdue", "INV-1": "paid"}  # fmt: skip
    assert isinstance(frame["Total"].iloc[0], Decimal)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (queries.DocumentFilter(text="po-1"), ["INV-1"]),  # reference, any case; not OTHER's
        (queries.DocumentFilter(text="50%"), ["INV-2"]),  # description; % is literal
        (queries.DocumentFilter(text="inv-3"), ["INV-3"]),
        (queries.DocumentFilter(text="_"), []),  # _ is literal too
        (queries.DocumentFilter(statuses=("overdue",)), ["INV-5", "INV-2"]),
        (queries.DocumentFilter(statuses=("void", "paid")), ["INV-4", "INV-1"]),
        (queries.DocumentFilter(kinds=("credit_note",)), ["CN-1"]),
        (queries.DocumentFilter(branches=("South",)), ["INV-3", "INV-4", "CN-1"]),
        (queries.DocumentFilter(currencies=("EUR",)), ["INV-5"]),
        (queries.DocumentFilter(issued_from=date(2026, 2, 10), issued_to=date(2026, 3, 2)),
         ["INV-5", "INV-4", "CN-1", "INV-2"]),
    ],
)
def test_filters(session: Session, filters: queries.DocumentFilter, expected: list[str]) -> None:
    assert numbers(queries.document_list(session, scope(session), as_of=AS_OF,
                                         filters=filters)) == expected  # fmt: skip


def test_totals_per_currency_never_mix_currencies_and_skip_void(session: Session) -> None:
    totals = queries.document_totals(session, scope(session), as_of=AS_OF)
    rows = {r["Currency"]: r for r in totals.to_dict("records")}
    assert set(rows) == {"EUR", "GBP"}
    gbp = rows["GBP"]
    assert gbp["Documents"] == 6
    assert gbp["Invoices"] == D("1040.00")  # 500 + 300 + 200 + 40, void 999 left out
    assert gbp["Credit notes"] == D("50.00")
    assert gbp["Balance"] == D("390.00")  # 200 + 200 + 40 - 50
    assert rows["EUR"]["Balance"] == D("70.00")


def test_a_branch_scope_sees_only_its_branch(session: Session) -> None:
    north = scope(session, branch="North")
    assert north.branches == frozenset({"North"})
    listed = queries.document_list(session, north, as_of=AS_OF)
    assert numbers(listed) == ["INV-5", "INV-2", "INV-1"]
    assert queries.scope_values(session, north, "branch") == ["North"]
    assert queries.scope_values(session, north, "currency") == ["EUR", "GBP"]
    south_id = int(queries.document_list(session, scope(session), as_of=AS_OF,
                                         filters=queries.DocumentFilter(text="INV-3"))["id"][0])
    with pytest.raises(NotFound):
        queries.scoped_document(session, north, south_id)


def test_no_scope_without_a_grant(session: Session) -> None:
    who = Principal("buyer", "buyer", frozenset({AccountGrant("ACME")}))
    with pytest.raises(NotFound):
        queries.scope_for(session, who, "OTHER")
    with pytest.raises(NotFound):
        queries.scope_for(session, Principal("nobody", "buyer"), "ACME")


def test_another_accounts_document_is_not_found(session: Session) -> None:
    other = queries.document_list(session, scope(session, "OTHER"), as_of=AS_OF)
    other_id = int(other["id"][0])
    with pytest.raises(NotFound):
        queries.scoped_document(session, scope(session), other_id)
    assert queries.document_lines(session, scope(session), other_id).empty


def _doc_id(s: Session, number: str) -> int:
    found = queries.document_list(s, scope(s), as_of=AS_OF,
                                  filters=queries.DocumentFilter(text=number))  # fmt: skip
    return int(found["id"][0])


def test_lines_of_a_document(session: Session) -> None:
    inv2 = _doc_id(session, "INV-2")
    for n in (2, 1):
        session.add(models.DocumentLine(document_id=inv2, line_no=n, item_code=f"SKU{n}",
                                        description="Pallet", quantity=D(n),
                                        unit_price=D("150"), amount=D(150 * n)))  # fmt: skip
    session.flush()
    lines = queries.document_lines(session, scope(session), inv2)
    assert list(lines["Line"]) == [1, 2]
    assert list(lines["Amount"]) == [D("150"), D("300")]
    assert queries.document_lines(session, scope(session, branch="South"), inv2).empty


def _store_pdf(folder: Path, content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()
    path = folder / digest[:2] / f"{digest}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return digest


def test_pdfs_are_read_only_within_the_scope(session: Session, data_dir: Path) -> None:
    folder = data_dir / "documents"
    inv1 = session.get(models.Document, _doc_id(session, "INV-1"))
    assert inv1 is not None
    inv1.pdf_sha256 = _store_pdf(folder, b"%PDF-1.4 invoice one")
    session.add(inv1)
    session.flush()
    assert queries.document_pdf(session, scope(session), inv1.id or 0) == b"%PDF-1.4 invoice one"
    assert queries.document_pdf(session, scope(session), _doc_id(session, "INV-2")) is None
    with pytest.raises(NotFound):
        queries.document_pdf(session, scope(session, branch="South"), inv1.id or 0)
    with pytest.raises(NotFound):
        queries.document_pdf(session, scope(session, "OTHER"), inv1.id or 0)
    found = queries.documents_with_pdf(session, scope(session), [inv1.id or 0, 999_999])
    assert [row.number for row, _ in found] == ["INV-1"]
    assert queries.documents_with_pdf(session, scope(session, "OTHER"), [inv1.id or 0]) == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab" * 40, "", None, "G" * 64])
def test_a_malformed_checksum_never_becomes_a_path(bad: str | None, tmp_path: Path) -> None:
    assert queries.pdf_file(bad, tmp_path) is None


def test_balances_and_aging_known_answers(session: Session) -> None:
    found = ledger_queries.balances(session, scope(session), AS_OF)
    gbp, eur = found["GBP"], found["EUR"]
    assert (gbp.outstanding, gbp.owed, gbp.overdue, gbp.credit_available) == (
        D("350.00"), D("400.00"), D("200.00"), D("50.00"))
    assert (gbp.next_due_date, gbp.next_due_amount, gbp.documents) == (
        date(2026, 4, 14), D("200.00"), 4)
    assert (eur.outstanding, eur.overdue, eur.next_due_date) == (D("70.00"), D("70.00"), None)
    aged = ledger_queries.aging(session, scope(session), AS_OF)
    assert dict(aged["GBP"].rows()) == {
        "Not yet due": D("200.00"), "1-30 days": D("200.00"), "31-60 days": D("0"),
        "61-90 days": D("0"), "Over 90 days": D("0"), "Unapplied credit": D("-50.00")}
    assert dict(aged["EUR"].buckets)["Over 90 days"] == D("70.00")  # 120 days past due
    assert aged["GBP"].total == gbp.outstanding


def _add_payment(s: Session, account: str, reference: str, day: date, amount: str,
                 allocations: list[tuple[str, str]], currency: str = "GBP") -> None:  # fmt: skip
    acct = factories.account(s, account)
    payment = models.Payment(reference=reference, account_id=acct.id or 0, payment_date=day,
                             currency=currency, amount=D(amount))  # fmt: skip
    s.add(payment)
    s.flush()
    for number, part in allocations:
        s.add(models.Allocation(payment_id=payment.id or 0, document_id=_doc_id(s, number),
                                amount=D(part)))  # fmt: skip
    s.flush()


def test_sql_balances_and_aging_equal_the_ledger_rules(session: Session) -> None:
    _add_payment(session, "ACME", "R-1", date(2026, 2, 1), "500.00", [("INV-1", "500.00")])
    _add_payment(session, "ACME", "R-2", date(2026, 3, 20), "150.00", [("INV-2", "100.00")])
    buckets = ledger.aging_buckets((15, 45))
    for branch in (None, "North", "South"):
        sc = scope(session, branch=branch)
        docs = ledger_queries.ledger_docs(session, sc)
        pays = ledger_queries.ledger_payments(session, sc)
        for day in (date(2026, 1, 31), date(2026, 3, 1), AS_OF, date(2026, 12, 31)):
            assert ledger_queries.balances(session, sc, day) == ledger.balances(docs, day, pays)
            assert ledger_queries.aging(session, sc, day, buckets) == ledger.aging(
                docs, day, payments=pays, buckets=buckets)


def test_payments_with_allocations_and_branch_limits(session: Session) -> None:
    _add_payment(session, "ACME", "R-1", date(2026, 3, 1), "600.00",
                 [("INV-1", "500.00"), ("INV-3", "60.00")])
    _add_payment(session, "ACME", "R-2", date(2026, 3, 5), "25.00", [])
    frame = ledger_queries.payments_frame(session, scope(session))
    assert list(frame["Reference"]) == ["R-2", "R-1"]
    r1 = frame.iloc[1]
    assert (r1["Amount"], r1["Allocated"], r1["Not allocated"]) == (
        D("600.00"), D("560.00"), D("40.00"))
    assert r1["Allocated to"] == "INV-1 (500.00 GBP), INV-3 (60.00 GBP)"
    north = ledger_queries.payments_frame(session, scope(session, branch="North"))
    # Only the part of R-1 that paid North's invoice; the unallocated R-2 is not North's.
    assert list(north["Reference"]) == ["R-1"]
    assert north.iloc[0]["Amount"] == D("500.00")
    assert "INV-3" not in north.iloc[0]["Allocated to"]
    alloc = ledger_queries.allocations_frame(session, scope(session, branch="South"), "R-1")
    assert list(alloc["Number"]) == ["INV-3"]
    assert ledger_queries.payments_frame(session, scope(session, "OTHER")).empty


@pytest.mark.parametrize("kind", [statements.OPEN_ITEM, statements.ACTIVITY])
@pytest.mark.parametrize("branch", [None, "North"])
def test_statements_close_on_the_balance(session: Session, kind: str, branch: str | None) -> None:
    _add_payment(session, "ACME", "R-1", date(2026, 2, 1), "500.00", [("INV-1", "500.00")])
    sc = scope(session, branch=branch)
    built = ledger_queries.build_statement(
        session, sc, kind=kind, currency="GBP", start=date(2026, 2, 1), end=AS_OF,
        statement_date=AS_OF, wholesaler=SELLER,
    )
    assert built.closing_balance == ledger_queries.balances(session, sc, AS_OF)["GBP"].outstanding
    assert built.branch == branch
    assert "INV-O1" not in {line.reference for line in built.lines}


def test_data_version_moves_with_imports_and_corrections(session: Session) -> None:
    first = queries.data_version(session)
    assert queries.data_version(session) == first
    doc = session.get(models.Document, _doc_id(session, "INV-3"))
    assert doc is not None
    doc.paid = D("10.00")
    session.add(doc)
    session.flush()
    second = queries.data_version(session)
    assert second != first
    _add_payment(session, "ACME", "R-9", date(2026, 3, 3), "1.00", [])
    assert queries.data_version(session) != second


def test_records_current_as_of_the_latest_applied_import(session: Session) -> None:
    assert queries.latest_import_at(session) is None
    times = [datetime(2026, 3, d, 9, 0, tzinfo=timezone.utc) for d in (1, 2, 3)]
    for when, status in zip(times, ["applied", "applied", "rejected"], strict=True):
        session.add(models.ImportBatch(created_at=when, actor="fin", file_name="f.csv",
                                       sha256="x", kind="documents", status=status))
    session.flush()
    latest = queries.latest_import_at(session)
    assert latest is not None and latest.replace(tzinfo=timezone.utc) == times[1]


def test_all_my_accounts(session: Session) -> None:
    factories.account(session, "EMPTY")
    who = Principal("gus", "buyer", frozenset({AccountGrant("ACME", "North"),
                                               AccountGrant("OTHER"), AccountGrant("EMPTY")}))
    frame = ledger_queries.accounts_overview(session, who, AS_OF)
    rows = [(r["Account"], r["Branches"], r["Currency"], r["Balance"])
            for r in frame.to_dict("records")]  # fmt: skip
    assert rows == [("ACME", "North", "EUR", D("70.00")), ("ACME", "North", "GBP", D("200.00")),
                    ("EMPTY", "all", "", None), ("OTHER", "all", "GBP", D("123.00"))]  # fmt: skip


def test_future_documents_are_listed_but_not_yet_owed(session: Session) -> None:
    later = ledger_queries.balances(session, scope(session), AS_OF + timedelta(days=30))
    assert later["GBP"].outstanding == D("390.00")


Payments = list[tuple[int, list[tuple[int, str]]]]


@st.composite
def _ledgers(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Payments]:
    docs = []
    for i in range(draw(st.integers(min_value=0, max_value=10))):
        total = Decimal(draw(st.integers(min_value=0, max_value=9_999))).scaleb(-2)
        docs.append({"kind": draw(st.sampled_from(["invoice", "invoice", "credit_note"])),
                     "number": f"D-{i}", "total": total,
                     "paid": draw(st.sampled_from([Decimal(0), total, total / 2, total + 1])),
                     "issue_date": date(2025, 6, 1) + timedelta(draw(st.integers(0, 400))),
                     "erp_status": draw(st.sampled_from(["", "", "void"]))})  # fmt: skip
    pays = [(draw(st.integers(0, 400)),
             draw(st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["5.00", "all", "all"])),
                           max_size=3)) if docs else [])
            for _ in range(draw(st.integers(0, 3)))]  # fmt: skip
    return docs, pays


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_ledgers(), start_day=st.integers(0, 400), length=st.integers(0, 200))
def test_statements_from_the_store_equal_those_from_every_document(
    url: str, case: tuple[list[dict[str, Any]], Payments],
    start_day: int, length: int,
) -> None:
    """Leaving settled documents in the store changes no line, balance, aging or note."""
    docs, pays = case
    start = date(2025, 6, 1) + timedelta(start_day)
    end = start + timedelta(length)
    with Session(store.engine_for(url)) as s:
        try:
            acme = factories.account(s, "ACME")
            rows = [factories.document(s, d.pop("number"), account=acme,
                                       due_date=d["issue_date"] + timedelta(30), **d)
                    for d in [dict(d) for d in docs]]  # fmt: skip
            for n, (day, allocs) in enumerate(pays):
                p = models.Payment(reference=f"R-{n}", account_id=acme.id or 0, currency="GBP",
                                   payment_date=date(2025, 6, 1) + timedelta(day), amount=D("30"))
                s.add(p)
                s.flush()
                for index, amount in allocs:
                    if index < len(rows):  # "all": the payment explains the whole paid amount
                        part = rows[index].paid if amount == "all" else D(amount)
                        s.add(models.Allocation(payment_id=p.id or 0,
                                                document_id=rows[index].id or 0, amount=part))
            s.flush()
            sc = scope(s)
            every = ledger_queries.ledger_docs(s, sc)
            payments = ledger_queries.ledger_payments(s, sc)
            account = statements.StatementAccount("ACME", sc.account_name)
            for kind in (statements.OPEN_ITEM, statements.ACTIVITY):
                built = ledger_queries.build_statement(
                    s, sc, kind=kind, currency="GBP", start=start, end=end, statement_date=end,
                    wholesaler=SELLER)  # fmt: skip
                direct = (statements.open_item_statement(
                    every, account, "GBP", end, wholesaler=SELLER, payments=payments)
                    if kind == statements.OPEN_ITEM else statements.activity_statement(
                    every, payments, account, "GBP", start, end, wholesaler=SELLER))  # fmt: skip
                assert built == direct
        finally:
            s.rollback()


def test_an_old_invoice_settled_by_a_payment_in_the_period_stays_on_the_statement(
    session: Session,
) -> None:
    # INV-1 (issued 5 Jan, 500 paid) was paid by a payment dated in the period: it was still
    # owed at the start, so it is in the opening balance and the payment line reduces it.
    _add_payment(session, "ACME", "R-1", date(2026, 2, 15), "500.00", [("INV-1", "500.00")])
    built = ledger_queries.build_statement(
        session, scope(session, branch="North"), kind=statements.ACTIVITY, currency="GBP",
        start=date(2026, 2, 1), end=date(2026, 2, 28), statement_date=AS_OF, wholesaler=SELLER)
    assert built.opening_balance == D("500.00")
    assert [(line.reference, line.amount) for line in built.lines] == [
        ("INV-2", D("300.00")), ("INV-2", D("-100.00")), ("R-1", D("-500.00"))]
    assert built.closing_balance == D("200.00")
