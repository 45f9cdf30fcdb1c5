"""Adoption and self-service: who uses the portal, what buyers fetched themselves, whom to onboard.

Definitions (the page shows them):
- a contact of an account is a buyer contact granted the account (whole or a branch), not
  disabled; every such contact was invited (given a login);
- a contact is *active* once they have logged in at least once; *active in a month* when they
  logged in during that month (UTC);
- activity counts come from the buyers' own activity records, which never hold what staff did,
  even while viewing as a buyer (`lib.activity`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from lib import activity, display, models, receivables
from lib.queries import DOC, is_void_expr, read_rows

EVENT: sa.Table = models.ActivityEvent.__table__  # type: ignore[attr-defined]  # SQLModel sets it
AUDIT: sa.Table = models.AuditEvent.__table__  # type: ignore[attr-defined]
CONTACT: sa.Table = models.Contact.__table__  # type: ignore[attr-defined]
GRANT: sa.Table = models.Grant.__table__  # type: ignore[attr-defined]
ACCOUNT: sa.Table = models.Account.__table__  # type: ignore[attr-defined]

VIEWED, PDFS, STATEMENTS_VIEWED, STATEMENTS, LISTS = (
    "Documents viewed", "PDFs downloaded", "Statements viewed", "Statements downloaded",
    "Lists downloaded",
)  # fmt: skip
SELF_SERVED, SAVED = "Self-served", "Requests saved"
METRICS = (VIEWED, PDFS, STATEMENTS_VIEWED, STATEMENTS, LISTS, SELF_SERVED, SAVED)
_METRIC_OF = {
    activity.VIEW_DOCUMENT: VIEWED, activity.DOWNLOAD_PDF: PDFS,
    activity.DOWNLOAD_PDF_ZIP: PDFS, activity.VIEW_STATEMENT: STATEMENTS_VIEWED,
    activity.DOWNLOAD_STATEMENT: STATEMENTS, activity.DOWNLOAD_LIST: LISTS,
}  # fmt: skip
_ZIP_COUNT = re.compile(r"^\s*(\d+)\s+PDFs?\s*$")
SELF_SERVED_METHOD = (
    "Self-served documents: every invoice or credit note a buyer contact opened on screen or "
    "downloaded as a PDF (each PDF inside a zip counts), and every statement they opened or "
    "downloaded, themselves."
)
REQUESTS_SAVED_METHOD = (
    "Requests saved (an estimate): each time a buyer contact downloaded the PDF of an invoice "
    "or credit note already issued (each PDF inside a zip counts once) or downloaded a "
    "statement counts as one request that did not reach finance's inbox. Documents only looked "
    "at on screen and list exports are not counted, and nothing staff do, also while viewing "
    "as a buyer, is ever counted."
)
ACTIVITY_LABELS = {
    activity.VIEW_DOCUMENT: "Viewed a document", activity.DOWNLOAD_PDF: "Downloaded a PDF",
    activity.DOWNLOAD_PDF_ZIP: "Downloaded PDFs as a zip",
    activity.DOWNLOAD_LIST: "Downloaded the list", activity.VIEW_STATEMENT: "Viewed a statement",
    activity.DOWNLOAD_STATEMENT: "Downloaded a statement",
}  # fmt: skip
ONBOARD_WINDOW_DAYS = 90
ONBOARD_RULE = (
    "Accounts with no active contact yet (no contact of the account has logged in), ranked by: "
    f"1. documents (invoices and credit notes, void ones excluded) issued in the "
    f"{ONBOARD_WINDOW_DAYS} days up to the as-of date, most first; 2. the overdue amount in the "
    "ranking currency, largest first (amounts in other currencies are never converted or added: "
    "they are listed beside it); 3. the number of overdue documents in any currency, most "
    "first; 4. the account code, A to Z."
)
ACCOUNT_COLUMNS = ["Account", "Name", "Contacts invited", "Contacts active", "Last login",
                   *METRICS]  # fmt: skip
MONTH_COLUMNS = ["Month", "Contacts invited", "Contacts active", *METRICS]
ONBOARD_COLUMNS = ["Rank", "Account", "Name", "Documents (90 days)", "Overdue",
                   "Overdue documents", "Overdue, all currencies", "Contacts invited"]  # fmt: skip


@dataclass(frozen=True)
class OnboardList:
    """The "Onboard next" ranking and the currency whose overdue amount breaks ties."""

    currency: str
    frame: pd.DataFrame


def month_starts(as_of: date, count: int) -> list[date]:
    """The first days of the `count` months up to and including as_of's month, oldest first."""
    year, month = as_of.year, as_of.month
    starts = []
    for _ in range(max(count, 1)):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _bounds(months: Sequence[date]) -> list[datetime]:
    """Month boundaries as aware UTC moments: one more than there are months."""
    last = months[-1]
    after = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return [_utc(m) for m in months] + [_utc(after)]


def _month_index(column: sa.ColumnElement[Any], bounds: list[datetime]) -> Any:
    """Which month a moment falls in (0 = the first), by comparison: no time-zone functions."""
    return sa.case(*[(column < edge, i) for i, edge in enumerate(bounds[1:])], else_=-1)


