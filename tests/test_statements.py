"""Statements, checked line by line: open-item and activity, with and without dated payments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from lib import ledger
from lib.errors import PortalError
from lib.ledger import LedgerAllocation, LedgerDoc, LedgerPayment
from lib.statements import (
    NOTE_CREDIT,
    NOTE_NO_PAYMENTS,
    NOTE_SOME_UNDATED,
    Statement,
    StatementAccount,
    Wholesaler,
    activity_statement,
    open_item_statement,
)

D = Decimal
ACME = StatementAccount("ACME", "Acme Trading Ltd")
SELLER = Wholesaler("Northwind Wholesale Ltd", ("1 Dock Road", "Hull HU1 1AA"))


def doc(number: str, issued: date, total: str, paid: str = "0", **overrides: Any) -> LedgerDoc:
    """A GBP document of ACME, due 30 days after issue unless given."""
    values: dict[str, Any] = {
        "kind": "credit_note" if number.startswith("CN") else "invoice",
        "number": number, "issue_date": issued, "due_date": issued + timedelta(30),
        "currency": "GBP", "total": D(total), "paid": D(paid), "account_code": "ACME",
    }  # fmt: skip
    values.update(overrides)
    return LedgerDoc(**values)


DOCS = [
    doc("INV-1", date(2026, 1, 5), "500", "500"),
    doc("INV-2", date(2026, 2, 10), "300", "100", po_reference="PO-77"),
    doc("CN-1", date(2026, 2, 20), "50"),
    doc("INV-3", date(2026, 3, 15), "200"),
    doc("INV-4", date(2026, 3, 1), "999", erp_status="Void"),
    doc("INV-5", date(2026, 3, 2), "70", currency="EUR"),
    doc("INV-6", date(2026, 3, 3), "80", account_code="OTHER"),
]
PAYMENTS = [
    LedgerPayment("R-1", date(2026, 2, 15), "GBP", D("500"),
                  (LedgerAllocation("INV-1", D("500")),), "ACME"),
    LedgerPayment("R-2", date(2026, 3, 20), "GBP", D("150"),
                  (LedgerAllocation("INV-2", D("100")),), "ACME"),
]  # fmt: skip


def cells(statement: Statement, *columns: str) -> list[tuple[Any, ...]]:
    """The named columns of the statement's table, row by row."""
    headers, rows = statement.table()
    index = [headers.index(c) for c in columns]
    return [tuple(row[i] for i in index) for row in rows]


def test_open_item_lists_what_is_outstanding_with_aging() -> None:
    st = open_item_statement(DOCS, ACME, "GBP", date(2026, 3, 31), wholesaler=SELLER,
                             statement_date=date(2026, 4, 2))  # fmt: skip
    assert cells(st, "Number", "Reference", "Total", "Paid", "Outstanding", "Days overdue") == [
        ("INV-2", "PO-77", D("300"), D("100"), D("200"), 19),
        ("CN-1", "", D("-50"), D("0"), D("-50"), None),
        ("INV-3", "", D("200"), D("0"), D("200"), None),
    ]
    assert st.closing_balance == D("350") == ledger.balance_at(DOCS[:4], "GBP", date(2026, 3, 31))
    assert dict(st.aging.rows()) == {
        "Not yet due": D("200"), "1-30 days": D("200"), "31-60 days": D("0"),
        "61-90 days": D("0"), "Over 90 days": D("0"), "Unapplied credit": D("-50"),
    }  # fmt: skip
    assert st.notes == (NOTE_NO_PAYMENTS, NOTE_CREDIT)
    assert st.summary() == [("Total due at 31 Mar 2026", D("350"))]
    assert ("Period", "Open items at 31 Mar 2026") in st.header_fields()
    assert ("Statement date", "2 Apr 2026") in st.header_fields()


def test_open_item_at_a_past_date_leaves_out_later_documents() -> None:
    st = open_item_statement(DOCS, ACME, "GBP", date(2026, 2, 28), wholesaler=SELLER)
    assert cells(st, "Number", "Outstanding") == [("INV-2", D("200")), ("CN-1", D("-50"))]
    assert st.closing_balance == D("150")


def test_activity_without_payments_shows_paid_to_date_lines() -> None:
    st = activity_statement(DOCS, [], ACME, "GBP", date(2026, 2, 1), date(2026, 3, 31),
                            wholesaler=SELLER)  # fmt: skip
    assert st.opening_balance == D("0")  # INV-1's 500 counts as paid from its issue date
    assert cells(st, "Date", "Type", "Reference", "Debit", "Credit", "Balance") == [
        (date(2026, 2, 10), "Invoice", "INV-2", D("300"), None, D("300")),
        (date(2026, 2, 10), "Paid to date", "INV-2", None, D("100"), D("200")),
        (date(2026, 2, 20), "Credit note", "CN-1", None, D("50"), D("150")),
        (date(2026, 3, 15), "Invoice", "INV-3", D("200"), None, D("350")),
    ]
    assert st.closing_balance == D("350") == ledger.balance_at(DOCS[:4], "GBP", date(2026, 3, 31))
    assert NOTE_NO_PAYMENTS in st.notes
    assert st.lines[1].description == "Date not in the data feed"


