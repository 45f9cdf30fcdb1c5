"""The router: page config, the login, the pages this person's role may see, navigation."""

from __future__ import annotations

import streamlit as st

from lib import ui
from lib.ui import login as ui_login
from lib.ui import navigation as ui_navigation

st.set_page_config(page_title="Invoice portal", page_icon=":material/receipt_long:", layout="wide")


def main() -> None:
    """Log in, then register and run only the pages this person may open."""
    ui.start_inbox_watcher()
    ui.refresh_version()  # once per run: every cached read below is keyed by it
    if "link" in st.query_params:
        # A one-time link: only the set-password page, without the login form.
        st.navigation(ui_navigation.link_pages(), position="hidden").run()
        return
    empty = ui.needs_first_admin()
    who = None if empty else ui_login.authenticate()
    if who is None:
        st.session_state.pop("portal_principal", None)
        st.navigation(ui_navigation.anonymous_pages(empty), position="hidden").run()
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
    ui_login.logout_button(who)
    ui_login.write_login_cookie()
    st.navigation(ui_navigation.member_pages(acting)).run()


if __name__ == "__main__":  # each run of the router, for every visitor
    main()
else:
    # `streamlit run portal_app.py` finds this app and serves it: its lifespan starts the
    # drop-folder watcher with the server, before anyone opens a page.
    app = st.App(__file__, lifespan=ui.server_lifespan)