def _zip_pdfs(target: str) -> int:
    """How many PDFs a zip download held (its record says e.g. '3 PDFs')."""
    found = _ZIP_COUNT.match(target or "")
    return int(found.group(1)) if found else 1


def _tally(rows: list[tuple[Any, ...]]) -> dict[Any, Counter[str]]:
    """(key, action, zip target, count) rows into metric counters per key."""
    counts: dict[Any, Counter[str]] = defaultdict(Counter)
    for key, action, target, count in rows:
        metric = _METRIC_OF.get(action)
        if metric is None:
            continue
        per_event = _zip_pdfs(target) if action == activity.DOWNLOAD_PDF_ZIP else 1
        counts[key][metric] += per_event * int(count)
    for tally in counts.values():
        tally[SELF_SERVED] = sum(tally[m] for m in (VIEWED, PDFS, STATEMENTS_VIEWED, STATEMENTS))
        tally[SAVED] = tally[PDFS] + tally[STATEMENTS]
    return counts


def _activity(session: Session, key: Any, where: list[Any]) -> dict[Any, Counter[str]]:
    """Activity metrics grouped by `key`; zip records keep their target to count the PDFs."""
    zip_target = sa.case((EVENT.c.action == activity.DOWNLOAD_PDF_ZIP, EVENT.c.target), else_="")
    # Group a subquery's columns: PostgreSQL cannot group by expressions with parameters.
    inner = sa.select(key.label("k"), EVENT.c.action, zip_target.label("t")).where(
        *where).subquery()
    rows = read_rows(session, sa.select(inner.c.k, inner.c.action, inner.c.t, sa.func.count())
                     .group_by(inner.c.k, inner.c.action, inner.c.t))  # fmt: skip
    return _tally(rows)


def _period(column: sa.ColumnElement[Any], start: date | None, end: date | None) -> list[Any]:
    """Conditions for start <= moment < end + 1 day (dates in UTC), either end open."""
    where = []
    if start is not None:
        where.append(column >= _utc(start))
    if end is not None:
        where.append(column < _utc(end + timedelta(days=1)))
    return where


def _account_contacts(session: Session) -> dict[str, list[tuple[int, datetime | None]]]:
    """Per account code: (contact id, last login) of its enabled buyer contacts, once each."""
    rows = read_rows(session, sa.select(ACCOUNT.c.code, CONTACT.c.id, CONTACT.c.last_login_at)
                     .join(GRANT, GRANT.c.account_id == ACCOUNT.c.id)
                     .join(CONTACT, CONTACT.c.id == GRANT.c.contact_id)
                     .where(CONTACT.c.role == "buyer", CONTACT.c.disabled.is_(False))
                     .distinct())  # fmt: skip
    found: dict[str, list[tuple[int, datetime | None]]] = defaultdict(list)
    for code, contact_id, last in rows:
        found[code].append((contact_id, receivables.as_utc(last) if last else None))
    return found


