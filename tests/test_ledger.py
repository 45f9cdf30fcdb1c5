"""The ledger's rules as tables of cases: status, balances, aging, and the balance at a date."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from lib import ledger
from lib.errors import PortalError
from lib.ledger import LedgerAllocation, LedgerDoc, LedgerPayment

AS_OF = date(2026, 3, 31)
D = Decimal


def doc(number: str = "INV-1", **overrides: Any) -> LedgerDoc:
    """An open 100.00 GBP invoice issued 1 Mar, due on AS_OF, with overrides."""
    values: dict[str, Any] = {
        "kind": "invoice", "number": number, "issue_date": date(2026, 3, 1),
        "due_date": AS_OF, "currency": "GBP", "total": D("100.00"), "paid": D("0"),
        "account_code": "ACME",
    }  # fmt: skip
    values.update(overrides)
    for key in ("total", "paid"):
        values[key] = D(str(values[key]))
    return LedgerDoc(**values)


def late(days: int) -> date:
    """The due date of something `days` past due at AS_OF."""
    return AS_OF - timedelta(days=days)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (doc(), "open"),  # due today is not overdue
        (doc(due_date=late(-1)), "open"),
        (doc(due_date=late(1)), "overdue"),
        (doc(paid="40"), "partially paid"),
        (doc(paid="40", due_date=late(5)), "overdue"),
        (doc(paid="100", due_date=late(5)), "paid"),
        (doc(paid="120", due_date=late(5)), "paid"),  # overpaid
        (doc(total="0"), "paid"),
        (doc(erp_status="VOID", due_date=late(50)), "void"),
        (doc(erp_status="Voided"), "void"),
        (doc(erp_status=" cancelled "), "void"),
        (doc(erp_status="Canceled"), "void"),
        (doc(erp_status="STORNIERT", paid="100"), "void"),
        (doc(erp_status="posted", due_date=late(2)), "overdue"),
        (doc(kind="credit_note", due_date=late(40)), "open"),  # credit is never late
        (doc(kind="credit_note", paid="30"), "partially paid"),
        (doc(kind="credit_note", paid="100"), "paid"),
    ],
)
def test_status_is_derived(document: LedgerDoc, expected: str) -> None:
    assert ledger.status(document, AS_OF) == expected


# (documents, currency -> (outstanding, owed, overdue, credit_available))
BALANCE_CASES: list[tuple[str, list[LedgerDoc], dict[str, tuple[str, str, str, str]]]] = [
    ("one open invoice", [doc()], {"GBP": ("100", "100", "0", "0")}),
    ("partial, overdue", [doc(paid="30.50", due_date=late(3))],
     {"GBP": ("69.50", "69.50", "69.50", "0")}),
    ("void counts in nothing", [doc(), doc("INV-2", erp_status="void", due_date=late(9))],
     {"GBP": ("100", "100", "0", "0")}),
    ("only void: no balance", [doc(erp_status="cancelled")], {}),
    ("credit note reduces the balance",
     [doc(total="250"), doc("CN-1", kind="credit_note", total="80", paid="30")],
     {"GBP": ("200", "250", "0", "50")}),
    ("overpayment is a credit", [doc(paid="130"), doc("INV-2", total="50", due_date=late(1))],
     {"GBP": ("20", "50", "50", "30")}),
    ("fully paid shows zero", [doc(paid="100")], {"GBP": ("0", "0", "0", "0")}),
    ("currencies never mix",
     [doc(), doc("INV-2", currency="EUR", total="70", due_date=late(31)),
      doc("CN-1", kind="credit_note", currency="EUR", total="10")],
     {"EUR": ("60", "70", "70", "10"), "GBP": ("100", "100", "0", "0")}),
    ("issued after as-of not yet counted", [doc(), doc("INV-2", issue_date=AS_OF + timedelta(1))],
     {"GBP": ("100", "100", "0", "0")}),
    ("in credit overall", [doc("CN-1", kind="credit_note", total="40")],
     {"GBP": ("-40", "0", "0", "40")}),
]  # fmt: skip


@pytest.mark.parametrize(("docs", "expected"), [c[1:] for c in BALANCE_CASES],
                         ids=[c[0] for c in BALANCE_CASES])  # fmt: skip
def test_balances_per_currency(
    docs: list[LedgerDoc], expected: dict[str, tuple[str, str, str, str]]
) -> None:
    found = ledger.balances(docs, AS_OF)
    assert list(found) == sorted(expected)
    for currency, (out, owed, overdue, credit) in expected.items():
        balance = found[currency]
        assert (balance.outstanding, balance.owed, balance.overdue, balance.credit_available) == (
            D(out), D(owed), D(overdue), D(credit))
        assert balance.outstanding == balance.owed - balance.credit_available


def test_next_due_is_the_earliest_date_not_yet_overdue() -> None:
    docs = [
        doc("INV-1", due_date=late(2)),  # overdue: not "next due"
        doc("INV-2", due_date=AS_OF, total="10"),  # due today still counts as next due
        doc("INV-3", due_date=AS_OF, total="15", paid="5"),
        doc("INV-4", due_date=AS_OF + timedelta(9)),
    ]
    balance = ledger.balances(docs, AS_OF)["GBP"]
    assert (balance.next_due_date, balance.next_due_amount) == (AS_OF, D("20"))


def test_nothing_due_means_no_next_due() -> None:
    balance = ledger.balances([doc(paid="100")], AS_OF)["GBP"]
    assert (balance.next_due_date, balance.next_due_amount) == (None, D("0"))


# days past due at AS_OF -> default bucket label
@pytest.mark.parametrize(
    ("days", "label"),
    [(-10, "Not yet due"), (0, "Not yet due"), (1, "1-30 days"), (30, "1-30 days"),
     (31, "31-60 days"), (60, "31-60 days"), (61, "61-90 days"), (90, "61-90 days"),
     (91, "Over 90 days"), (400, "Over 90 days")],
)  # fmt: skip
def test_aging_bucket_by_days_past_due(days: int, label: str) -> None:
    result = ledger.aging([doc(due_date=late(days))], AS_OF)["GBP"]
    assert dict(result.buckets)[label] == D("100")
    assert result.total == D("100")


def test_credit_is_aged_apart_and_buckets_add_up_to_the_balance() -> None:
    docs = [
        doc("INV-1", due_date=late(45), total="300", paid="100"),
        doc("INV-2", due_date=late(100), total="50", paid="60"),  # overpaid by 10
        doc("CN-1", kind="credit_note", due_date=late(200), total="25"),
        doc("INV-3", due_date=late(100), erp_status="void"),
    ]
    result = ledger.aging(docs, AS_OF)["GBP"]
    assert dict(result.rows()) == {
        "Not yet due": D("0"), "1-30 days": D("0"), "31-60 days": D("200"),
        "61-90 days": D("0"), "Over 90 days": D("0"), "Unapplied credit": D("-35"),
    }  # fmt: skip
    assert result.total == ledger.balances(docs, AS_OF)["GBP"].outstanding == D("165")
    assert sum(a for label, a in result.buckets if label != "Not yet due") == D("200")


def test_custom_buckets() -> None:
    buckets = ledger.aging_buckets([15, 45])
    assert [b.label for b in buckets] == ["Not yet due", "1-15 days", "16-45 days", "Over 45 days"]
    result = ledger.aging([doc(due_date=late(16))], AS_OF, buckets=buckets)["GBP"]
    assert dict(result.buckets)["16-45 days"] == D("100")


@pytest.mark.parametrize("edges", [[], [0, 30], [60, 30], [30, 30]])
def test_bad_buckets_are_refused(edges: list[int]) -> None:
    with pytest.raises(PortalError):
        ledger.aging_buckets(edges)


def test_dated_payments_give_the_balance_at_a_past_date() -> None:
    docs = [doc("INV-1", paid="100"), doc("INV-2", paid="60", total="60")]
    pay = LedgerPayment("R-1", date(2026, 3, 20), "GBP", D("100"),
                        (LedgerAllocation("INV-1", D("100")),), "ACME")  # fmt: skip
    # INV-2's 60 has no dated payment: it counts as paid from its issue date.
    assert ledger.balance_at(docs, "GBP", date(2026, 3, 19), [pay]) == D("100")
    assert ledger.balance_at(docs, "GBP", date(2026, 3, 20), [pay]) == D("0")
    assert ledger.balance_at(docs, "EUR", AS_OF, [pay]) == D("0")
    assert ledger.balance_at(docs, "GBP", date(2026, 2, 28), [pay]) == D("0")  # none issued yet
