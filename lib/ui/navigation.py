"""The portal's pages: which role sees which, and the pages shown before a login.

The router (portal_app.py) registers only these with st.navigation; each page also checks its
own permission when it runs (ui.require), so one reached some other way still stops.
"""

from __future__ import annotations

import streamlit as st

from lib import access

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
# This session's page list and its st.Page objects: making them costs more than a page's
# drawing of a heading, on every run.
_PAGES_KEY = "portal_pages"


def link_pages() -> list[st.Page]:
    """A one-time link opens its page only, without the login form."""
    return [st.Page("app_pages/set_password.py", title="Set your password",
                    url_path="set-password", default=True)]  # fmt: skip


def _login_page() -> None:
    """The login form itself is drawn by the router before navigation."""
    st.caption("Log in with the username and password you were given by the wholesaler.")


def anonymous_pages(empty_store: bool) -> list[st.Page]:
    """Before login: the first-administrator page on an empty store, else the login."""
    if empty_store:
        return [st.Page("app_pages/first_admin.py", title="Create the first administrator",
                        url_path="setup", default=True)]  # fmt: skip
    return [st.Page(_login_page, title="Log in", url_path="login", default=True)]


def member_pages(who: access.Principal) -> list[st.Page]:
    """The pages of this person's role, and nothing else (made once per session and list)."""
    shown = tuple(
        (path, title, icon)
        for path, title, icon, action in PAGES
        if access.allowed(who, action)
        and (path != SEVERAL_ACCOUNTS_ONLY or len(who.account_codes()) > 1)
    )
    held = st.session_state.get(_PAGES_KEY)
    if held is None or held[0] != shown:
        held = (shown, [st.Page(path, title=title, icon=icon) for path, title, icon in shown])
        st.session_state[_PAGES_KEY] = held
    return held[1]
