"""Scoped ledger reads: balances and aging in SQL, ledger records, payments and statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from lib import ledger, ledger_sql, statements
from lib.access import Principal
from lib.display import money_text
from lib.errors import PortalError
from lib.ledger import Aging, Balance, Bucket, LedgerAllocation, LedgerDoc, LedgerPayment
from lib.ledger_sql import ALLOC, PAY, bucket_condition, money, positions
from lib.queries import DOC, Scope, in_scope, read_rows, scope_for

ZERO = Decimal("0")
PAYMENT_COLUMNS = ["Reference", "Date", "Currency", "Amount", "Allocated", "Not allocated",
                   "Allocated to"]  # fmt: skip


def balances(session: Session, scope: Scope, as_of: date) -> dict[str, Balance]:
    """Balance per currency at as_of, computed in SQL (equal to ledger.balances: tested)."""
    pos = positions(scope, as_of)
    amount, zero = pos.c.amount, money(0)
    totals = session.connection().execute(
        sa.select(
            pos.c.currency, sa.func.count(),
            sa.func.sum(sa.case((amount > 0, amount), else_=zero)),
            sa.func.sum(sa.case((amount < 0, -amount), else_=zero)),
            sa.func.sum(sa.case((sa.and_(amount > 0, pos.c.due_date < as_of), amount), else_=zero)),
        ).group_by(pos.c.currency)
    ).all()
    upcoming = session.connection().execute(
        sa.select(pos.c.currency, pos.c.due_date, sa.func.sum(amount))
        .where(amount > 0, pos.c.due_date >= as_of)
        .group_by(pos.c.currency, pos.c.due_date)
    ).all()
    next_due: dict[str, tuple[date, Decimal]] = {}
    for currency, due, value in upcoming:
        if currency not in next_due or due < next_due[currency][0]:
            next_due[currency] = (due, Decimal(value))
    result = {}
    for currency, count, owed, credit, overdue in sorted(totals):
        due, due_amount = next_due.get(currency, (None, ZERO))
        result[currency] = Balance(currency, Decimal(owed) - Decimal(credit), Decimal(owed),
                                   Decimal(overdue), Decimal(credit), due, due_amount, int(count))
    return result


def aging(
    session: Session, scope: Scope, as_of: date, buckets: Sequence[Bucket] = ledger.DEFAULT_BUCKETS,
    *, currency: str | None = None,
) -> dict[str, Aging]:  # fmt: skip
    """Aging per currency (or of one) at as_of, computed in SQL (equal to ledger.aging: tested)."""
    pos = positions(scope, as_of, currency)
    index = sa.case(
        *[(bucket_condition(b, pos.c.due_date, as_of), i) for i, b in enumerate(buckets)],
        else_=-1,
    )
    # Bucket in a subquery, then group by its column: PostgreSQL cannot group by an
    # expression holding bind parameters.
    placed = sa.select(
        pos.c.currency, sa.case((pos.c.amount < 0, -2), else_=index).label("bucket"), pos.c.amount
    ).subquery()
    # Settled documents (amount 0) add nothing, as in ledger.aging_of: their sum is NULL.
    owed = sa.func.sum(sa.case((placed.c.amount != 0, placed.c.amount)))
    rows = session.connection().execute(
        sa.select(placed.c.currency, placed.c.bucket, owed)
        .group_by(placed.c.currency, placed.c.bucket)
    ).all()
    amounts: dict[str, list[Decimal]] = {}
    credit: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for currency, bucket, value in rows:
        slots = amounts.setdefault(currency, [ZERO] * len(buckets))
        if value is None:
            continue
        if bucket == -2:
            credit[currency] += Decimal(value)
        elif bucket >= 0:
            slots[bucket] += Decimal(value)
    labels = [b.label for b in buckets]
    return {
        cur: Aging(cur, tuple(zip(labels, amounts[cur], strict=True)), credit[cur])
        for cur in sorted(amounts)
    }


def _ledger_select() -> sa.Select[Any]:
    return sa.select(
        DOC.c.kind, DOC.c.number, DOC.c.issue_date, DOC.c.due_date, DOC.c.currency,
        DOC.c.total, DOC.c.paid, DOC.c.erp_status, DOC.c.branch, DOC.c.id,
        DOC.c.po_reference, DOC.c.description,
    )  # fmt: skip


def _as_ledger_docs(session: Session, scope: Scope, stmt: sa.Select[Any]) -> list[LedgerDoc]:
    code = scope.account_code
    return [
        LedgerDoc(k, n, issued, due, cur, total, paid, erp, branch, code, doc_id, po, text)
        for k, n, issued, due, cur, total, paid, erp, branch, doc_id, po, text
        in read_rows(session, stmt.order_by(DOC.c.issue_date, DOC.c.id))
    ]


def ledger_docs(
    session: Session, scope: Scope, *, currency: str | None = None
) -> list[LedgerDoc]:
    """The scope's documents as ledger records (optionally of one currency)."""
    stmt = _ledger_select().where(in_scope(scope))
    if currency is not None:
        stmt = stmt.where(DOC.c.currency == currency)
    return _as_ledger_docs(session, scope, stmt)


