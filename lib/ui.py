"""Streamlit helpers: settings, the login, the current user, guards and shared widgets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Optional

import jwt
import streamlit as st
from sqlmodel import Session

from lib import access, audit, auth, clock, inbox, logins, people, portal_settings, store
from lib.access import Principal
from lib.errors import PortalError
from lib.settings import Settings, load_settings

if TYPE_CHECKING:
    import streamlit_authenticator as stauth

LOGIN_FAILED = (
    "Username or password is not correct. After five failed attempts in a row, "
    "logins for that username pause for 15 minutes."
)
NOT_AVAILABLE = "This page is not available."
_STARTED = "portal_session_started"
_ACCOUNT = "portal_account"


@st.cache_resource(show_spinner=False)
def app_settings() -> Settings:
    """The process's settings (data folder, cookie key), built once."""
    return load_settings()


@st.cache_resource(show_spinner=False, validate=lambda watcher: watcher.is_alive())
def _inbox_watcher(inbox_dir: str) -> inbox.Watcher:
    # Keyed by the folder so that a changed data folder (tests) gets its own watcher.
    return inbox.ensure_watcher(app_settings())


def start_inbox_watcher() -> None:
    """Make sure this process watches the drop folder (usually already started with the server)."""
    _inbox_watcher(str(app_settings().inbox))


@asynccontextmanager
async def server_lifespan(app: object) -> AsyncIterator[None]:
    """The server's start and stop (portal_app.py's st.App): the drop folder from the start."""
    async with inbox.lifespan(app):
        yield


def db_url() -> str:
    """The database URL of this installation."""
    return app_settings().database_url


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A store session for one action of a page."""
    with store.session_scope(db_url()) as session:
        yield session


def needs_first_admin() -> bool:
    """True on an empty store: the first visitor creates the first administrator."""
    with unit_of_work() as session:
        return people.count_contacts(session) == 0


class _StoreDirectory(dict):  # type: ignore[type-arg]  # the library expects a plain dict
    """The login library's `usernames` map, answered from the store when a name is typed."""

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self.now = now
        self.typed: list[str] = []

    def __contains__(self, username: object) -> bool:
        # Every name "exists": unknown ones get the decoy hash, so they cost one bcrypt too.
        return isinstance(username, str)

    def __missing__(self, username: str) -> dict[str, Any]:
        self.typed.append(username)
        with unit_of_work() as session:
            entry = logins.credential_entry(session, username, self.now)
        self[username] = entry
        return entry


def _authenticator(now: datetime) -> tuple[stauth.Authenticate, _StoreDirectory]:
    # Imported here, inside a script run: serving portal_app.py as an st.App imports this
    # module before Streamlit's runtime exists, and a component declared then (the library's
    # cookie component) is never registered, so no login cookie could ever be set.
    import streamlit_authenticator as stauth

    settings = app_settings()
    # Expiry 0: the library does not write its own cookie; we mint ours with an issue time.
    authenticator = stauth.Authenticate(
        {"usernames": {}}, settings.cookie_name, settings.cookie_key, 0,
        auto_hash=False, login_sleep_time=0,
    )
    directory = _StoreDirectory(now)
    model = authenticator.authentication_controller.authentication_model
    model.credentials["usernames"] = directory
    return authenticator, directory


def _cookie_started_at(now: datetime) -> Optional[datetime]:
    """When the browser's login cookie was issued, if it is ours, valid and not revoked."""
    settings = app_settings()
    raw = st.context.cookies.get(settings.cookie_name)
    claims = auth.cookie_claims(raw, settings.cookie_key, now)
    if claims is None:
        return None
    issued = claims.get("iat")
    started = (
        datetime.fromtimestamp(float(issued), tz=timezone.utc)
        if isinstance(issued, (int, float))
        else auth.cookie_issued_at(claims, settings.cookie_expiry_days)
    )
    with unit_of_work() as session:
        ok = logins.session_valid(session, claims["username"], started)
    return started if ok else None


def _session_length() -> timedelta:
    """How long a login lasts: the administrator's setting."""
    with unit_of_work() as session:
        return timedelta(hours=portal_settings.session_hours(session))