def test_activity_with_dated_payments_shows_each_payment() -> None:
    st = activity_statement(DOCS, PAYMENTS, ACME, "GBP", date(2026, 2, 1), date(2026, 3, 31),
                            wholesaler=SELLER)  # fmt: skip
    assert st.opening_balance == D("500")  # INV-1 was paid on 15 Feb, inside the period
    assert cells(st, "Type", "Reference", "Debit", "Credit", "Balance") == [
        ("Invoice", "INV-2", D("300"), None, D("800")),
        ("Payment", "R-1", None, D("500"), D("300")),
        ("Credit note", "CN-1", None, D("50"), D("250")),
        ("Invoice", "INV-3", D("200"), None, D("450")),
        ("Payment", "R-2", None, D("100"), D("350")),
    ]
    assert st.lines[-1].description == "Received 150.00; 50.00 not allocated to a document"
    assert st.closing_balance == D("350")
    assert st.notes == (NOTE_CREDIT,)  # every paid amount has a dated payment


def test_activity_opening_balance_uses_payment_dates() -> None:
    st = activity_statement(DOCS, PAYMENTS, ACME, "GBP", date(2026, 3, 1), date(2026, 3, 31),
                            wholesaler=SELLER)  # fmt: skip
    assert st.opening_balance == D("250")  # INV-2 unpaid until R-2 on 20 Mar; CN-1 -50
    running = [(line.reference, line.balance) for line in st.lines]
    assert running == [("INV-3", D("450")), ("R-2", D("350"))]
    assert st.summary() == [("Opening balance at 1 Mar 2026", D("250")),
                            ("Closing balance at 31 Mar 2026", D("350"))]  # fmt: skip


def test_partly_undated_payments_are_said_so() -> None:
    docs = [doc("INV-9", date(2026, 3, 1), "100", "100")]
    pays = [LedgerPayment("R-9", date(2026, 3, 5), "GBP", D("60"),
                          (LedgerAllocation("INV-9", D("60")),), "ACME")]  # fmt: skip
    st = activity_statement(docs, pays, ACME, "GBP", date(2026, 3, 1), date(2026, 3, 31),
                            wholesaler=SELLER)  # fmt: skip
    assert [(ln.kind, ln.amount) for ln in st.lines] == [
        ("invoice", D("100")), ("paid_to_date", D("-40")), ("payment", D("-60"))]
    assert st.closing_balance == D("0")
    assert NOTE_SOME_UNDATED in st.notes


@pytest.mark.parametrize(("branch", "numbers"), [("North", ["INV-N"]), (None, ["INV-N", "INV-S"])])
def test_branch_statement_holds_only_that_branch(branch: str | None, numbers: list[str]) -> None:
    docs = [doc("INV-N", date(2026, 3, 1), "10", branch="North"),
            doc("INV-S", date(2026, 3, 2), "20", branch="South")]  # fmt: skip
    st = open_item_statement(docs, ACME, "GBP", date(2026, 3, 31), wholesaler=SELLER, branch=branch)
    assert [line.reference for line in st.lines] == numbers
    assert (("Branch", "North") in st.header_fields()) == (branch == "North")


def test_other_accounts_and_currencies_never_appear() -> None:
    st = activity_statement(DOCS, PAYMENTS, ACME, "EUR", date(2026, 1, 1), date(2026, 3, 31),
                            wholesaler=SELLER)  # fmt: skip
    assert [line.reference for line in st.lines] == ["INV-5"]
    other = StatementAccount("NOBODY")
    assert open_item_statement(DOCS, other, "GBP", date(2026, 3, 31), wholesaler=SELLER).lines == ()


def test_empty_period_keeps_the_opening_balance() -> None:
    st = activity_statement(DOCS, [], ACME, "GBP", date(2026, 4, 1), date(2026, 4, 30),
                            wholesaler=SELLER)  # fmt: skip
    assert (st.lines, st.opening_balance, st.closing_balance) == ((), D("350"), D("350"))
    assert st.period_label() == "1 Apr 2026 to 30 Apr 2026"


def test_period_backwards_is_refused() -> None:
    with pytest.raises(PortalError, match="starts after it ends"):
        activity_statement(DOCS, [], ACME, "GBP", date(2026, 4, 2), date(2026, 4, 1),
                           wholesaler=SELLER)  # fmt: skip


def test_credit_used_in_a_remittance_nets_against_the_receipt() -> None:
    docs = [doc("INV-7", date(2026, 3, 1), "100", "100"), doc("CN-7", date(2026, 3, 2), "20", "20")]
    remittance = LedgerPayment("R-7", date(2026, 3, 10), "GBP", D("80"), (
        LedgerAllocation("INV-7", D("100")), LedgerAllocation("CN-7", D("20"), "credit_note"),
    ), "ACME")  # fmt: skip
    assert ledger.net_allocated(remittance) == D("80")
    st = activity_statement(docs, [remittance], ACME, "GBP", date(2026, 3, 1), date(2026, 3, 31),
                            wholesaler=SELLER)  # fmt: skip
    assert [(ln.reference, ln.amount, ln.description) for ln in st.lines] == [
        ("INV-7", D("100"), ""), ("CN-7", D("-20"), ""), ("R-7", D("-80"), "")]
    assert st.closing_balance == D("0") and st.notes == (NOTE_CREDIT,)