def ledger_payments(session: Session, scope: Scope) -> list[LedgerPayment]:
    """The scope's payments, with their allocations to the scope's documents only.

    A contact limited to branches sees a payment only where it was allocated to one of their
    branches' documents, and only that part of it: nothing of other branches leaks through.
    """
    allocations: dict[int, list[LedgerAllocation]] = defaultdict(list)
    allocated = (
        sa.select(ALLOC.c.payment_id, DOC.c.kind, DOC.c.number, ALLOC.c.amount)
        .join(DOC, DOC.c.id == ALLOC.c.document_id)
        .join(PAY, PAY.c.id == ALLOC.c.payment_id)
        .where(PAY.c.account_id == scope.account_id, in_scope(scope))
        .order_by(ALLOC.c.id)
    )
    for payment_id, kind, number, amount in read_rows(session, allocated):
        allocations[payment_id].append(LedgerAllocation(number, Decimal(amount), kind))
    rows = read_rows(session, (
        sa.select(PAY.c.id, PAY.c.reference, PAY.c.payment_date, PAY.c.currency, PAY.c.amount)
        .where(PAY.c.account_id == scope.account_id)
        .order_by(PAY.c.payment_date, PAY.c.reference)
    ))  # fmt: skip
    payments = []
    for payment_id, reference, day, currency, amount in rows:
        allocs = tuple(allocations.get(payment_id, ()))
        if scope.branches is not None:
            if not allocs:
                continue
            amount = sum((a.amount for a in allocs), ZERO)
        payments.append(LedgerPayment(reference, day, currency, Decimal(amount), allocs,
                                      scope.account_code))  # fmt: skip
    return payments


def payments_frame(session: Session, scope: Scope) -> pd.DataFrame:
    """The scope's payments, newest first, with the documents each was allocated to."""
    rows = []
    for p in reversed(ledger_payments(session, scope)):
        allocated = sum((a.amount for a in p.allocations), ZERO)
        targets = ", ".join(f"{a.number} ({money_text(a.amount, p.currency)})"
                            for a in p.allocations)  # fmt: skip
        rows.append([p.reference, p.payment_date, p.currency, p.amount, allocated,
                     p.amount - allocated, targets])  # fmt: skip
    return pd.DataFrame(rows, columns=PAYMENT_COLUMNS)


def allocations_frame(session: Session, scope: Scope, reference: str) -> pd.DataFrame:
    """The documents one payment of the scope was allocated to, with amounts."""
    found = [p for p in ledger_payments(session, scope) if p.reference == reference]
    rows = [
        [statements.LINE_LABELS.get(a.kind, a.kind), a.number, p.currency, a.amount]
        for p in found for a in p.allocations
    ]
    return pd.DataFrame(rows, columns=["Kind", "Number", "Currency", "Allocated"])


