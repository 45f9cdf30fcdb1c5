"""Buyers: the chosen account at a glance, per currency (never summed across currencies)."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from lib import clock, display, ledger, ledger_queries, portal_settings, queries, ui

who = ui.require("buyer_pages")
code = ui.require_account(who)
as_of = clock.today()
with ui.unit_of_work() as session:
    scope = queries.scope_for(session, who, code)
    version = queries.data_version(session)
    edges = portal_settings.aging_edges(session)
    latest = queries.latest_import_at(session)


@st.cache_data(max_entries=256, show_spinner=False)
def _summary(scope: queries.Scope, version: str, as_of: date, edges: tuple[int, ...]) -> Any:
    """Balances, aging and recent documents; cached per scope (account and branches) and data."""
    with ui.unit_of_work() as session:
        return (
            ledger_queries.balances(session, scope, as_of),
            ledger_queries.aging(session, scope, as_of, ledger.aging_buckets(edges)),
            queries.document_list(session, scope, as_of=as_of, limit=10),
        )


balances, aging, recent = _summary(scope, version, as_of, edges)
st.title("Home")
st.caption(f"Account {display.escape_markdown(scope.account_code)} · "
           f"{display.escape_markdown(scope.account_name)} · as of {as_of:%d %b %Y}")  # fmt: skip
if note := display.scope_note(scope.branches):
    st.info(note)
st.caption(f"Records current as of {latest:%d %b %Y %H:%M} UTC." if latest
           else "Records current as of: no import has been made yet.")  # fmt: skip
if not balances:
    st.info("There are no invoices or credit notes on this account yet.")
for currency, balance in balances.items():
    st.subheader(f"In {display.escape_markdown(currency)}")
    cols = st.columns(4)
    cols[0].metric("Total outstanding", display.money_text(balance.outstanding, currency))
    cols[1].metric("Overdue", display.money_text(balance.overdue, currency))
    cols[2].metric("Credit available", display.money_text(balance.credit_available, currency))
    cols[3].metric(
        "Next amount due",
        display.money_text(balance.next_due_amount, currency) if balance.next_due_date else "—",
        f"due {balance.next_due_date:%d %b %Y}" if balance.next_due_date else None,
        delta_color="off",
    )
    rows = aging[currency].rows() if currency in aging else []
    ui.aging_chart(rows, currency, f"Aging in {currency}", key=f"aging_{currency}")

st.subheader("Most recent documents")
number = st.column_config.NumberColumn(format=display.amount_format(recent["Currency"]))
st.dataframe(recent, hide_index=True, column_order=queries.LIST_COLUMNS,
             column_config={c: number for c in ("Total", "Paid", "Outstanding")})  # fmt: skip
