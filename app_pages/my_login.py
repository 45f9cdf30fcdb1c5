"""Everyone: change one's own password (which ends every other session)."""

from __future__ import annotations

import streamlit as st

from lib import clock, logins, ui

who = ui.require("own_login")
st.title("My login")
st.write(f"Username: **{who.username}**")
with st.form("change_password", clear_on_submit=True):
    current = st.text_input("Current password", type="password")
    new = st.text_input("New password", type="password", help="12 to 64 characters.")
    repeat = st.text_input("New password again", type="password")
    submitted = st.form_submit_button("Change password")
if submitted:
    if new != repeat:
        st.error("The two new passwords are not the same.")
    else:
        def _change() -> None:
            with ui.unit_of_work() as session:
                logins.change_password(session, who.username, current, new, clock.now())

        ui.run_action(
            _change,
            "Password changed. Every session of yours has ended, this one included: "
            "log in again with the new password.",
        )
