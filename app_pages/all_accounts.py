"""Buyers holding several accounts: the balance of each, per currency."""

from __future__ import annotations

import streamlit as st

from lib import clock, display, ledger_queries, ui

who = ui.require("buyer_pages")
as_of = clock.today()
st.title("All my accounts")
if len(who.account_codes()) < 2:
    st.info("Your login holds one account: its balance is on the Home page.")
    st.stop()
with ui.unit_of_work() as session:
    frame = ledger_queries.accounts_overview(session, who, as_of)
st.caption(f"Balances as of {as_of:%d %b %Y}, one row per account and currency "
           "(amounts in different currencies are never added up). "
           "Switch accounts in the sidebar to see one in full.")  # fmt: skip
number = st.column_config.NumberColumn(format=display.amount_format(frame["Currency"]))
st.dataframe(frame, hide_index=True, column_config={
    c: number for c in ("Balance", "Overdue", "Credit available", "Next amount")})  # fmt: skip
