"""SQL twins of the ledger's rules, as selects for ledger_queries to run (nothing here reads).

Each document's position at a date (``positions``) serves balances, aging and an activity
statement's opening balance; the period's documents and payments give that statement's lines,
and the documents unsettled at the end date (``open_items``) an open-item statement's.
Tests hold what ledger_queries builds on them equal to lib/ledger.py and lib/statements.py
computed from every record.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

import sqlalchemy as sa

from lib import ledger, models
from lib.ledger import Bucket
from lib.queries import DOC, Scope, in_scope, is_void_expr

PAY: sa.Table = models.Payment.__table__  # type: ignore[attr-defined]  # SQLModel sets it
ALLOC: sa.Table = models.Allocation.__table__  # type: ignore[attr-defined]


def money(value: Any) -> sa.ColumnElement[Any]:
    """A literal of the money type, so sums and coalesces keep exact decimals."""
    return sa.literal(value, models.MONEY)


def _allocated_after(scope: Scope, day: date | None) -> sa.Subquery:
    """Per document: what the account's payments dated after `day` (None: ever) allocated to it."""
    paid = PAY.c.account_id == scope.account_id
    if day is not None:
        paid = sa.and_(paid, PAY.c.payment_date > day)
    return (
        sa.select(ALLOC.c.document_id, sa.func.sum(ALLOC.c.amount).label("amount"))
        .join(PAY, PAY.c.id == ALLOC.c.payment_id)
        .where(paid)
        .group_by(ALLOC.c.document_id)
        .subquery()
    )


def _live(scope: Scope, currency: str | None) -> sa.ColumnElement[bool]:
    """The scope's non-void documents (of one currency when given)."""
    live = sa.and_(in_scope(scope), sa.not_(is_void_expr()))
    return live if currency is None else sa.and_(live, DOC.c.currency == currency)


def positions(scope: Scope, as_of: date, currency: str | None = None) -> sa.Subquery:
    """Per non-void document issued by as_of: currency, due date, signed outstanding at as_of.

    SQL twin of ledger.ledger_at + signed_outstanding: what payments dated after as_of
    allocated to a document was not yet paid at as_of.
    """
    later = _allocated_after(scope, as_of)
    paid_at = DOC.c.paid - sa.func.coalesce(later.c.amount, money(0))
    signed = sa.case((DOC.c.kind == ledger.CREDIT_NOTE, paid_at - DOC.c.total),
                     else_=DOC.c.total - paid_at)  # fmt: skip
    return (
        sa.select(DOC.c.currency, DOC.c.due_date, signed.label("amount"))
        .select_from(DOC.outerjoin(later, later.c.document_id == DOC.c.id))
        .where(_live(scope, currency), DOC.c.issue_date <= as_of)
        .subquery()
    )


def bucket_condition(bucket: Bucket, due: sa.ColumnElement[date], as_of: date) -> Any:
    """Days past due within the bucket, written as due-date bounds (portable, no date maths)."""
    bounds = []
    if bucket.low is not None:
        bounds.append(due <= as_of - timedelta(days=bucket.low))
    if bucket.high is not None:
        bounds.append(due >= as_of - timedelta(days=bucket.high))
    return sa.and_(sa.true(), *bounds)


def _has_payments(scope: Scope) -> sa.Exists:
    """Whether the scope sees any payment (a branch contact: one allocated to their branches)."""
    if scope.branches is None:
        return sa.select(PAY.c.id).where(PAY.c.account_id == scope.account_id).exists()
    return (
        sa.select(ALLOC.c.id)
        .join(PAY, PAY.c.id == ALLOC.c.payment_id)
        .join(DOC, DOC.c.id == ALLOC.c.document_id)
        .where(PAY.c.account_id == scope.account_id, in_scope(scope))
        .exists()
    )


def _some_undated(scope: Scope, currency: str) -> sa.Exists:
    """Whether a live document's paid amount differs from what dated payments allocated to it."""
    dated = _allocated_after(scope, None)
    return (
        sa.select(DOC.c.id)
        .select_from(DOC.outerjoin(dated, dated.c.document_id == DOC.c.id))
        .where(_live(scope, currency), DOC.c.paid != sa.func.coalesce(dated.c.amount, money(0)))
        .exists()
    )


def payment_facts(scope: Scope, *, currency: str) -> sa.Select[Any]:
    """One row: whether the scope sees any payment, and whether any paid amount is undated."""
    # Typed as the other selects here: read_rows takes any select and gives plain tuples.
    return cast("sa.Select[Any]", sa.select(_has_payments(scope), _some_undated(scope, currency)))


