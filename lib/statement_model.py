"""What a statement is: its lines, header, summary and table, ready for any renderer.

Also the parts each kind is assembled from (see ``statements.activity_from_parts`` and
``statements.open_item_from_parts``), so that the same lines come out whether the parts were
computed from ledger records in Python (``statements.activity_statement``,
``statements.open_item_statement``) or in SQL (``ledger_sql``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from lib import ledger
from lib.errors import PortalError
from lib.ledger import ZERO, Aging

OPEN_ITEM, ACTIVITY = "open_item", "activity"
PAYMENT, PAID_TO_DATE = "payment", "paid_to_date"
LINE_LABELS = {ledger.INVOICE: "Invoice", ledger.CREDIT_NOTE: "Credit note", PAYMENT: "Payment",
               PAID_TO_DATE: "Paid to date"}  # fmt: skip
NOTE_NO_PAYMENTS = (
    "Payment dates are not in the data feed: each document shows the amount paid to date."
)
NOTE_SOME_UNDATED = (
    "Some amounts paid have no dated payment in the data feed: they are shown as paid to date."
)
NOTE_CREDIT = "Unapplied credit (credit notes and overpayments) is shown apart from the aging."
OPEN_ITEM_HEADERS = (
    "Date", "Type", "Number", "Reference", "Due date", "Total", "Paid", "Outstanding",
    "Days overdue",
)  # fmt: skip
ACTIVITY_HEADERS = ("Date", "Type", "Reference", "Description", "Debit", "Credit", "Balance")
Cell = object  # str, date, Decimal, int or None: renderers format each type their own way


def long_date(day: date) -> str:
    """A date no reader can misread, e.g. '5 Mar 2026'."""
    return f"{day.day} {day:%b %Y}"


@dataclass(frozen=True)
class Wholesaler:
    """Who issues the statement: name, postal address and an optional logo image."""

    name: str
    address_lines: tuple[str, ...] = ()
    logo_path: Path | None = None


@dataclass(frozen=True)
class StatementAccount:
    """The buyer account the statement is for."""

    code: str
    name: str = ""


@dataclass(frozen=True)
class StatementLine:
    """One line; `amount` is its signed effect on the balance, `balance` the running balance."""

    date: dt.date
    kind: str  # invoice, credit_note, payment or paid_to_date
    reference: str
    description: str = ""
    due_date: dt.date | None = None
    total: Decimal | None = None  # signed document total (open-item)
    paid: Decimal | None = None  # signed amount paid at the end date (open-item)
    amount: Decimal = ZERO
    balance: Decimal | None = None
    days_overdue: int | None = None


@dataclass(frozen=True)
class Statement:
    """A statement for one account, currency and period, ready for any renderer."""

    kind: str
    wholesaler: Wholesaler
    account: StatementAccount
    currency: str
    period_start: date | None
    period_end: date
    statement_date: date
    branch: str | None
    lines: tuple[StatementLine, ...]
    opening_balance: Decimal
    closing_balance: Decimal
    aging: Aging
    notes: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The heading of the statement."""
        return "Statement of open items" if self.kind == OPEN_ITEM else "Statement of account"

    def period_label(self) -> str:
        """'1 Jan 2026 to 31 Mar 2026', or 'Open items at 31 Mar 2026'."""
        if self.period_start is None:
            return f"Open items at {long_date(self.period_end)}"
        return f"{long_date(self.period_start)} to {long_date(self.period_end)}"

    def header_fields(self) -> list[tuple[str, str]]:
        """Label and text of each header field, in reading order."""
        account = f"{self.account.code} {self.account.name}".strip()
        fields = [("Account", account), ("Currency", self.currency)]
        if self.branch:
            fields.append(("Branch", self.branch))
        fields.append(("Period", self.period_label()))
        fields.append(("Statement date", long_date(self.statement_date)))
        return fields

    def summary(self) -> list[tuple[str, Decimal]]:
        """The balances a reader looks for first: opening (activity only) and closing."""
        end = long_date(self.period_end)
        if self.kind == OPEN_ITEM:
            return [(f"Total due at {end}", self.closing_balance)]
        start = long_date(self.period_start or self.period_end)
        return [
            (f"Opening balance at {start}", self.opening_balance),
            (f"Closing balance at {end}", self.closing_balance),
        ]

    def table(self) -> tuple[tuple[str, ...], list[tuple[Cell, ...]]]:
        """Column headings and one row of typed cells per line."""
        if self.kind == OPEN_ITEM:
            return OPEN_ITEM_HEADERS, [_open_item_row(line) for line in self.lines]
        return ACTIVITY_HEADERS, [_activity_row(line) for line in self.lines]


def _open_item_row(line: StatementLine) -> tuple[Cell, ...]:
    label = LINE_LABELS[line.kind]
    return (line.date, label, line.reference, line.description, line.due_date,
            line.total, line.paid, line.amount, line.days_overdue)  # fmt: skip


def _activity_row(line: StatementLine) -> tuple[Cell, ...]:
    debit = line.amount if line.amount > 0 else None
    credit = -line.amount if line.amount < 0 else None
    return (line.date, LINE_LABELS[line.kind], line.reference, line.description,
            debit, credit, line.balance)  # fmt: skip


def payment_notes(has_payments: bool, some_undated: bool) -> tuple[str, ...]:
    """What the reader must know about missing payment dates, and about credit."""
    if not has_payments:
        return (NOTE_NO_PAYMENTS, NOTE_CREDIT)
    return (NOTE_SOME_UNDATED, NOTE_CREDIT) if some_undated else (NOTE_CREDIT,)


def check_period(start: date, end: date) -> None:
    """Refuse a period that ends before it starts."""
    if start > end:
        raise PortalError("The statement period starts after it ends: choose an earlier start.")


class DocumentMove(NamedTuple):
    """A document issued in an activity statement's period, as its lines need it."""

    issue_date: date
    kind: str
    number: str
    text: str  # its PO reference, else its description
    due_date: date
    total: Decimal  # as stored (positive)
    undated: Decimal  # paid at the end date that no payment dated from the start explains


class PaymentMove(NamedTuple):
    """A payment dated in the period, as its line needs it."""

    payment_date: date
    reference: str
    currency: str
    amount: Decimal
    net_allocated: Decimal  # the cash its allocations account for (ledger.net_allocated)
    effect: Decimal  # its signed effect on the documents this statement counts
    touches: bool  # whether it was allocated to any of those documents


@dataclass(frozen=True)
class ActivityParts:
    """What an activity statement is made of, from ledger records or from SQL alike."""

    opening: Decimal
    documents: Sequence[DocumentMove]
    payments: Sequence[PaymentMove]
    aging: Aging
    notes: tuple[str, ...]


class OpenItem(NamedTuple):
    """A live document issued by an open-item statement's end date, as its line needs it."""

    issue_date: date
    kind: str
    number: str
    text: str  # its PO reference, else its description
    due_date: date
    total: Decimal  # as stored (positive)
    paid: Decimal  # paid at the end date: payments dated later not yet made


@dataclass(frozen=True)
class OpenItemParts:
    """What an open-item statement is made of, from ledger records or from SQL alike."""

    items: Sequence[OpenItem]  # settled ones are dropped; the order decides only exact ties
    aging: Aging
    notes: tuple[str, ...]
