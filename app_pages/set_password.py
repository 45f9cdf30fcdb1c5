"""Set a password through a one-time link (invitation or reset)."""

from __future__ import annotations

import streamlit as st

from lib import clock, logins, ui

st.title("Set your password")
secret = st.query_params.get("link", "")
with ui.unit_of_work() as session:
    contact = logins.contact_for_link(session, secret, clock.now())
if contact is None:
    st.error(logins.LINK_INVALID)
    st.stop()
st.write(f"Choose a password for the username **{contact.username}**: 12 to 64 characters; "
         "a long phrase is easiest to remember.")
with st.form("set_password"):
    password = st.text_input("New password", type="password")
    repeat = st.text_input("New password again", type="password")
    submitted = st.form_submit_button("Set password")
if submitted:
    if password != repeat:
        st.error("The two passwords are not the same.")
    else:
        def _redeem() -> None:
            with ui.unit_of_work() as session:
                logins.redeem_link(session, secret, password, clock.now())

        if ui.run_action(_redeem, "Your password is set: you can log in now."):
            st.query_params.clear()
            st.link_button("Go to the login", "./")
