"""Statements built in SQL from the store equal those built in Python from every record.

The activity statement's opening balance, lines, notes and aging, and the open-item statement's
lines, total, notes and aging, come from SQL that reads only what they need; this property holds
them equal, line by line, to statements.activity_statement and statements.open_item_statement
over all of the scope's documents and payments, for whole and branch-limited scopes, several
currencies, void documents, credit notes used in remittances, partial and over-payment, paid
amounts no payment explains, payments of other currencies and of other accounts, and payments
dated after the period.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from lib import ledger_queries, models, statements, store
from lib.queries import Scope
from tests import factories

BASE = date(2025, 6, 1)
SELLER = statements.Wholesaler("Northwind Wholesale Ltd")
NORTH, BOTH = frozenset({"North"}), frozenset({"North", "South"})
BRANCH_LIMITS: list[frozenset[str] | None] = [None, NORTH, BOTH, frozenset()]
day = st.integers(min_value=0, max_value=400)
cents = st.integers(min_value=0, max_value=99_999).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def documents(draw: st.DrawFn) -> list[dict[str, Any]]:
    """ACME's documents: both kinds, two currencies, three branches, some void, any paid state."""
    docs = []
    for i in range(draw(st.integers(min_value=0, max_value=10))):
        total = draw(cents)
        issued = BASE + timedelta(draw(day))
        docs.append({
            "number": f"D-{i}",
            "kind": draw(st.sampled_from(["invoice", "invoice", "credit_note"])),
            "total": total, "issue_date": issued, "due_date": issued + timedelta(30),
            "paid": draw(st.sampled_from([Decimal(0), total, total / 2, total + 1])),
            "currency": draw(st.sampled_from(["GBP", "GBP", "EUR"])),
            "branch": draw(st.sampled_from(["North", "South", ""])),
            "erp_status": draw(st.sampled_from(["", "", "", "Void"])),
            "po_reference": draw(st.sampled_from(["", "PO-1"])),
            "description": draw(st.sampled_from(["", "Pallets"])),
        })  # fmt: skip
    return docs


# (account, day, currency, extra received, [(document index, amount or "all")])
Payment = tuple[str, int, str, Decimal, list[tuple[int, str]]]
payments = st.lists(st.tuples(
    st.sampled_from(["ACME", "ACME", "ACME", "OTHER"]), day, st.sampled_from(["GBP", "EUR"]),
    st.sampled_from([Decimal(0), Decimal("5.00")]),
    st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["3.00", "all", "all"])), max_size=3),
), max_size=5)  # fmt: skip


def _store(s: Session, docs: list[dict[str, Any]], pays: list[Payment]) -> int:
    """Write the case; the id of ACME."""
    acme, other = factories.account(s, "ACME"), factories.account(s, "OTHER")
    rows = [factories.document(s, d["number"], account=acme,
                               **{k: v for k, v in d.items() if k != "number"}) for d in docs]
    for n, (code, offset, currency, extra, allocs) in enumerate(pays):
        parts = [(rows[i], rows[i].paid if how == "all" else Decimal(how))
                 for i, how in allocs if i < len(rows)]  # fmt: skip
        owner = acme if code == "ACME" else other
        payment = models.Payment(reference=f"R-{n}", account_id=owner.id or 0, currency=currency,
                                 payment_date=BASE + timedelta(offset),
                                 amount=sum((a for _, a in parts), extra))  # fmt: skip
        s.add(payment)
        s.flush()
        for row, amount in parts:
            s.add(models.Allocation(payment_id=payment.id or 0, document_id=row.id or 0,
                                    amount=amount))  # fmt: skip
    s.flush()
    return acme.id or 0


def _check(s: Session, scope: Scope, start: date, end: date) -> None:
    every = ledger_queries.ledger_docs(s, scope)
    pays = ledger_queries.ledger_payments(s, scope)
    account = statements.StatementAccount(scope.account_code, scope.account_name)
    for currency in ("GBP", "EUR"):
        built = ledger_queries.build_statement(
            s, scope, kind=statements.ACTIVITY, currency=currency, start=start, end=end,
            statement_date=end, wholesaler=SELLER)  # fmt: skip
        direct = statements.activity_statement(every, pays, account, currency, start, end,
                                               wholesaler=SELLER)  # fmt: skip
        # repr, not ==: Decimal('0') == Decimal('0.0000'), but a file could show the two apart.
        assert repr(built) == repr(replace(direct, branch=scope.branch_label() or None))
        for at in (start, end):  # open items at either date: some payments come after it
            built = ledger_queries.build_statement(
                s, scope, kind=statements.OPEN_ITEM, currency=currency, start=start, end=at,
                statement_date=end, wholesaler=SELLER)  # fmt: skip
            direct = statements.open_item_statement(
                every, account, currency, at, payments=pays, wholesaler=SELLER,
                statement_date=end)  # fmt: skip
            assert repr(built) == repr(replace(direct, branch=scope.branch_label() or None))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(docs=documents(), pays=payments, start_day=st.integers(-10, 400),
       length=st.integers(0, 200))  # fmt: skip
def test_statements_from_sql_equal_statements_from_every_record(
    url: str, docs: list[dict[str, Any]], pays: list[Payment], start_day: int, length: int
) -> None:
    start = BASE + timedelta(start_day)
    with Session(store.engine_for(url)) as s:
        try:
            acme = _store(s, docs, pays)
            for branches in BRANCH_LIMITS:
                _check(s, Scope(acme, "ACME", "ACME Ltd", branches), start,
                       start + timedelta(length))  # fmt: skip
        finally:
            s.rollback()  # each example starts from an empty store


