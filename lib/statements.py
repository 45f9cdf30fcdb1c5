"""Statements of account, built once from the ledger and rendered many ways (see lib/render.py).

Both kinds end on the balance that ``ledger.balance_at`` computes directly at the end date:
``closing_balance == opening_balance + sum(line.amount)``, and the aging sums to it too.
What "paid at a past date" means is the rule of ``ledger.ledger_at``: amounts paid with no dated
payment behind them count from the document's issue date, and the statement says so.

Each kind is assembled from its parts (``activity_from_parts``, ``open_item_from_parts``): here
they are computed from ledger records; ``ledger_queries`` computes the same parts in SQL for the
store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter

from lib import ledger
from lib.ledger import ZERO, Bucket, LedgerDoc, LedgerPayment
from lib.money import format_amount

# The statement's model, re-exported: pages, renderers and tests read it from here.
from lib.statement_model import ACTIVITY as ACTIVITY
from lib.statement_model import LINE_LABELS as LINE_LABELS
from lib.statement_model import NOTE_CREDIT as NOTE_CREDIT
from lib.statement_model import NOTE_NO_PAYMENTS as NOTE_NO_PAYMENTS
from lib.statement_model import NOTE_SOME_UNDATED as NOTE_SOME_UNDATED
from lib.statement_model import OPEN_ITEM as OPEN_ITEM
from lib.statement_model import PAID_TO_DATE as PAID_TO_DATE
from lib.statement_model import PAYMENT as PAYMENT
from lib.statement_model import ActivityParts as ActivityParts
from lib.statement_model import DocumentMove as DocumentMove
from lib.statement_model import OpenItem as OpenItem
from lib.statement_model import OpenItemParts as OpenItemParts
from lib.statement_model import PaymentMove as PaymentMove
from lib.statement_model import Statement as Statement
from lib.statement_model import StatementAccount as StatementAccount
from lib.statement_model import StatementLine as StatementLine
from lib.statement_model import Wholesaler as Wholesaler
from lib.statement_model import check_period as check_period
from lib.statement_model import long_date as long_date
from lib.statement_model import payment_notes as payment_notes


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
    """The notes, from whether any live document's paid amount differs from its allocations."""
    if not payments:
        return payment_notes(False, False)
    dated = ledger.allocated(payments)
    live = (doc for doc in docs if not ledger.is_void(doc))
    return payment_notes(True, any(doc.paid != dated.get((doc.kind, doc.number), ZERO)
                                   for doc in live))  # fmt: skip


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
    items = [OpenItem(d.issue_date, d.kind, d.number, _document_text(d), d.due_date, d.total,
                      d.paid) for d in view]  # fmt: skip
    parts = OpenItemParts(items, ledger.aging_of(currency, view, end_date, buckets),
                          _notes(scoped, own_payments))  # fmt: skip
    return open_item_from_parts(parts, account, currency, end_date, wholesaler=wholesaler,
                                statement_date=statement_date, branch=branch)  # fmt: skip


def open_item_from_parts(
    parts: OpenItemParts,
    account: StatementAccount,
    currency: str,
    end_date: date,
    *,
    wholesaler: Wholesaler,
    statement_date: date | None = None,
    branch: str | None = None,
) -> Statement:
    """The open-item statement of these parts: a line per unsettled item, by date and number."""
    # A stable sort: an invoice and a credit note may share a number and an issue date.
    ordered = sorted((i for i in parts.items if i.total != i.paid), key=itemgetter(0, 2))
    lines = tuple(_open_item_line(item, end_date) for item in ordered)
    closing = sum((line.amount for line in lines), ZERO)
    return Statement(
        OPEN_ITEM, wholesaler, account, currency, None, end_date, statement_date or end_date,
        branch, lines, ZERO, closing, parts.aging, parts.notes,
    )  # fmt: skip


