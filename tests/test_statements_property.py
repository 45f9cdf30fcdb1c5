"""Property: every statement closes on the balance computed directly, and its aging sums to it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from lib import ledger
from lib.ledger import LedgerAllocation, LedgerDoc, LedgerPayment
from lib.statements import StatementAccount, Wholesaler, activity_statement, open_item_statement

BASE = date(2025, 1, 1)
CURRENCIES = ("GBP", "EUR", "JPY")
STATUSES = ("", "", "", "posted", "VOID", "Cancelled", "storniert")
ACCOUNT = StatementAccount("ACME", "Acme")
SELLER = Wholesaler("Seller")

days = st.integers(min_value=0, max_value=400)
cents = st.integers(min_value=0, max_value=2_000_000).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def documents(draw: st.DrawFn) -> list[LedgerDoc]:
    """Invoices and credit notes: voids, unpaid, partly, fully and over-paid, mixed currencies."""
    docs = []
    for i in range(draw(st.integers(min_value=0, max_value=25))):
        total = draw(cents)
        usual = [Decimal(0), total, total / 2, total + Decimal("12.34")]  # none, all, part, over
        paid = draw(st.sampled_from(usual) | cents)
        issued = BASE + timedelta(draw(days))
        docs.append(LedgerDoc(
            kind=draw(st.sampled_from(["invoice", "invoice", "credit_note"])),
            number=f"D{i}", issue_date=issued,
            due_date=issued + timedelta(draw(st.integers(min_value=0, max_value=90))),
            currency=draw(st.sampled_from(CURRENCIES)), total=total, paid=paid,
            erp_status=draw(st.sampled_from(STATUSES)),
            account_code=draw(st.sampled_from(["ACME", "ACME", "ACME", "OTHER"])),
        ))  # fmt: skip
    return docs


@st.composite
def payments_for(draw: st.DrawFn, docs: list[LedgerDoc]) -> list[LedgerPayment]:
    """Dated payments allocating arbitrary amounts (even more than paid) to existing documents."""
    pays = []
    for i in range(draw(st.integers(min_value=0, max_value=8))):
        targets = draw(st.lists(st.sampled_from(docs), max_size=4)) if docs else []
        allocs = tuple(LedgerAllocation(d.number, draw(cents), d.kind) for d in targets)
        extra = draw(st.sampled_from([Decimal(0), Decimal("5.00")]))
        pays.append(LedgerPayment(
            f"R{i}", BASE + timedelta(draw(days)), draw(st.sampled_from(CURRENCIES)),
            sum((a.amount for a in allocs), Decimal(0)) + extra, allocs,
            draw(st.sampled_from(["ACME", "ACME", "OTHER"])),
        ))  # fmt: skip
    return pays


def direct_balance(
    docs: list[LedgerDoc], pays: list[LedgerPayment], currency: str, end: date
) -> Decimal:
    """The balance at `end`, written out again from the rule (independent of ledger.py)."""
    later: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for p in pays:
        if p.account_code == "ACME" and p.payment_date > end:
            for a in p.allocations:
                later[(a.kind, a.number)] += a.amount
    total = Decimal(0)
    for d in docs:
        if (d.account_code, d.currency) != ("ACME", currency) or d.issue_date > end:
            continue
        if d.erp_status.lower() in {"void", "cancelled", "storniert"}:
            continue
        owed = d.total - (d.paid - later[(d.kind, d.number)])
        total += owed if d.kind == "invoice" else -owed
    return total


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[LedgerDoc], list[LedgerPayment], date, date, str]:
    docs = draw(documents())
    pays = draw(payments_for(docs))
    start = BASE + timedelta(draw(st.integers(min_value=-10, max_value=420)))
    end = start + timedelta(draw(st.integers(min_value=0, max_value=200)))
    return docs, pays, start, end, draw(st.sampled_from(CURRENCIES))


@settings(max_examples=300, deadline=None)
@given(ledgers())
def test_open_item_closes_on_the_direct_balance(case: tuple) -> None:
    docs, pays, _, end, currency = case
    statement = open_item_statement(docs, ACCOUNT, currency, end, wholesaler=SELLER, payments=pays)
    expected = direct_balance(docs, pays, currency, end)
    account_docs = [d for d in docs if d.account_code == "ACME"]
    account_pays = [p for p in pays if p.account_code == "ACME"]
    assert statement.closing_balance == expected
    assert statement.closing_balance == ledger.balance_at(account_docs, currency, end, account_pays)
    assert sum((line.amount for line in statement.lines), Decimal(0)) == expected
    assert statement.aging.total == expected


@settings(max_examples=300, deadline=None)
@given(ledgers())
def test_activity_closes_on_the_direct_balance(case: tuple) -> None:
    docs, pays, start, end, currency = case
    statement = activity_statement(docs, pays, ACCOUNT, currency, start, end, wholesaler=SELLER)
    assert statement.opening_balance == direct_balance(docs, pays, currency, start - timedelta(1))
    assert statement.closing_balance == direct_balance(docs, pays, currency, end)
    assert statement.aging.total == statement.closing_balance
    running = statement.opening_balance
    for line in statement.lines:
        running += line.amount
        assert line.balance == running
        assert start <= line.date <= end
    assert [ln.date for ln in statement.lines] == sorted(ln.date for ln in statement.lines)


@settings(max_examples=100, deadline=None)
@given(documents())
def test_without_payments_the_balance_is_total_minus_paid(docs: list[LedgerDoc]) -> None:
    today = BASE + timedelta(500)  # after every issue date
    for currency in CURRENCIES:
        expected = sum(
            (ledger.signed_outstanding(d) for d in docs
             if d.currency == currency and d.account_code == "ACME"),
            Decimal(0),
        )  # fmt: skip
        statement = activity_statement(docs, [], ACCOUNT, currency, BASE, today, wholesaler=SELLER)
        assert statement.closing_balance == expected
