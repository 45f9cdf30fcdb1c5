"""Statements of account, built once from the ledger and rendered many ways (see lib/render.py).

Both kinds end on the balance that ``ledger.balance_at`` computes directly at the end date:
``closing_balance == opening_balance + sum(line.amount)``, and the aging sums to it too.
What "paid at a past date" means is the rule of ``ledger.ledger_at``: amounts paid with no dated
payment behind them count from the document's issue date, and the statement says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from lib import ledger
from lib.errors import PortalError
from lib.ledger import ZERO, Aging, Bucket, LedgerDoc, LedgerPayment
from lib.money import format_amount

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


def _scope(
    docs: Iterable[LedgerDoc], account: StatementAccount, currency: str, branch: str | None
) -> list[LedgerDoc]:
    """This account's documents in this currency (and branch): nothing else reaches a statement."""
    return [
        doc
        for doc in docs
        if doc.account_code == account.code
        and doc.currency == currency
        and (branch is None or doc.branch == branch)
    ]


def _notes(docs: list[LedgerDoc], payments: list[LedgerPayment]) -> tuple[str, ...]:
    """What the reader must know about missing payment dates, and about credit."""
    if not payments:
        return (NOTE_NO_PAYMENTS, NOTE_CREDIT)
    dated = ledger.allocated(payments)
    live = (doc for doc in docs if not ledger.is_void(doc))
    undated = any(doc.paid != dated[(doc.kind, doc.number)] for doc in live)
    return (NOTE_SOME_UNDATED, NOTE_CREDIT) if undated else (NOTE_CREDIT,)


def _document_text(doc: LedgerDoc) -> str:
    return doc.po_reference or doc.description


def open_item_statement(
    docs: Iterable[LedgerDoc],
    account: StatementAccount,
    currency: str,
    end_date: date,
    *,
    wholesaler: Wholesaler,
    payments: Iterable[LedgerPayment] = (),
    statement_date: date | None = None,
    branch: str | None = None,
    buckets: Sequence[Bucket] = ledger.DEFAULT_BUCKETS,
) -> Statement:
    """Every non-void document issued by end_date with something outstanding then, and aging."""
    scoped = _scope(docs, account, currency, branch)
    own_payments = [p for p in payments if p.account_code == account.code]
    view = ledger.ledger_at(scoped, end_date, own_payments)
    view.sort(key=lambda doc: (doc.issue_date, doc.number))
    lines = tuple(_open_item_line(d, end_date) for d in view if ledger.signed_outstanding(d))
    closing = sum((line.amount for line in lines), ZERO)
    return Statement(
        OPEN_ITEM, wholesaler, account, currency, None, end_date, statement_date or end_date,
        branch, lines, ZERO, closing, ledger.aging_of(currency, view, end_date, buckets),
        _notes(scoped, own_payments),
    )  # fmt: skip


def _open_item_line(doc: LedgerDoc, end_date: date) -> StatementLine:
    amount, sign = ledger.signed_outstanding(doc), ledger.sign(doc)
    late = ledger.days_past_due(doc, end_date)
    return StatementLine(doc.issue_date, doc.kind, doc.number, _document_text(doc), doc.due_date,
                         total=sign * doc.total, paid=sign * doc.paid, amount=amount,
                         days_overdue=late if amount > 0 and late > 0 else None)  # fmt: skip


