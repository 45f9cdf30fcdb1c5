"""Buyers: the chosen account's invoices and credit notes."""

from __future__ import annotations

import streamlit as st

from lib import queries, ui

who = ui.require("buyer_pages")
code = ui.require_account(who)
with ui.unit_of_work() as session:
    scope = queries.scope_for(session, who, code)
    frame = queries.documents_frame(session, scope)
st.title("Invoices and credit notes")
st.caption(f"Account {scope.account_code} · {scope.account_name}")
if scope.branches is not None:
    st.info(f"You see the branch {', '.join(sorted(scope.branches))} of this account only.")
st.dataframe(frame, hide_index=True, width="stretch")