def _open_item_line(item: OpenItem, end_date: date) -> StatementLine:
    sign = -1 if item.kind == ledger.CREDIT_NOTE else 1
    amount, late = sign * (item.total - item.paid), (end_date - item.due_date).days
    return StatementLine(item.issue_date, item.kind, item.number, item.text, item.due_date,
                         total=sign * item.total, paid=sign * item.paid, amount=amount,
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
    check_period(start, end)
    scoped = _scope(docs, account, currency, branch)
    own_payments = [p for p in payments if p.account_code == account.code]
    before = ledger.ledger_at(scoped, start - timedelta(days=1), own_payments)
    after = ledger.ledger_at(scoped, end, own_payments)
    in_period = [p for p in own_payments if start <= p.payment_date <= end]
    parts = ActivityParts(
        sum((ledger.signed_outstanding(doc) for doc in before), ZERO),
        _document_moves(after, in_period, start), _payment_moves(in_period, after),
        ledger.aging_of(currency, after, end, buckets), _notes(scoped, own_payments),
    )  # fmt: skip
    return activity_from_parts(parts, account, currency, start, end, wholesaler=wholesaler,
                               statement_date=statement_date, branch=branch)  # fmt: skip


def _document_moves(
    after: list[LedgerDoc], in_period: list[LedgerPayment], start: date
) -> list[DocumentMove]:
    """The documents issued in the period; `after` holds them as paid at the end date."""
    applied = ledger.allocated(in_period)
    return [
        DocumentMove(doc.issue_date, doc.kind, doc.number, _document_text(doc), doc.due_date,
                     doc.total, doc.paid - applied.get((doc.kind, doc.number), ZERO))
        for doc in after if doc.issue_date >= start
    ]  # fmt: skip


def _payment_moves(in_period: list[LedgerPayment], after: list[LedgerDoc]) -> list[PaymentMove]:
    """Each payment of the period, with its effect on the documents counted at the end date."""
    counted = {(doc.kind, doc.number): ledger.sign(doc) for doc in after}
    moves = []
    for payment in in_period:
        mine = [(counted[(a.kind, a.number)], a.amount)
                for a in payment.allocations if (a.kind, a.number) in counted]  # fmt: skip
        effect = sum((-sign * amount for sign, amount in mine), ZERO)
        moves.append(PaymentMove(payment.payment_date, payment.reference, payment.currency,
                                 payment.amount, ledger.net_allocated(payment), effect,
                                 bool(mine)))  # fmt: skip
    return moves


def activity_from_parts(
    parts: ActivityParts,
    account: StatementAccount,
    currency: str,
    start: date,
    end: date,
    *,
    wholesaler: Wholesaler,
    statement_date: date | None = None,
    branch: str | None = None,
) -> Statement:
    """The activity statement of these parts: its lines in date order with the running balance."""
    entries = _document_entries(parts.documents)
    entries += _payment_entries(parts.payments, currency, branch)
    entries.sort(key=_ORDER)
    lines = _with_running_balance(parts.opening, entries)
    closing = parts.opening + sum((line.amount for line in lines), ZERO)
    return Statement(ACTIVITY, wholesaler, account, currency, start, end, statement_date or end,
                     branch, lines, parts.opening, closing, parts.aging, parts.notes)  # fmt: skip


# A line before its running balance: date, rank, reference, sub-rank, kind, text, due, amount.
# Plain tuples: a year of a large account is thousands of lines.
Entry = tuple[date, int, str, int, str, str, date | None, Decimal]
# Date order; on one day invoices, then credit notes, then payments (rank 0, 1, 2), each by
# reference, and a document's issue before its "Paid to date" line. The sort is stable.
_ORDER = itemgetter(0, 1, 2, 3)
UNDATED_TEXT = "Date not in the data feed"


def _document_entries(moves: Iterable[DocumentMove]) -> list[Entry]:
    """The issue line of each document, and a "Paid to date" line for what no payment explains."""
    entries: list[Entry] = []
    for move in moves:
        rank = 0 if move.kind == ledger.INVOICE else 1
        sign = -1 if move.kind == ledger.CREDIT_NOTE else 1
        entries.append((move.issue_date, rank, move.number, 0, move.kind, move.text,
                        move.due_date, sign * move.total))  # fmt: skip
        if move.undated:
            # Paid on a date the feed lacks: shown on the issue date, not on an invented one.
            entries.append((move.issue_date, rank, move.number, 1, PAID_TO_DATE, UNDATED_TEXT,
                            None, -sign * move.undated))  # fmt: skip
    return entries


def _payment_entries(
    moves: Iterable[PaymentMove], currency: str, branch: str | None
) -> list[Entry]:
    """One line per payment: its effect is what it paid off the documents counted here."""
    entries: list[Entry] = []
    for move in moves:
        if not move.touches and (move.currency != currency or branch is not None):
            continue  # another currency's or another branch's payment
        unallocated = move.amount - move.net_allocated
        text = ""
        if unallocated and move.currency == currency:
            received = format_amount(move.amount, currency)
            rest = format_amount(unallocated, currency)
            text = f"Received {received}; {rest} not allocated to a document"
        entries.append((move.payment_date, 2, move.reference, 0, PAYMENT, text, None, move.effect))
    return entries


def _with_running_balance(opening: Decimal, entries: list[Entry]) -> tuple[StatementLine, ...]:
    """The lines, each made once with the balance after it."""
    running = opening
    lines = []
    for day, _, reference, _, kind, text, due, amount in entries:
        running += amount
        lines.append(StatementLine(day, kind, reference, text, due, amount=amount,
                                   balance=running))  # fmt: skip
    return tuple(lines)
