"""Reading the audit log: filtered by person, action, account and date, and exported to CSV.

The log is append-only: this module only reads it, and no module offers a way to change or
remove an event. Administrators read every event; finance reads the events of imports and
corrections only (their actions start with one of FINANCE_PREFIXES); nobody else reads any.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from lib import access, models, render
from lib.access import Principal
from lib.errors import AccessDenied
from lib.queries import read_rows

AUDIT: sa.Table = models.AuditEvent.__table__  # type: ignore[attr-defined]  # SQLModel sets it
# Imports (import_*), corrections (correction*) and invoice PDFs uploaded with them (pdf_*).
FINANCE_PREFIXES = ("import", "correction", "pdf_")
COLUMNS = ["When", "Person", "Action", "Account", "Target", "Details"]
PAGE_ROWS = 1000
EXPORT_ROWS = 200_000
# Detail keys never shown, whatever a caller of audit.record put there.
_SECRET_KEY = re.compile(r"password|hash|token|secret|cookie", re.IGNORECASE)


@dataclass(frozen=True)
class AuditFilter:
    """What to show; empty values filter nothing. Dates are UTC days, both ends included."""

    person: str = ""
    actions: tuple[str, ...] = ()
    account_code: str = ""
    start: date | None = None
    end: date | None = None


def sees_everything(who: Principal | None) -> bool:
    """True for readers of the whole log (administrators); AccessDenied for non-readers."""
    if access.allowed(who, "view_audit"):
        return True
    if access.allowed(who, "view_audit_imports"):
        return False
    raise AccessDenied("This page is not available.")


def _finance_only() -> sa.ColumnElement[bool]:
    # autoescape: "pdf_" holds LIKE's one-character wildcard.
    return sa.or_(*[AUDIT.c.action.startswith(p, autoescape=True) for p in FINANCE_PREFIXES])


def _utc_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _conditions(who: Principal | None, filters: AuditFilter) -> list[Any]:
    where: list[Any] = [] if sees_everything(who) else [_finance_only()]
    if filters.person:
        where.append(AUDIT.c.actor == filters.person)
    if filters.actions:
        where.append(AUDIT.c.action.in_(sorted(filters.actions)))
    if filters.account_code:
        where.append(AUDIT.c.account_code == filters.account_code)
    if filters.start is not None:
        where.append(AUDIT.c.occurred_at >= _utc_day(filters.start))
    if filters.end is not None:
        where.append(AUDIT.c.occurred_at < _utc_day(filters.end + timedelta(days=1)))
    return where


def details_text(detail_json: str) -> str:
    """An event's details as 'key: value; ...' text, secrets left out."""
    try:
        detail = json.loads(detail_json or "{}")
    except ValueError:
        return str(detail_json)
    if not isinstance(detail, dict):
        return json.dumps(detail, sort_keys=True)
    parts = [f"{key}: {value if isinstance(value, str) else json.dumps(value, sort_keys=True)}"
             for key, value in sorted(detail.items()) if not _SECRET_KEY.search(key)]  # fmt: skip
    return "; ".join(parts)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def events(
    session: Session, who: Principal | None, filters: AuditFilter | None = None, *,
    limit: int = PAGE_ROWS,
) -> pd.DataFrame:  # fmt: skip
    """The newest events matching the filters that this reader may see, up to `limit`."""
    rows = read_rows(session, (
        sa.select(AUDIT.c.occurred_at, AUDIT.c.actor, AUDIT.c.action, AUDIT.c.account_code,
                  AUDIT.c.target, AUDIT.c.detail_json)
        .where(*_conditions(who, filters or AuditFilter()))
        .order_by(AUDIT.c.occurred_at.desc(), AUDIT.c.id.desc())
        .limit(limit)
    ))  # fmt: skip
    return pd.DataFrame(
        [[_utc(when), actor, action, code, target, details_text(detail)]
         for when, actor, action, code, target, detail in rows],
        columns=COLUMNS,
    )


def count(session: Session, who: Principal | None, filters: AuditFilter | None = None) -> int:
    """How many events match the filters for this reader."""
    where = _conditions(who, filters or AuditFilter())
    stmt = sa.select(sa.func.count()).select_from(AUDIT).where(*where)
    return int(read_rows(session, stmt)[0][0])


def choices(session: Session, who: Principal | None) -> dict[str, list[str]]:
    """The persons, actions and accounts found in the events this reader may see, sorted."""
    where = _conditions(who, AuditFilter())
    found: dict[str, list[str]] = {}
    for name, column in (("persons", AUDIT.c.actor), ("actions", AUDIT.c.action),
                         ("accounts", AUDIT.c.account_code)):  # fmt: skip
        stmt = sa.select(column).where(*where, column != "").distinct().order_by(column)
        found[name] = [str(value) for (value,) in read_rows(session, stmt)]
    return found


def events_csv(session: Session, who: Principal | None, filters: AuditFilter | None = None
               ) -> bytes:  # fmt: skip
    """The matching events as CSV (UTF-8, spreadsheet formulas neutralised)."""
    return render.table_to_csv(events(session, who, filters, limit=EXPORT_ROWS))