def _mint_cookie(authenticator: stauth.Authenticate, username: str, now: datetime) -> None:
    settings = app_settings()
    expires = now + _session_length()
    token = jwt.encode(
        {"username": username, "exp_date": expires.timestamp(), "iat": now.timestamp()},
        settings.cookie_key, algorithm="HS256",
    )
    manager = authenticator.cookie_controller.cookie_model.cookie_manager
    manager.set(settings.cookie_name, token, key="portal_set_cookie",
                expires_at=expires.replace(tzinfo=None), same_site="strict")


def authenticate() -> tuple[Optional[Principal], Optional[stauth.Authenticate]]:
    """Run the login (form or cookie) and return the current principal, or None."""
    now = clock.now()
    authenticator, directory = _authenticator(now)
    if not st.session_state.get("authentication_status"):
        cookie_started = _cookie_started_at(now)
        # The library may use the cookie only when we found it valid and not revoked.
        st.session_state["logout"] = cookie_started is None
        slot = st.empty()
        with slot.container():
            authenticator.login(location="main", key="portal_login")
        _after_login_attempt(authenticator, directory, slot, now, cookie_started)
    principal = _current_principal(now)
    if principal is None and st.session_state.get("authentication_status"):
        authenticator.logout(location="unrendered")
        st.info("Your session has ended. Please log in again.")
        st.session_state.pop(_STARTED, None)
    return principal, authenticator


def _after_login_attempt(
    authenticator: stauth.Authenticate,
    directory: _StoreDirectory,
    slot: Any,
    now: datetime,
    cookie_started: Optional[datetime],
) -> None:
    status = st.session_state.get("authentication_status")
    username = st.session_state.get("username") or ""
    settings = app_settings()
    if status and cookie_started is not None and not directory.typed:
        st.session_state[_STARTED] = cookie_started.timestamp()
        with unit_of_work() as session:
            logins.record_success(session, username, now, via="cookie")
        slot.empty()
    elif status:
        st.session_state[_STARTED] = now.timestamp()
        with unit_of_work() as session:
            logins.record_success(session, username, now, via="password")
        slot.empty()
        _mint_cookie(authenticator, username, now)
    elif directory.typed:
        with unit_of_work() as session:
            logins.record_failure(session, directory.typed[-1], now, settings)
    if status is False:
        st.error(LOGIN_FAILED)


def _current_principal(now: datetime) -> Optional[Principal]:
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username") or ""
    started = st.session_state.get(_STARTED)
    if not isinstance(started, (int, float)):
        return None
    started_at = datetime.fromtimestamp(float(started), tz=timezone.utc)
    if now - started_at > _session_length():
        return None
    with unit_of_work() as session:
        if not logins.session_valid(session, username, started_at):
            return None
        return people.principal_for(session, username)


def logout_button(authenticator: stauth.Authenticate, principal: Principal) -> None:
    """The sidebar's log-out button: ends every session and cookie of this person."""

    def _on_logout(_: dict[str, Any]) -> None:
        with unit_of_work() as session:
            logins.record_logout(session, principal.username, clock.now())
        for key in (_STARTED, _ACCOUNT, "portal_view_as"):
            st.session_state.pop(key, None)

    authenticator.logout("Log out", location="sidebar", key="portal_logout", callback=_on_logout)


def principal() -> Principal:
    """The logged-in person, set by the router for this run (pages call `require`)."""
    who = st.session_state.get("portal_principal")
    if not isinstance(who, Principal):
        st.error(NOT_AVAILABLE)
        st.stop()
    return who


def require(action: str) -> Principal:
    """Stop the page unless the current person may do `action`."""
    who = principal()
    if not access.allowed(who, action):
        st.error(NOT_AVAILABLE)
        st.stop()
    return who


def require_account(who: Principal) -> str:
    """The account chosen in the switcher, checked again against the person's access."""
    code = st.session_state.get(_ACCOUNT)
    if not isinstance(code, str) or not access.may_view_any_part(who, code):
        st.info("Choose an account in the sidebar.") if who.is_staff else st.info(
            "No account is linked to your login yet: please contact the wholesaler."
        )
        st.stop()
    return code


