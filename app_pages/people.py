"""People and access (administrators): accounts, contacts, grants, links, disabling."""

from __future__ import annotations

import streamlit as st

from lib import clock, logins, models, people, queries, ui

who = ui.require("manage_people")
settings = ui.app_settings()
st.title("People and access")

with ui.unit_of_work() as session:
    usernames = people.contacts_frame(session)["Username"].tolist()
    account_choices = queries.visible_accounts(session, who)
account_codes = [code for code, _ in account_choices]

add_contact_tab, grant_tab, manage_tab, account_tab = st.tabs(
    ["Add a contact", "Grant accounts", "Disable, enable, links", "Add an account"]
)

with add_contact_tab, st.form("add_contact", clear_on_submit=True):
    new_username = st.text_input("New username")
    new_name = st.text_input("Name")
    new_email = st.text_input("Email")
    new_role = st.selectbox("Role", models.ROLES)
    new_accounts = st.multiselect("Accounts (buyers)", account_codes)
    if st.form_submit_button("Add contact"):
        def _add() -> None:
            with ui.unit_of_work() as session:
                people.add_contact(session, who.username, username=new_username,
                                   name=new_name, email=new_email, role=new_role)
                for code in new_accounts:
                    people.grant(session, who.username, new_username, code)
                secret = logins.issue_link(session, who.username, new_username, clock.now(),
                                           settings.token_hours)
            st.session_state["people_link"] = (new_username, secret)

        ui.run_action(_add, f"Contact {new_username.strip().lower()} added.")

with grant_tab, st.form("grant"):
    grant_user = st.selectbox("Contact", usernames, key="grant_user")
    grant_account = st.selectbox("Account", account_codes, key="grant_account")
    grant_branch = st.text_input("Only this branch (leave empty for the whole account)")
    if st.form_submit_button("Grant access"):
        def _grant() -> None:
            with ui.unit_of_work() as session:
                people.grant(session, who.username, grant_user or "", grant_account or "",
                             grant_branch)

        ui.run_action(_grant, "Access granted.")

with manage_tab:
    target = st.selectbox("Contact", usernames, key="manage_user")
    if target:
        with ui.unit_of_work() as session:
            target_grants = people.grant_rows(session, target)
        for grant_id, code, branch in target_grants:
            label = f"Remove access to {code}" + (f" (branch {branch})" if branch else "")
            if st.button(label, key=f"revoke_{grant_id}"):
                def _revoke(grant_id: int = grant_id) -> None:
                    with ui.unit_of_work() as session:
                        people.revoke(session, who.username, grant_id)

                ui.run_action(_revoke, "Access removed.")
        left, middle, right = st.columns(3)
        if left.button("Disable", key="disable"):
            def _disable() -> None:
                with ui.unit_of_work() as session:
                    people.set_disabled(session, who.username, target, True, clock.now())

            ui.run_action(_disable, f"{target} is disabled; their sessions have ended.")
        if middle.button("Enable", key="enable"):
            def _enable() -> None:
                with ui.unit_of_work() as session:
                    people.set_disabled(session, who.username, target, False, clock.now())

            ui.run_action(_enable, f"{target} is enabled.")
        if right.button("Issue a one-time link", key="issue_link"):
            def _link() -> None:
                with ui.unit_of_work() as session:
                    secret = logins.issue_link(session, who.username, target, clock.now(),
                                               settings.token_hours)
                st.session_state["people_link"] = (target, secret)

            ui.run_action(_link)

with account_tab, st.form("add_account", clear_on_submit=True):
    code = st.text_input("Account code")
    name = st.text_input("Account name")
    parent = st.selectbox("Parent account (optional)", [""] + account_codes)
    if st.form_submit_button("Add account"):
        def _add_account() -> None:
            with ui.unit_of_work() as session:
                people.add_account(session, who.username, code, name, parent or None)

        ui.run_action(_add_account, f"Account {code.strip()} added.")

if "people_link" in st.session_state:
    link_user, link_secret = st.session_state["people_link"]
    st.subheader(f"One-time link for {link_user}")
    st.write(f"Send this link to {link_user}. It works once and expires in "
             f"{settings.token_hours} hours.")
    st.code(people.link_url(ui.base_url(), link_secret), language=None)

st.subheader("Contacts")
with ui.unit_of_work() as session:
    contacts = people.contacts_frame(session)  # read after the actions above: shows them
st.dataframe(
    contacts, hide_index=True, width="stretch",
    column_config={"Last login": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
)
