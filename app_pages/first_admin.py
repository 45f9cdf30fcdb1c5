"""First start: create the first administrator (there is no default password)."""

from __future__ import annotations

import streamlit as st

from lib import logins, ui

st.title("Create the first administrator")
if not ui.needs_first_admin():
    st.info("The first administrator already exists: log in instead.")
    st.stop()
st.write("This portal has no users yet. The person who installs it creates the first "
         "administrator here; there is no default password.")
with st.form("first_admin"):
    username = st.text_input("Username")
    name = st.text_input("Display name")
    email = st.text_input("Email")
    password = st.text_input("Password", type="password", help="12 to 64 characters.")
    repeat = st.text_input("Password again", type="password")
    submitted = st.form_submit_button("Create administrator")
if submitted:
    if password != repeat:
        st.error("The two passwords are not the same.")
    else:
        def _create() -> None:
            with ui.unit_of_work() as session:
                logins.create_first_admin(
                    session, username=username, name=name, email=email, password=password
                )

        if ui.run_action(_create, "Administrator created."):
            st.button("Continue to log in")
