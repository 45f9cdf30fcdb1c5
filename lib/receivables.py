"""Portfolio-wide receivables for staff: totals, aging and overdue across every account, imports.

Every figure is per currency (amounts in different currencies are never added). SQL does the
heavy aggregation over all documents; the ledger's own rules (`lib.ledger`) then place the
aggregated amounts in aging buckets, so the bucket maths exists once. The "position" of a
document at `as_of` is the ledger's: non-void, issued by then, paid amount less what payments
dated after `as_of` allocated to it (see `ledger.ledger_at`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from lib import ledger, models
from lib.ledger import Aging, Bucket, LedgerDoc
from lib.queries import DOC, is_void_expr, read_rows

PAY: sa.Table = models.Payment.__table__  # type: ignore[attr-defined]  # SQLModel sets it
ALLOC: sa.Table = models.Allocation.__table__  # type: ignore[attr-defined]
ACCOUNT: sa.Table = models.Account.__table__  # type: ignore[attr-defined]
BATCH: sa.Table = models.ImportBatch.__table__  # type: ignore[attr-defined]
ZERO = Decimal("0")
OVERDUE_COLUMNS = ["Currency", "Account", "Name", "Overdue", "Overdue documents", "Oldest due"]
MISSING_PDF_COLUMNS = ["Account", "Kind", "Number", "Issued", "Currency", "Total"]
IMPORT_COLUMNS = ["When", "By", "File", "Kind", "Mapping", "Status", "Inserted", "Updated",
                  "Unchanged", "Rejected", "Problems", "First problem"]  # fmt: skip


@dataclass(frozen=True)
class PortfolioTotal:
    """One currency across every account: balance, what it is made of, and how many owe."""

    currency: str
    balance: Decimal  # owed minus credit available
    owed: Decimal
    overdue: Decimal
    credit_available: Decimal
    documents: int  # non-void documents issued by as_of
    accounts: int  # accounts with documents in this currency
    overdue_documents: int
    overdue_accounts: int


@dataclass(frozen=True)
class Freshness:
    """How current the records are: the latest applied import and the newest document."""

    latest_import_at: datetime | None
    latest_import_file: str
    latest_issue_date: date | None
    documents: int

    def age_days(self, now: datetime) -> int | None:
        """Whole days since the latest applied import (None when there was none)."""
        if self.latest_import_at is None:
            return None
        return (now - as_utc(self.latest_import_at)).days


def as_utc(moment: datetime) -> datetime:
    """DuckDB may hand back timestamps in the session time zone: compare them as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _money(value: Any) -> sa.ColumnElement[Any]:
    return sa.literal(value, models.MONEY)


def positions(as_of: date) -> sa.Subquery:
    """Every non-void document issued by as_of: account, currency, due date, signed outstanding.

    Payments dated after as_of had not yet been paid at as_of, as in `ledger.ledger_at`.
    """
    later = (
        sa.select(ALLOC.c.document_id, sa.func.sum(ALLOC.c.amount).label("later"))
        .join(PAY, PAY.c.id == ALLOC.c.payment_id)
        .where(PAY.c.payment_date > as_of)
        .group_by(ALLOC.c.document_id)
        .subquery()
    )
    paid_at = DOC.c.paid - sa.func.coalesce(later.c.later, _money(0))
    signed = sa.case((DOC.c.kind == ledger.CREDIT_NOTE, paid_at - DOC.c.total),
                     else_=DOC.c.total - paid_at)  # fmt: skip
    return (
        sa.select(DOC.c.account_id, DOC.c.currency, DOC.c.due_date, signed.label("amount"))
        .select_from(DOC.outerjoin(later, later.c.document_id == DOC.c.id))
        .where(sa.not_(is_void_expr()), DOC.c.issue_date <= as_of)
        .subquery()
    )


