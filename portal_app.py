"""The router: page config, the login, the pages this person's role may see, navigation."""

from __future__ import annotations

import streamlit as st

from lib import access, ui
from lib.ui import login as ui_login

st.set_page_config(page_title="Invoice portal", page_icon=":material/receipt_long:", layout="wide")

# (file, title, icon, the action that lets a role see the page)
BUYER = "buyer_pages"
PAGES = [
    ("app_pages/home.py", "Home", ":material/home:", BUYER),
    ("app_pages/documents.py", "Invoices and credit notes", ":material/description:", BUYER),
    ("app_pages/payments.py", "Payments", ":material/payments:", BUYER),
    ("app_pages/statements.py", "Statements", ":material/request_quote:", BUYER),
    ("app_pages/all_accounts.py", "All my accounts", ":material/account_tree:", BUYER),
    ("app_pages/overview.py", "Receivables overview", ":material/monitoring:", "view_analytics"),
    ("app_pages/accounts.py", "Accounts", ":material/apartment:", "list_accounts"),
    ("app_pages/account.py", "Account details", ":material/badge:", "list_accounts"),
    ("app_pages/adoption.py", "Adoption and onboarding", ":material/trending_up:",
     "view_analytics"),
    ("app_pages/audit_log.py", "Audit log", ":material/policy:", "view_audit_imports"),
    ("app_pages/imports.py", "Imports", ":material/upload_file:", "import"),
    ("app_pages/import_history.py", "Import history", ":material/history:", "import"),
    ("app_pages/pdf_upload.py", "Invoice PDFs", ":material/picture_as_pdf:", "import"),
    ("app_pages/corrections.py", "Corrections", ":material/edit_note:", "correct"),
    ("app_pages/people.py", "People and access", ":material/group:", "manage_people"),
    ("app_pages/settings.py", "Settings", ":material/settings:", "edit_settings"),
    ("app_pages/my_login.py", "My login", ":material/key:", "own_login"),
]
# Shown only to a contact holding several accounts.
SEVERAL_ACCOUNTS_ONLY = "app_pages/all_accounts.py"


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
        and (path != SEVERAL_ACCOUNTS_ONLY or len(who.account_codes()) > 1)
    ]


def main() -> None:
    """Log in, then register and run only the pages this person may open."""
    ui.start_inbox_watcher()
    ui.refresh_version()  # once per run: every cached read below is keyed by it
    if "link" in st.query_params:
        # A one-time link: only the set-password page, without the login form.
        page = st.Page(SET_PASSWORD[0], title=SET_PASSWORD[1], url_path="set-password",
                       default=True)
        st.navigation([page], position="hidden").run()
        return
    empty = ui.needs_first_admin()
    who, authenticator = (None, None) if empty else ui_login.authenticate()
    if who is None or authenticator is None:
        st.session_state.pop("portal_principal", None)
        st.navigation(anonymous_pages(empty), position="hidden").run()
        return
    ui.page_style()
    st.sidebar.caption(f"Logged in as **{who.username}** ({who.role})")
    as_buyer = ui.viewing_as(who)
    if as_buyer is not None:
        ui.view_as_banner(who)
    acting = as_buyer or who
    st.session_state["portal_principal"] = acting
    if not acting.is_staff:
        ui.account_switcher(acting, ui.visible_accounts(acting))
    ui_login.logout_button(authenticator, who)
    if not st.session_state.get("authentication_status"):
        st.rerun()
    ui_login.write_login_cookie()
    st.navigation(member_pages(acting)).run()


if __name__ == "__main__":  # each run of the router, for every visitor
    main()
else:
    # `streamlit run portal_app.py` finds this app and serves it: its lifespan starts the
    # drop-folder watcher with the server, before anyone opens a page.
    app = st.App(__file__, lifespan=ui.server_lifespan)
