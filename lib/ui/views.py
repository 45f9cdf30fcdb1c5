"""What the buyer pages draw, read once per scope and store version and shared by sessions.

Defined here rather than in the page scripts: Streamlit builds a cached function's key from its
source each time the decorator runs, and a page script runs on every rerun.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

import pandas as pd
import streamlit as st

from lib import (
    display,
    downloads,
    ledger,
    ledger_queries,
    portal_settings,
    queries,
    receivables,
    ui,
)
from lib.statement_model import Statement


class HomeSummary(NamedTuple):
    """What Home draws for a scope."""

    balances: dict[str, Any]  # currency -> ledger balance figures
    charts: dict[str, Any]  # currency -> aging chart (plotly figure)
    recent: pd.DataFrame  # the ten most recent documents
    latest_import: datetime | None
    amount_format: str  # the number format of the recent documents' amounts


class Listing(NamedTuple):
    """The list page's documents for a scope and filters."""

    frame: pd.DataFrame
    totals: pd.DataFrame
    formats: tuple[str, str]  # number formats of the list's and the totals' amounts
    pdf_ids: tuple[int, ...]  # the listed documents that have a PDF


# Keys hashed field by field, not through Streamlit's generic walk of a dataclass (a copy).
_KEYS: dict[Any, Any] = {
    queries.Scope: lambda s: (s.account_id, s.account_code, s.account_name,
                              None if s.branches is None else sorted(s.branches)),
    queries.DocumentFilter: repr,  # frozen, every field a plain value
    downloads.StatementRequest: repr,  # the same
    date: date.isoformat,
}  # fmt: skip


# Resources, not data: returned as they are, not copied on each run (a copy of the largest
# account's list costs more than drawing it). Shared read-only by every session of the scope
# (account and branches); the store version in the key moves with any write they show, settings
# such as the aging buckets included.
@st.cache_resource(max_entries=256, show_spinner=False, hash_funcs=_KEYS)
def home_summary(scope: queries.Scope, version: str, as_of: date) -> HomeSummary:
    """Balances, aging charts, the most recent documents, the latest import, amount format."""
    with ui.unit_of_work() as session:
        edges = portal_settings.aging_edges(session)
        balances = ledger_queries.balances(session, scope, as_of)
        aging = ledger_queries.aging(session, scope, as_of, ledger.aging_buckets(edges))
        recent = queries.document_list(session, scope, as_of=as_of, limit=10)
        latest = queries.latest_import_at(session)
    charts = {currency: ui.aging_figure(aging[currency].rows() if currency in aging else [],
                                        currency, f"Aging in {currency}")
              for currency in balances}  # fmt: skip
    return HomeSummary(balances, charts, recent, latest, display.amount_format(recent["Currency"]))


# Lists of an older version are never asked for again: they go after an hour.
@st.cache_resource(max_entries=64, ttl="1h", show_spinner=False, hash_funcs=_KEYS)
def document_listing(
    scope: queries.Scope, version: str, as_of: date, filters: queries.DocumentFilter
) -> Listing:
    """The filtered list, its totals, their amount formats and the ids of the listed PDFs."""
    with ui.unit_of_work() as session:
        frame = queries.document_list(session, scope, as_of=as_of, filters=filters)
        totals = queries.document_totals(session, scope, as_of=as_of, filters=filters)
    formats = (display.amount_format(frame["Currency"]), display.amount_format(totals["Currency"]))
    return Listing(frame, totals, formats, tuple(frame["id"][frame["PDF"].astype(bool)].tolist()))


@st.cache_resource(max_entries=64, ttl="1h", show_spinner=False, hash_funcs=_KEYS)
def currencies(scope: queries.Scope, version: str) -> tuple[str, ...]:
    """The currencies of the scope's documents (a tuple: shared by every session)."""
    with ui.unit_of_work() as session:
        return tuple(queries.scope_values(session, scope, "currency"))


@st.cache_resource(max_entries=32, ttl="1h", show_spinner=False, hash_funcs=_KEYS)
def statement(scope: queries.Scope, version: str,
              request: downloads.StatementRequest) -> Statement:  # fmt: skip
    """A statement (frozen, shared); the version in the key moves with any settings change."""
    with ui.unit_of_work() as session:
        return downloads.statement_for(session, scope, request, ui.app_settings().data_dir)


class Portfolio(NamedTuple):
    """The receivables overview's figures over every account."""

    totals: Any
    aging: Any
    most_overdue: Any
    missing_pdfs: tuple[int, Any]  # how many documents lack a PDF, and the first of them


@st.cache_resource(max_entries=8, ttl="1h", show_spinner=False, hash_funcs=_KEYS)
def portfolio(version: str, as_of: date) -> Portfolio:
    """Receivables across every account: the same for every staff reader, per version."""
    with ui.unit_of_work() as session:
        edges = portal_settings.aging_edges(session)
        return Portfolio(receivables.totals(session, as_of),
                         receivables.aging(session, as_of, ledger.aging_buckets(edges)),
                         receivables.most_overdue(session, as_of),
                         receivables.missing_pdfs(session, limit=200))
