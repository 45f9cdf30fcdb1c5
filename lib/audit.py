"""Append-only audit events and buyer activity events."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from lib import models


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    account_code: str = "",
    target: str = "",
    **detail: Any,
) -> None:
    """Add an audit event to the session's unit of work (never updated or deleted)."""
    session.add(
        models.AuditEvent(
            actor=actor or "anonymous",
            action=action,
            account_code=account_code,
            target=target,
            detail_json=json.dumps(detail, default=str, sort_keys=True),
        )
    )


def record_activity(
    session: Session, username: str, account_code: str, action: str, target: str = ""
) -> None:
    """Add what a buyer viewed or downloaded (staff activity is never recorded here)."""
    session.add(
        models.ActivityEvent(
            username=username, account_code=account_code, action=action, target=target
        )
    )
