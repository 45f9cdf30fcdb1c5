"""Staff: the list of every account with its documents and contacts."""

from __future__ import annotations

import streamlit as st

from lib import queries, ui

who = ui.require("list_accounts")
st.title("Accounts")
search = st.text_input("Find an account", placeholder="code or name")
with ui.unit_of_work() as session:
    frame = queries.accounts_frame(session, who)
if search:
    needle = search.strip().lower()
    frame = frame[
        frame["Code"].str.lower().str.contains(needle, regex=False)
        | frame["Name"].str.lower().str.contains(needle, regex=False)
    ]
st.caption(f"{len(frame)} accounts")
st.dataframe(frame, hide_index=True, width="stretch")