def totals(session: Session, as_of: date) -> list[PortfolioTotal]:
    """Outstanding, overdue and credit per currency across every account, currencies sorted."""
    pos = positions(as_of)
    amount, zero = pos.c.amount, _money(0)
    late = sa.and_(amount > 0, pos.c.due_date < as_of)
    rows = read_rows(session, sa.select(
        pos.c.currency,
        sa.func.sum(sa.case((amount > 0, amount), else_=zero)),
        sa.func.sum(sa.case((amount < 0, -amount), else_=zero)),
        sa.func.sum(sa.case((late, amount), else_=zero)),
        sa.func.count(), sa.func.count(sa.distinct(pos.c.account_id)),
        sa.func.count(sa.case((late, 1))),
        sa.func.count(sa.distinct(sa.case((late, pos.c.account_id)))),
    ).group_by(pos.c.currency).order_by(pos.c.currency))  # fmt: skip
    return [
        PortfolioTotal(cur, Decimal(owed) - Decimal(credit), Decimal(owed), Decimal(overdue),
                       Decimal(credit), int(docs), int(accounts), int(late_docs),
                       int(late_accounts))  # fmt: skip
        for cur, owed, credit, overdue, docs, accounts, late_docs, late_accounts in rows
    ]


def _lump(currency: str, due: date, amount: Decimal, as_of: date) -> LedgerDoc:
    """The debts (amount > 0) or credits (< 0) of one currency due on one date, as one record."""
    kind = ledger.INVOICE if amount > 0 else ledger.CREDIT_NOTE
    return LedgerDoc(kind, f"due {due.isoformat()}", as_of, due, currency, abs(amount))


def aging(
    session: Session, as_of: date, buckets: Sequence[Bucket] = ledger.DEFAULT_BUCKETS
) -> dict[str, Aging]:
    """Aging per currency across every account; each currency's buckets add up to its balance."""
    pos = positions(as_of)
    amount, zero = pos.c.amount, _money(0)
    rows = read_rows(session, sa.select(
        pos.c.currency, pos.c.due_date,
        sa.func.sum(sa.case((amount > 0, amount), else_=zero)),
        sa.func.sum(sa.case((amount < 0, amount), else_=zero)),
    ).group_by(pos.c.currency, pos.c.due_date))  # fmt: skip
    lumps: dict[str, list[LedgerDoc]] = defaultdict(list)
    for currency, due, debt, credit in rows:
        for value in (Decimal(debt), Decimal(credit)):
            if value:
                lumps[currency].append(_lump(currency, due, value, as_of))
    # The ledger places each lump: debts by days past due, credit on its own line.
    return {cur: ledger.aging_of(cur, lumps[cur], as_of, buckets) for cur in sorted(lumps)}


def _overdue_rows(session: Session, as_of: date) -> list[tuple[Any, ...]]:
    """(code, name, currency, overdue, overdue documents, oldest due) per account and currency."""
    pos = positions(as_of)
    overdue = (
        sa.select(pos.c.account_id, pos.c.currency, sa.func.sum(pos.c.amount).label("overdue"),
                  sa.func.count().label("docs"), sa.func.min(pos.c.due_date).label("oldest"))
        .where(pos.c.amount > 0, pos.c.due_date < as_of)
        .group_by(pos.c.account_id, pos.c.currency)
        .subquery()
    )  # fmt: skip
    return read_rows(session, sa.select(
        ACCOUNT.c.code, ACCOUNT.c.name, overdue.c.currency, overdue.c.overdue, overdue.c.docs,
        overdue.c.oldest,
    ).join(ACCOUNT, ACCOUNT.c.id == overdue.c.account_id))  # fmt: skip


def overdue_by_account(session: Session, as_of: date) -> dict[str, dict[str, Decimal]]:
    """Per account code: its overdue amount in each currency (accounts with none are absent)."""
    found: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for code, _, currency, overdue, _, _ in _overdue_rows(session, as_of):
        found[code][currency] = Decimal(overdue)
    return {code: dict(sorted(amounts.items())) for code, amounts in found.items()}


def most_overdue(session: Session, as_of: date, *, per_currency: int = 10) -> pd.DataFrame:
    """The accounts with most overdue, ranked within each currency (largest first, then code)."""
    rows = sorted(_overdue_rows(session, as_of), key=lambda r: (r[2], -Decimal(r[3]), r[0]))
    kept: list[list[Any]] = []
    shown: dict[str, int] = defaultdict(int)
    for code, name, currency, overdue, docs, oldest in rows:
        if shown[currency] < per_currency:
            shown[currency] += 1
            kept.append([currency, code, name, Decimal(overdue), int(docs), oldest])
    return pd.DataFrame(kept, columns=OVERDUE_COLUMNS)