def account_switcher(who: Principal, choices: list[tuple[str, str]]) -> None:
    """The sidebar's account choice; only accounts this person may see are offered."""
    allowed_choices = [(c, name) for c, name in choices if access.may_view_any_part(who, c)]
    if not allowed_choices:
        st.session_state.pop(_ACCOUNT, None)
        return
    codes = [code for code, _ in allowed_choices]
    names = dict(allowed_choices)
    current = st.session_state.get(_ACCOUNT)
    index = codes.index(current) if current in codes else 0
    chosen = st.sidebar.selectbox(
        "Account", codes, index=index, format_func=lambda c: f"{c} · {names[c]}",
        disabled=len(codes) == 1,
    )
    st.session_state[_ACCOUNT] = chosen


def run_action(action: Callable[[], Any], success: str = "") -> bool:
    """Run a page action, showing a PortalError as a message instead of a traceback."""
    try:
        action()
    except PortalError as exc:
        st.error(str(exc))
        return False
    if success:
        st.success(success)
    return True


def base_url() -> str:
    """The portal's address as this browser reached it, for links shown to copy."""
    url = st.context.url
    if isinstance(url, str) and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0]}"
    return app_settings().base_url


_VIEW_AS = "portal_view_as"


def start_view_as(staff: Principal, account_code: str, contact: Optional[str] = None) -> None:
    """Let a member of staff see an account exactly as a buyer does (read-only, audited).

    With `contact`, the view has that contact's grants (branch limits included); without,
    it shows the whole account.
    """
    if not access.allowed(staff, "view_as_buyer"):
        return
    with unit_of_work() as session:
        buyer = people.principal_for(session, contact) if contact else None
        audit.record(session, staff.username, "view_as_buyer", account_code=account_code,
                     target=contact or "")
    grants = buyer.grants if buyer is not None and buyer.role == "buyer" else frozenset(
        {access.AccountGrant(account_code)}
    )
    st.session_state[_VIEW_AS] = (account_code, contact or "", grants)
    st.session_state[_ACCOUNT] = account_code


def viewing_as(staff: Principal) -> Optional[Principal]:
    """The buyer-like principal a member of staff is viewing as, if any."""
    state = st.session_state.get(_VIEW_AS)
    if not state or not access.allowed(staff, "view_as_buyer"):
        st.session_state.pop(_VIEW_AS, None)
        return None
    _, _, grants = state
    return Principal(username=staff.username, role="buyer", grants=grants,
                     viewed_by=staff.username)


def view_as_banner(staff: Principal) -> None:
    """The banner over every page while viewing as a buyer, with the way back."""
    account_code, contact, _ = st.session_state[_VIEW_AS]
    whom = f"the contact {contact}" if contact else f"a buyer of account {account_code}"
    st.warning(f"Viewing as {whom}, read-only. Nothing you open here counts as the buyer's "
               "activity.", icon=":material/visibility:")
    if st.sidebar.button("Stop viewing as buyer", key="portal_stop_view_as"):
        st.session_state.pop(_VIEW_AS, None)
        st.session_state.pop(_ACCOUNT, None)
        st.rerun()


# Tables' own "Download as CSV" writes feed text unneutralised ('=HYPERLINK(...)' would stay a
# live formula in a spreadsheet): it is hidden; each page offers neutralised downloads instead.
_HIDE_RAW_TABLE_EXPORT = (
    '<style>button[aria-label="Download as CSV"]{display:none !important;}</style>'
)


def hide_raw_table_exports() -> None:
    """Hide st.dataframe's raw CSV export on every page (a constant style, no feed data)."""
    st.html(_HIDE_RAW_TABLE_EXPORT)


def aging_chart(rows: list[tuple[str, Any]], currency: str, title: str, key: str) -> None:
    """A bar chart of aging buckets in one currency (floats only to draw the bars)."""
    import html

    import plotly.graph_objects as go

    from lib import display

    chart = go.Figure(go.Bar(
        x=[label for label, _ in rows], y=[float(amount) for _, amount in rows],
        text=[html.escape(display.money_text(amount, currency)) for _, amount in rows],
    ))  # fmt: skip
    # Plotly reads a few HTML tags in titles: the text (a currency code from the feed) is escaped.
    chart.update_layout(title=html.escape(title), height=300, margin={"t": 40, "b": 20})
    st.plotly_chart(chart, key=key, config={"displayModeBar": False})
