"""The router: page config, the login, the pages this person's role may see, navigation."""

from __future__ import annotations

import streamlit as st

from lib import access, queries, ui

st.set_page_config(page_title="Invoice portal", page_icon=":material/receipt_long:", layout="wide")

# (file, title, icon, the action that lets a role see the page)
PAGES = [
    ("app_pages/documents.py", "Invoices and credit notes", ":material/description:", "buyer_pages"),
    ("app_pages/accounts.py", "Accounts", ":material/apartment:", "list_accounts"),
    ("app_pages/people.py", "People and access", ":material/group:", "manage_people"),
    ("app_pages/my_login.py", "My login", ":material/key:", "own_login"),
]


SET_PASSWORD = ("app_pages/set_password.py", "Set your password")


def _login_page() -> None:
    """The login form itself is drawn by the router before navigation."""
    st.caption("Log in with the username and password you were given by the wholesaler.")


def anonymous_pages(empty_store: bool) -> list[st.Page]:
    """Before login: the first-administrator page on an empty store, else the login."""
    if empty_store:
        return [st.Page("app_pages/first_admin.py", title="Create the first administrator",
                        url_path="setup", default=True)]
    return [st.Page(_login_page, title="Log in", url_path="login", default=True)]


def member_pages(who: access.Principal) -> list[st.Page]:
    """The pages of this person's role, and nothing else."""
    return [
        st.Page(path, title=title, icon=icon)
        for path, title, icon, action in PAGES
        if access.allowed(who, action)
    ]


def main() -> None:
    """Log in, then register and run only the pages this person may open."""
    if "link" in st.query_params:
        # A one-time link: only the set-password page, without the login form.
        page = st.Page(SET_PASSWORD[0], title=SET_PASSWORD[1], url_path="set-password",
                       default=True)
        st.navigation([page], position="hidden").run()
        return
    empty = ui.needs_first_admin()
    who, authenticator = (None, None) if empty else ui.authenticate()
    if who is None or authenticator is None:
        st.session_state.pop("portal_principal", None)
        st.navigation(anonymous_pages(empty), position="hidden").run()
        return
    st.session_state["portal_principal"] = who
    with ui.unit_of_work() as session:
        choices = queries.visible_accounts(session, who)
    st.sidebar.caption(f"Logged in as **{who.username}** ({who.role})")
    if not who.is_staff:
        ui.account_switcher(who, choices)
    ui.logout_button(authenticator, who)
    if not st.session_state.get("authentication_status"):
        st.rerun()
    st.navigation(member_pages(who)).run()


main()