def activity_statement(
    docs: Iterable[LedgerDoc],
    payments: Iterable[LedgerPayment],
    account: StatementAccount,
    currency: str,
    start: date,
    end: date,
    *,
    wholesaler: Wholesaler,
    statement_date: date | None = None,
    branch: str | None = None,
    buckets: Sequence[Bucket] = ledger.DEFAULT_BUCKETS,
) -> Statement:
    """Opening balance, each document and payment of the period in date order, running balance.

    Each document's change over the period is split into its issue (when issued in the period),
    the dated payments allocated to it in the period, and a "Paid to date" line for any amount
    paid with no dated payment behind it, so the closing balance is the direct balance at `end`.
    """
    if start > end:
        raise PortalError("The statement period starts after it ends: choose an earlier start.")
    scoped = _scope(docs, account, currency, branch)
    own_payments = [p for p in payments if p.account_code == account.code]
    before = ledger.ledger_at(scoped, start - timedelta(days=1), own_payments)
    after = ledger.ledger_at(scoped, end, own_payments)
    in_period = [p for p in own_payments if start <= p.payment_date <= end]
    entries = _document_entries(after, before, in_period, start)
    entries += _payment_entries(in_period, after, currency, branch)
    entries.sort(key=lambda entry: entry[0])
    opening = sum((ledger.signed_outstanding(doc) for doc in before), ZERO)
    lines = _with_running_balance(opening, [line for _, line in entries])
    return Statement(
        ACTIVITY, wholesaler, account, currency, start, end, statement_date or end, branch,
        lines, opening, opening + sum((line.amount for line in lines), ZERO),
        ledger.aging_of(currency, after, end, buckets), _notes(scoped, own_payments),
    )  # fmt: skip


SortKey = tuple[date, int, str, int]


def _document_entries(
    after: list[LedgerDoc], before: list[LedgerDoc], in_period: list[LedgerPayment], start: date
) -> list[tuple[SortKey, StatementLine]]:
    """The issue line of each document of the period, and "Paid to date" lines where needed."""
    opening = {(doc.kind, doc.number): doc for doc in before}
    applied = ledger.allocated(in_period)
    entries: list[tuple[SortKey, StatementLine]] = []
    for doc in after:
        key = (doc.kind, doc.number)
        prior = opening.get(key)
        was = ledger.signed_outstanding(prior) if prior else ZERO
        change = ledger.signed_outstanding(doc) - was
        rank = 0 if doc.kind == ledger.INVOICE else 1
        issued = ZERO if prior else ledger.sign(doc) * doc.total
        if not prior:
            line = StatementLine(doc.issue_date, doc.kind, doc.number, _document_text(doc),
                                 doc.due_date, amount=issued)  # fmt: skip
            entries.append(((doc.issue_date, rank, doc.number, 0), line))
        # What the period's dated payments do not explain was paid on a date the feed lacks.
        undated = change - issued + ledger.sign(doc) * applied.get(key, ZERO)
        if undated:
            day = start if prior else doc.issue_date
            text = "Date not in the data feed"
            entries.append(((day, rank, doc.number, 1), StatementLine(day, PAID_TO_DATE,
                            doc.number, text, amount=undated)))  # fmt: skip
    return entries


def _payment_entries(
    in_period: list[LedgerPayment], after: list[LedgerDoc], currency: str, branch: str | None
) -> list[tuple[SortKey, StatementLine]]:
    """One line per payment of the period: its effect is what it paid off documents counted here."""
    counted = {(doc.kind, doc.number): doc for doc in after}
    entries: list[tuple[SortKey, StatementLine]] = []
    for payment in in_period:
        keys = [(a.kind, a.number) for a in payment.allocations]
        touches = any(key in counted for key in keys)
        if not touches and (payment.currency != currency or branch is not None):
            continue  # another currency's or another branch's payment
        effect = sum(
            (-ledger.sign(counted[(a.kind, a.number)]) * a.amount
             for a in payment.allocations if (a.kind, a.number) in counted),
            ZERO,
        )  # fmt: skip
        unallocated = payment.amount - ledger.net_allocated(payment)
        text = ""
        if unallocated and payment.currency == currency:
            received = format_amount(payment.amount, currency)
            rest = format_amount(unallocated, currency)
            text = f"Received {received}; {rest} not allocated to a document"
        line = StatementLine(payment.payment_date, PAYMENT, payment.reference, text, amount=effect)
        entries.append(((payment.payment_date, 2, payment.reference, 0), line))
    return entries


def _with_running_balance(
    opening: Decimal, lines: list[StatementLine]
) -> tuple[StatementLine, ...]:
    """The lines with the balance after each one."""
    running = opening
    result = []
    for line in lines:
        running += line.amount
        result.append(replace(line, balance=running))
    return tuple(result)

