"""Deterministic factories for accounts, contacts and documents (no randomness)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from lib import models


def account(session: Session, code: str = "ACME", **overrides: Any) -> models.Account:
    """An account, created once per code."""
    found = session.exec(select(models.Account).where(models.Account.code == code)).first()
    if found:
        return found
    row = models.Account(code=code, name=overrides.pop("name", f"{code} Ltd"), **overrides)
    session.add(row)
    session.flush()
    return row


def document(session: Session, number: str = "INV-1", **overrides: Any) -> models.Document:
    """An invoice (or credit note with kind="credit_note") of 100.00 GBP, open, due in 30 days."""
    acct = overrides.pop("account", None) or account(session, overrides.pop("account_code", "ACME"))
    issue = overrides.pop("issue_date", date(2026, 1, 10))
    values: dict[str, Any] = {
        "kind": "invoice",
        "number": number,
        "account_id": acct.id,
        "issue_date": issue,
        "due_date": issue + timedelta(days=30),
        "currency": "GBP",
        "total": Decimal("100.00"),
        "paid": Decimal("0"),
    }
    values.update(overrides)
    values.setdefault("feed_paid", values["paid"])
    row = models.Document(**values)
    session.add(row)
    session.flush()
    return row