def missing_pdfs(session: Session, *, limit: int = 200) -> tuple[int, pd.DataFrame]:
    """How many non-void documents have no PDF, and the newest of them (up to `limit`)."""
    where = sa.and_(DOC.c.pdf_sha256.is_(None), sa.not_(is_void_expr()))
    count = read_rows(session, sa.select(sa.func.count()).select_from(DOC).where(where))[0][0]
    rows = read_rows(session, (
        sa.select(ACCOUNT.c.code, DOC.c.kind, DOC.c.number, DOC.c.issue_date, DOC.c.currency,
                  DOC.c.total)
        .join(ACCOUNT, ACCOUNT.c.id == DOC.c.account_id)
        .where(where)
        .order_by(DOC.c.issue_date.desc(), DOC.c.number)
        .limit(limit)
    ))  # fmt: skip
    labels = {ledger.INVOICE: "Invoice", ledger.CREDIT_NOTE: "Credit note"}
    frame = pd.DataFrame([[c, labels.get(k, k), n, d, cur, Decimal(t)]
                          for c, k, n, d, cur, t in rows], columns=MISSING_PDF_COLUMNS)
    return int(count), frame


def freshness(session: Session) -> Freshness:
    """The latest applied import, the newest issue date and the number of documents."""
    latest = read_rows(session, (
        sa.select(BATCH.c.created_at, BATCH.c.file_name).where(BATCH.c.status == "applied")
        .order_by(BATCH.c.created_at.desc(), BATCH.c.id.desc()).limit(1)
    ))  # fmt: skip
    stats = cast("sa.Select[Any]", sa.select(sa.func.max(DOC.c.issue_date), sa.func.count()))
    newest, count = read_rows(session, stats)[0]
    when, file_name = latest[0] if latest else (None, "")
    return Freshness(as_utc(when) if when else None, file_name, newest, int(count))


def freshness_text(fresh: Freshness, now: datetime) -> str:
    """One sentence on how current the records are, e.g. 'Latest import 2 days ago (...)'."""
    days = fresh.age_days(now)
    if fresh.latest_import_at is None or days is None:
        return f"No import has been applied yet; the store holds {fresh.documents} documents."
    ago = "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"
    newest = f"{fresh.latest_issue_date:%d %b %Y}" if fresh.latest_issue_date else "none"
    return (f"Latest import {ago} ({fresh.latest_import_at:%d %b %Y %H:%M} UTC, "
            f"file {fresh.latest_import_file}); {fresh.documents} documents, "
            f"newest issued {newest}.")  # fmt: skip


def _problems(errors_json: str) -> tuple[int, str]:
    """The number of problems an import recorded and the first one's message."""
    try:
        problems = json.loads(errors_json or "[]")
    except ValueError:
        return 0, ""
    if not isinstance(problems, list) or not problems:
        return 0, ""
    first = problems[0]
    message = first.get("message", "") if isinstance(first, dict) else first
    return len(problems), str(message)


def latest_imports(session: Session, *, limit: int = 10) -> pd.DataFrame:
    """The newest imports, whatever their status, with counts and their problems."""
    rows = read_rows(session, (
        sa.select(BATCH.c.created_at, BATCH.c.actor, BATCH.c.file_name, BATCH.c.kind,
                  BATCH.c.mapping_name, BATCH.c.status, BATCH.c.inserted, BATCH.c.updated,
                  BATCH.c.unchanged, BATCH.c.rejected, BATCH.c.errors_json)
        .order_by(BATCH.c.created_at.desc(), BATCH.c.id.desc()).limit(limit)
    ))  # fmt: skip
    return pd.DataFrame(
        [[as_utc(when), *rest, *_problems(errors)] for when, *rest, errors in rows],
        columns=IMPORT_COLUMNS,
    )
