"""Statement periods: this month, last month, last quarter, year to date, or any dates."""

from __future__ import annotations

from datetime import date, timedelta

THIS_MONTH, LAST_MONTH, LAST_QUARTER, YEAR_TO_DATE, CUSTOM = (
    "This month", "Last month", "Last quarter", "Year to date", "Custom dates",
)  # fmt: skip
PRESETS = (THIS_MONTH, LAST_MONTH, LAST_QUARTER, YEAR_TO_DATE, CUSTOM)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def period_for(preset: str, today: date) -> tuple[date, date]:
    """First and last day of a preset period seen from `today` (periods to date end today)."""
    if preset == THIS_MONTH:
        return _month_start(today), today
    if preset == LAST_MONTH:
        end = _month_start(today) - timedelta(days=1)
        return _month_start(end), end
    if preset == LAST_QUARTER:
        quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        end = quarter_start - timedelta(days=1)
        return date(end.year, end.month - 2, 1), end
    if preset == YEAR_TO_DATE:
        return date(today.year, 1, 1), today
    raise ValueError(f"no preset period called {preset!r}")