def build_statement(
    session: Session,
    scope: Scope,
    *,
    kind: str,
    currency: str,
    start: date,
    end: date,
    statement_date: date,
    wholesaler: statements.Wholesaler,
    buckets: Sequence[Bucket] = ledger.DEFAULT_BUCKETS,
) -> statements.Statement:
    """An open-item (at `end`) or activity (`start` to `end`) statement of the scope."""
    account = statements.StatementAccount(scope.account_code, scope.account_name)
    if kind == statements.OPEN_ITEM:
        items = _open_item_parts(session, scope, currency, end, buckets)
        built = statements.open_item_from_parts(items, account, currency, end,
                                                wholesaler=wholesaler,
                                                statement_date=statement_date)  # fmt: skip
    elif kind == statements.ACTIVITY:
        statements.check_period(start, end)
        parts = _activity_parts(session, scope, currency, start, end, buckets)
        built = statements.activity_from_parts(parts, account, currency, start, end,
                                               wholesaler=wholesaler, statement_date=statement_date)
    else:
        raise PortalError(f"Unknown statement kind {kind!r}.")
    # The documents were already limited to the scope's branches: the header says which.
    return replace(built, branch=scope.branch_label() or None)


def _activity_parts(
    session: Session, scope: Scope, currency: str, start: date, end: date,
    buckets: Sequence[Bucket],
) -> statements.ActivityParts:  # fmt: skip
    """An activity statement's parts in SQL, reading only the records the period needs.

    Equal to what statements.activity_statement computes from every document and payment of
    the scope (tested): a five-year account's yearly statement reads one year of lines.
    """
    opening, has_payments, undated = read_rows(
        session, ledger_sql.activity_facts(scope, currency=currency, start=start))[0]
    documents = read_rows(session, ledger_sql.period_documents(
        scope, currency=currency, start=start, end=end))  # fmt: skip
    payments = read_rows(session, ledger_sql.period_payments(
        scope, currency=currency, start=start, end=end))  # fmt: skip
    return statements.ActivityParts(
        _sum(opening),
        [statements.DocumentMove(*row) for row in documents],
        [statements.PaymentMove(day, ref, cur, amount, _sum(net), _sum(effect), bool(touches))
         for day, ref, cur, amount, net, effect, touches in payments],
        _aging_at(session, scope, currency, end, buckets),
        statements.payment_notes(bool(has_payments), bool(undated)),
    )  # fmt: skip


def _open_item_parts(
    session: Session, scope: Scope, currency: str, end: date, buckets: Sequence[Bucket]
) -> statements.OpenItemParts:
    """An open-item statement's parts in SQL, reading only the documents unsettled at `end`.

    Equal to statements.open_item_statement over every record of the scope (tested).
    """
    facts = ledger_sql.payment_facts(scope, currency=currency)
    has_payments, undated = read_rows(session, facts)[0]
    items = read_rows(session, ledger_sql.open_items(scope, currency=currency, end=end))
    return statements.OpenItemParts([statements.OpenItem(*row) for row in items],
                                    _aging_at(session, scope, currency, end, buckets),
                                    statements.payment_notes(bool(has_payments), bool(undated)))


def _aging_at(
    session: Session, scope: Scope, currency: str, end: date, buckets: Sequence[Bucket]
) -> Aging:
    """One currency's aging at `end` in SQL; every bucket zero when nothing is in it."""
    found = aging(session, scope, end, buckets, currency=currency).get(currency)
    return found or ledger.aging_of(currency, (), end, buckets)


def _sum(value: Decimal | None) -> Decimal:
    """A SQL sum as Python's sum(..., ZERO) gives it: NULL (nothing summed) is ZERO.

    Not coalesced in SQL, where 0 would come back as 0.0000: equal, but written differently.
    """
    return ZERO if value is None else value


OVERVIEW_COLUMNS = ["Account", "Name", "Branches", "Currency", "Balance", "Overdue",
                    "Credit available", "Next due", "Next amount", "Documents"]  # fmt: skip


def accounts_overview(session: Session, who: Principal, as_of: date) -> pd.DataFrame:
    """"All my accounts": the balance of each account the contact holds, per currency."""
    rows: list[list[Any]] = []
    for code in who.account_codes():
        scope = scope_for(session, who, code)
        found = balances(session, scope, as_of)
        if not found:
            rows.append([code, scope.account_name, scope.branch_label() or "all", "", None,
                         None, None, None, None, 0])  # fmt: skip
        for cur, b in found.items():
            rows.append([code, scope.account_name, scope.branch_label() or "all", cur,
                         b.outstanding, b.overdue, b.credit_available, b.next_due_date,
                         b.next_due_amount if b.next_due_date else None, b.documents])  # fmt: skip
    return pd.DataFrame(rows, columns=OVERVIEW_COLUMNS)