def account_adoption(
    session: Session, *, start: date | None = None, end: date | None = None,
    account_code: str | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Per account: contacts invited and active, last login, and activity between start and end."""
    where = _period(EVENT.c.occurred_at, start, end)
    if account_code is not None:
        where.append(EVENT.c.account_code == account_code)
    counts = _activity(session, EVENT.c.account_code, where)
    contacts = _account_contacts(session)
    query = sa.select(ACCOUNT.c.code, ACCOUNT.c.name).order_by(ACCOUNT.c.code)
    if account_code is not None:
        query = query.where(ACCOUNT.c.code == account_code)
    rows = []
    for code, name in read_rows(session, query):
        logins = [last for _, last in contacts.get(code, []) if last is not None]
        rows.append([code, name, len(contacts.get(code, [])), len(logins),
                     max(logins) if logins else None,
                     *(counts[code][m] if code in counts else 0 for m in METRICS)])
    return pd.DataFrame(rows, columns=ACCOUNT_COLUMNS)


def _granted(account_code: str) -> Any:
    """Contact ids granted this account."""
    return (sa.select(GRANT.c.contact_id).join(ACCOUNT, ACCOUNT.c.id == GRANT.c.account_id)
            .where(ACCOUNT.c.code == account_code))  # fmt: skip


def _people_by_month(session: Session, bounds: list[datetime], account_code: str | None
                     ) -> tuple[Counter[int], Counter[int]]:  # fmt: skip
    """Per month index: buyer contacts created, and distinct buyer contacts who logged in."""
    buyers = [CONTACT.c.role == "buyer"]
    if account_code is not None:
        buyers.append(CONTACT.c.id.in_(_granted(account_code)))
    made = CONTACT.c.created_at
    created = sa.select(_month_index(made, bounds).label("m"), CONTACT.c.id).where(
        *buyers, made >= bounds[0], made < bounds[-1]).subquery()
    when = AUDIT.c.occurred_at
    logins = (sa.select(_month_index(when, bounds).label("m"), CONTACT.c.id)
              .join(CONTACT, CONTACT.c.username == AUDIT.c.actor)
              .where(AUDIT.c.action == "login", when >= bounds[0], when < bounds[-1], *buyers)
              .subquery())  # fmt: skip
    counted = []
    for sub in (created, logins):
        rows = read_rows(session, sa.select(sub.c.m, sa.func.count(sa.distinct(sub.c.id)))
                         .group_by(sub.c.m))  # fmt: skip
        counted.append(Counter({int(m): int(n) for m, n in rows}))
    return counted[0], counted[1]


def monthly(
    session: Session, months: Sequence[date], *, account_code: str | None = None
) -> pd.DataFrame:
    """Per month (UTC): contacts invited and active, self-service; portal-wide or one account."""
    bounds = _bounds(months)
    when = EVENT.c.occurred_at
    where = [when >= bounds[0], when < bounds[-1]]
    if account_code is not None:
        where.append(EVENT.c.account_code == account_code)
    counts = _activity(session, _month_index(when, bounds), where)
    invited, active = _people_by_month(session, bounds, account_code)
    rows = [[month, invited[i], active[i], *(counts[i][m] if i in counts else 0 for m in METRICS)]
            for i, month in enumerate(months)]  # fmt: skip
    return pd.DataFrame(rows, columns=MONTH_COLUMNS)


def currencies(session: Session) -> list[str]:
    """The currencies of non-void documents, most documents first (ties: alphabetical)."""
    rows = read_rows(session, sa.select(DOC.c.currency, sa.func.count()).where(
        sa.not_(is_void_expr())).group_by(DOC.c.currency))  # fmt: skip
    return [str(cur) for cur, _ in sorted(rows, key=lambda row: (-int(row[1]), row[0]))]


def main_currency(session: Session) -> str | None:
    """The currency with the most non-void documents (ties: alphabetical), None when empty."""
    found = currencies(session)
    return found[0] if found else None


def _recent_documents(session: Session, as_of: date) -> dict[int, int]:
    """Per account id: non-void documents issued in the window ending on as_of."""
    first = as_of - timedelta(days=ONBOARD_WINDOW_DAYS - 1)
    rows = read_rows(session, sa.select(DOC.c.account_id, sa.func.count()).where(
        sa.not_(is_void_expr()), DOC.c.issue_date >= first, DOC.c.issue_date <= as_of,
    ).group_by(DOC.c.account_id))  # fmt: skip
    return {int(account_id): int(n) for account_id, n in rows}


def _overdue_documents(session: Session, as_of: date) -> dict[int, int]:
    """Per account id: documents with something overdue at as_of, in any currency."""
    pos = receivables.positions(as_of)
    rows = read_rows(session, sa.select(pos.c.account_id, sa.func.count()).where(
        pos.c.amount > 0, pos.c.due_date < as_of).group_by(pos.c.account_id))  # fmt: skip
    return {int(account_id): int(n) for account_id, n in rows}


def _overdue_text(amounts: dict[str, Decimal]) -> str:
    return "; ".join(display.money_text(amount, cur) for cur, amount in amounts.items())


def onboard_next(
    session: Session, as_of: date, *, currency: str | None = None, limit: int | None = None
) -> OnboardList:
    """Accounts with no active contact, ranked by recent documents then overdue (ONBOARD_RULE)."""
    rank_currency = currency or main_currency(session) or ""
    contacts = _account_contacts(session)
    recent = _recent_documents(session, as_of)
    late_docs = _overdue_documents(session, as_of)
    overdue = receivables.overdue_by_account(session, as_of)
    candidates = []
    for account_id, code, name in read_rows(session, sa.select(
            ACCOUNT.c.id, ACCOUNT.c.code, ACCOUNT.c.name)):  # fmt: skip
        people = contacts.get(code, [])
        if any(last is not None for _, last in people):
            continue
        amounts = overdue.get(code, {})
        candidates.append([code, name, recent.get(account_id, 0),
                           amounts.get(rank_currency, Decimal("0")),
                           late_docs.get(account_id, 0), _overdue_text(amounts), len(people)])
    candidates.sort(key=lambda row: (-row[2], -row[3], -row[4], row[0]))
    rows = [[rank, *row] for rank, row in enumerate(candidates[:limit], start=1)]
    return OnboardList(rank_currency, pd.DataFrame(rows, columns=ONBOARD_COLUMNS))


def account_activity(session: Session, account_code: str, *, limit: int = 200) -> pd.DataFrame:
    """The newest things buyer contacts did themselves in one account."""
    rows = read_rows(session, sa.select(
        EVENT.c.occurred_at, EVENT.c.username, EVENT.c.action, EVENT.c.target,
    ).where(EVENT.c.account_code == account_code)
        .order_by(EVENT.c.occurred_at.desc(), EVENT.c.id.desc()).limit(limit))  # fmt: skip
    return pd.DataFrame(
        [[receivables.as_utc(when), who, ACTIVITY_LABELS.get(action, action), target]
         for when, who, action, target in rows],
        columns=["When", "Contact", "What", "Which"],
    )