def _doc(number: str, issued: int, total: str, paid: str, **extra: Any) -> dict[str, Any]:
    issue = BASE + timedelta(issued)
    return {"number": number, "kind": "invoice", "total": Decimal(total), "paid": Decimal(paid),
            "issue_date": issue, "due_date": issue + timedelta(30), "currency": "GBP",
            "branch": "North", **extra}  # fmt: skip


# Every rule at once: a void invoice paid in the period, a credit note used in a remittance, a
# receipt in EUR settling a GBP invoice, an unallocated receipt, one from another account, a
# payment after the period and one the day before it, a paid amount no payment explains, a
# South-branch document, and an account with no payment of its own.
FIXED_DOCS = [
    _doc("OLD", 0, "100.00", "100.00"), _doc("VOID", 50, "40.00", "40.00", erp_status="Void"),
    _doc("CN", 60, "20.00", "20.00", kind="credit_note", po_reference="RMA-1"),
    _doc("NEW", 70, "300.00", "280.00", description="Pallets"),
    _doc("SOUTH", 80, "60.00", "60.00", branch="South"),
    _doc("EUR", 90, "10.00", "0", currency="EUR"), _doc("EDGE", 10, "50.00", "50.00"),
]  # fmt: skip
FIXED_PAYMENTS: list[Payment] = [
    ("ACME", 30, "GBP", Decimal(0), [(0, "all")]),  # before the period: OLD was settled
    ("ACME", 55, "GBP", Decimal(0), [(1, "all")]),  # a payment of the void invoice
    ("ACME", 75, "GBP", Decimal("5.00"), [(3, "200.00"), (2, "all")]),  # net of the credit
    ("ACME", 85, "EUR", Decimal(0), [(4, "all")]),  # another currency, a GBP document
    ("ACME", 95, "GBP", Decimal("7.00"), []),  # nothing allocated
    ("OTHER", 96, "GBP", Decimal(0), [(3, "1.00")]),  # not ACME's payment
    ("ACME", 150, "GBP", Decimal(0), [(3, "50.00")]),  # after the period
    ("ACME", 39, "GBP", Decimal(0), [(6, "all")]),  # the day before the period: in the opening
]


def test_statements_from_sql_on_a_ledger_that_breaks_every_rule(url: str) -> None:
    with Session(store.engine_for(url)) as s:
        acme = _store(s, FIXED_DOCS, FIXED_PAYMENTS)
        idle = factories.account(s, "IDLE").id or 0
        factories.document(s, "IDLE-1", account_code="IDLE", issue_date=BASE + timedelta(50))
        _check(s, Scope(idle, "IDLE", "IDLE Ltd", None), BASE, BASE + timedelta(120))
        for branches in BRANCH_LIMITS:
            _check(s, Scope(acme, "ACME", "ACME Ltd", branches), BASE + timedelta(40),
                   BASE + timedelta(120))  # fmt: skip
        whole = ledger_queries.build_statement(
            s, Scope(acme, "ACME", "ACME Ltd", None), kind=statements.ACTIVITY, currency="GBP",
            start=BASE + timedelta(40), end=BASE + timedelta(120), statement_date=BASE,
            wholesaler=SELLER)  # fmt: skip
        assert [(ln.reference, ln.amount) for ln in whole.lines] == [
            ("R-1", Decimal("0")), ("CN", Decimal("-20")), ("NEW", Decimal("300")),
            ("NEW", Decimal("-30")), ("R-2", Decimal("-180")), ("SOUTH", Decimal("60")),
            ("R-3", Decimal("-60")), ("R-4", Decimal("0")),
        ]  # fmt: skip
        assert whole.opening_balance == 0 and whole.closing_balance == 70
        assert whole.lines[4].description == "Received 225.00; 45.00 not allocated to a document"
        assert whole.notes == (statements.NOTE_SOME_UNDATED, statements.NOTE_CREDIT)


def _open_items(s: Session, scope: Scope, end: int) -> statements.Statement:
    return ledger_queries.build_statement(
        s, scope, kind=statements.OPEN_ITEM, currency="GBP", start=BASE, end=BASE + timedelta(end),
        statement_date=BASE, wholesaler=SELLER)  # fmt: skip


def test_open_items_from_sql_on_a_ledger_that_breaks_every_rule(url: str) -> None:
    with Session(store.engine_for(url)) as s:
        whole = Scope(_store(s, FIXED_DOCS, FIXED_PAYMENTS), "ACME", "ACME Ltd", None)
        # On day 120 only NEW is open: 280 paid, of which 50 by a payment dated day 150.
        late = _open_items(s, whole, 120)
        assert [(ln.reference, ln.description, ln.total, ln.paid, ln.amount, ln.days_overdue)
                for ln in late.lines] == [
            ("NEW", "Pallets", Decimal("300"), Decimal("230"), Decimal("70"), 20)]  # fmt: skip
        assert late.closing_balance == 70 and late.aging.total == 70
        assert late.notes == (statements.NOTE_SOME_UNDATED, statements.NOTE_CREDIT)
        # On day 65 the credit note was not yet used (by a payment of day 75): credit, not late.
        early = _open_items(s, whole, 65)
        assert [(ln.reference, ln.amount, ln.days_overdue) for ln in early.lines] == [
            ("CN", Decimal("-20"), None)]
        assert early.aging.unapplied_credit == -20 and early.closing_balance == -20
        south = _open_items(s, replace(whole, branches=frozenset({"South"})), 120)
        assert south.lines == () and south.branch == "South"
