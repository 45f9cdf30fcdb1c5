"""Buyers: the chosen account at a glance, per currency (never summed across currencies)."""

from __future__ import annotations

import streamlit as st

from lib import clock, display, queries, ui
from lib.ui import views as ui_views

who = ui.require("buyer_pages")
code = ui.require_account(who)
as_of = clock.today()
scope = ui.account_scope(who, code)
summary = ui_views.home_summary(scope, ui.data_version(), as_of)
balances, charts, recent, latest, amount_format = summary
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
    row = st.container(horizontal=True, gap="medium")  # wraps on a narrow screen
    row.metric("Total outstanding", display.money_text(balance.outstanding, currency))
    row.metric("Overdue", display.money_text(balance.overdue, currency))
    row.metric("Credit available", display.money_text(balance.credit_available, currency))
    row.metric(
        "Next amount due",
        display.money_text(balance.next_due_amount, currency) if balance.next_due_date else "—",
        f"due {balance.next_due_date:%d %b %Y}" if balance.next_due_date else None,
        delta_color="off",
    )
    ui.show_chart(charts[currency], key=f"aging_{currency}")

st.subheader("Most recent documents")
number = st.column_config.NumberColumn(format=amount_format)
st.dataframe(recent, hide_index=True, column_order=queries.LIST_COLUMNS,
             column_config={c: number for c in ("Total", "Paid", "Outstanding")})  # fmt: skip