def activity_facts(scope: Scope, *, currency: str, start: date) -> sa.Select[Any]:
    """One row: opening balance at start (NULL: none), any payments, any undated paid amount."""
    at_start = positions(scope, start - timedelta(days=1), currency)
    opening = sa.select(sa.func.sum(at_start.c.amount))  # NULL: nothing issued before start
    return sa.select(opening.scalar_subquery(), _has_payments(scope),
                     _some_undated(scope, currency))  # fmt: skip


def _document_text() -> sa.ColumnElement[Any]:
    """SQL twin of statements._document_text: the PO reference, else the description."""
    return sa.func.coalesce(sa.func.nullif(DOC.c.po_reference, ""), DOC.c.description)


def open_items(scope: Scope, *, currency: str, end: date) -> sa.Select[Any]:
    """The live documents issued by `end` with something outstanding then, as OpenItem rows.

    Their paid amount at `end` is the rule of ``positions``: what payments dated after `end`
    allocated to a document was not yet paid. Settled documents stay in the store.
    """
    later = _allocated_after(scope, end)
    paid_at = DOC.c.paid - sa.func.coalesce(later.c.amount, money(0))
    return (
        sa.select(DOC.c.issue_date, DOC.c.kind, DOC.c.number, _document_text(), DOC.c.due_date,
                  DOC.c.total, paid_at)  # fmt: skip
        .select_from(DOC.outerjoin(later, later.c.document_id == DOC.c.id))
        .where(_live(scope, currency), DOC.c.issue_date <= end, DOC.c.total != paid_at)
        # The order of ledger_queries.ledger_docs, so that exact ties come out as in Python.
        .order_by(DOC.c.issue_date, DOC.c.id)
    )


def period_documents(scope: Scope, *, currency: str, start: date, end: date) -> sa.Select[Any]:
    """The documents issued in the period, as statements.DocumentMove rows.

    `undated` is what is paid at `end` that no payment dated from `start` explains: the paid
    amount less everything payments dated on or after `start` allocated to the document.
    """
    moved = _allocated_after(scope, start - timedelta(days=1))
    undated = DOC.c.paid - sa.func.coalesce(moved.c.amount, money(0))
    return (
        sa.select(DOC.c.issue_date, DOC.c.kind, DOC.c.number, _document_text(), DOC.c.due_date,
                  DOC.c.total, undated)  # fmt: skip
        .select_from(DOC.outerjoin(moved, moved.c.document_id == DOC.c.id))
        .where(_live(scope, currency), DOC.c.issue_date.between(start, end))
    )


def _period_allocations(scope: Scope, currency: str, start: date, end: date) -> sa.Subquery:
    """Per payment of the period: its allocations to the scope's documents, summed.

    `net` counts credit notes used against the receipt; `effect` and `touches` only the
    documents the statement counts (its currency, live, issued by `end`).
    """
    credit = DOC.c.kind == ledger.CREDIT_NOTE
    counted = sa.and_(DOC.c.currency == currency, sa.not_(is_void_expr()), DOC.c.issue_date <= end)
    effect = sa.case((credit, ALLOC.c.amount), else_=-ALLOC.c.amount)
    return (
        sa.select(
            ALLOC.c.payment_id, sa.func.sum(ALLOC.c.amount).label("allocated"),
            sa.func.sum(sa.case((credit, -ALLOC.c.amount), else_=ALLOC.c.amount)).label("net"),
            sa.func.sum(sa.case((counted, effect))).label("effect"),  # NULL: none counted
            sa.func.count(sa.case((counted, 1))).label("touches"),
        )  # fmt: skip
        .join(PAY, PAY.c.id == ALLOC.c.payment_id)
        .join(DOC, DOC.c.id == ALLOC.c.document_id)
        .where(PAY.c.account_id == scope.account_id, PAY.c.payment_date.between(start, end),
               in_scope(scope))  # fmt: skip
        .group_by(ALLOC.c.payment_id)
        .subquery()
    )


def period_payments(scope: Scope, *, currency: str, start: date, end: date) -> sa.Select[Any]:
    """The payments dated in the period, as statements.PaymentMove rows (sums NULL if none).

    A contact limited to branches sees a payment only where it was allocated to their
    branches' documents, and only that part of it (as ledger_queries.ledger_payments).
    """
    per = _period_allocations(scope, currency, start, end)
    limited = scope.branches is not None
    amount = per.c.allocated if limited else PAY.c.amount
    return (
        sa.select(PAY.c.payment_date, PAY.c.reference, PAY.c.currency, amount, per.c.net,
                  per.c.effect, sa.func.coalesce(per.c.touches, 0) > 0)  # fmt: skip
        .select_from(PAY.join(per, per.c.payment_id == PAY.c.id, isouter=not limited))
        .where(PAY.c.account_id == scope.account_id, PAY.c.payment_date.between(start, end))
        .order_by(PAY.c.payment_date, PAY.c.reference)
    )
