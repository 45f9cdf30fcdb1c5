"""The one place that reads the current time; everything else takes `now` or `as_of`."""

from __future__ import annotations

from datetime import date, datetime, timezone


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def today() -> date:
    """Today's date (UTC), the default as-of date of the ledger."""
    return now().date()
