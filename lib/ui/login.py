"""Streamlit login: the form, the login cookie, the session check on every run, the logout.

A session stays valid while the person's contact row says so (not disabled, a password set, no
logout, password change or disablement since it started): that row is read again whenever the
store's version moves, which every such write does, in any process (lib/versions.py).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Optional

import jwt
import streamlit as st
from sqlmodel import Session

from lib import auth, clock, logins, people, portal_settings, ui
from lib.access import Principal

if TYPE_CHECKING:
    import streamlit_authenticator as stauth

_STARTED = "portal_session_started"
# The login cookie this session writes into the browser: (token, expiry as an HTTP date,
# max-age in seconds), fixed when it is minted so every run draws the same script.
_COOKIE_PENDING = "portal_cookie_pending"
# Set by Log out: the login page then removes the cookie from the browser.
_COOKIE_FORGET = "portal_cookie_forget"
# Set when this session's login ends: the cookie the browser sent when it connected is never
# used again by this session (a reload sends the browser's current one).
_COOKIE_SPENT = "portal_cookie_spent"
# Set when a session ended by itself (logout elsewhere, disablement, time): the login page says so.
_ENDED = "portal_session_ended"
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


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
        with ui.unit_of_work() as session:
            entry = logins.credential_entry(session, username, self.now)
        self[username] = entry
        return entry


class _NoCookieComponent:
    """Stands in for the login library's cookie component (extra_streamlit_components).

    The portal reads the login cookie from the request (st.context.cookies, as the library's
    own check does) and writes and removes it with a page script, so the component served no
    purpose; drawn on the login page, it loaded a second frame and then reported the browser's
    cookies, which reran the script and lost a Login click made meanwhile.
    """

    def __init__(self, *_: Any, **__: Any) -> None:
        pass

    def set(self, *_: Any, **__: Any) -> None:
        pass  # never asked: cookie expiry 0 makes the library write no cookie of its own

    def delete(self, *_: Any, **__: Any) -> None:
        pass  # never asked: the portal logs out with its own button (logout_button)


def _authenticator(now: datetime) -> tuple[stauth.Authenticate, _StoreDirectory]:
    # Imported here, inside a script run: serving portal_app.py as an st.App imports this
    # module before Streamlit's runtime exists.
    import streamlit_authenticator as stauth
    from streamlit_authenticator.models import cookie_model

    cookie_model.stx = SimpleNamespace(CookieManager=_NoCookieComponent)
    settings = ui.app_settings()
    # Expiry 0: the library does not write its own cookie; we mint ours with an issue time.
    authenticator = stauth.Authenticate(
        {"usernames": {}}, settings.cookie_name, settings.cookie_key, 0,
        auto_hash=False, login_sleep_time=0,
    )
    directory = _StoreDirectory(now)
    model = authenticator.authentication_controller.authentication_model
    model.credentials["usernames"] = directory
    return authenticator, directory


def _cookie_session(now: datetime) -> Optional[tuple[str, datetime]]:
    """Whose login the browser's cookie holds and when it started, if the cookie is ours,
    valid, not revoked and younger than the session length."""
    settings = ui.app_settings()
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
    if now - started > _session_length():  # the administrator shortened sessions since
        return None
    with ui.unit_of_work() as session:
        ok = logins.session_valid(session, claims["username"], started)
    return (claims["username"], started) if ok else None


def _session_length() -> timedelta:
    """How long a login lasts: the administrator's setting (read again when it changes)."""
    return timedelta(hours=ui.session_memo("session_hours", None, portal_settings.session_hours))


def _mint_cookie(username: str, now: datetime) -> None:
    """Issue this login's cookie; `write_login_cookie` draws its script from this run on."""
    settings = ui.app_settings()
    expires = now + _session_length()
    token = jwt.encode(
        {"username": username, "exp_date": expires.timestamp(), "iat": now.timestamp()},
        settings.cookie_key, algorithm="HS256",
    )
    http_date = expires.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
    st.session_state[_COOKIE_PENDING] = (token, http_date, int(_session_length().total_seconds()))
    st.session_state.pop(_COOKIE_FORGET, None)


def cookie_script(name: str, token: str, http_date: str, max_age: int) -> str:
    """The page script that stores the login cookie (path /, same-site strict, https only
    when the portal is served over https). Name and token are JSON strings, `<` escaped."""

    def js(text: str) -> str:
        return json.dumps(text).replace("<", "\\u003c")

    return (
        "<script>document.cookie = " + js(name) + " + '=' + " + js(token)
        + f" + '; path=/; max-age={int(max_age)}; expires=' + " + js(http_date)
        + " + '; samesite=strict' + (location.protocol === 'https:' ? '; secure' : '');"
        "</script>"
    )


def write_login_cookie() -> None:
    """Draw, at the end of the sidebar, the script that stores this login's cookie.

    Drawn on every run of the session: a run after the login run, or a page drawn before the
    browser ran the script, still writes it. The login library's cookie component reported
    back once it had written a cookie, and that report reran the script on the page the browser
    showed when it was sent: a sidebar click made just after logging in was undone. The script
    reports nothing, so no rerun follows a login.
    """
    pending = st.session_state.get(_COOKIE_PENDING)
    if pending is None:
        return
    token, http_date, max_age = pending
    script = cookie_script(ui.app_settings().cookie_name, token, http_date, max_age)
    st.sidebar.html(script, unsafe_allow_javascript=True)


def authenticate() -> Optional[Principal]:
    """Run the login (cookie or form) and return the current principal, or None.

    The login library draws the form and checks a typed password, nothing else: the portal
    resumes a session from its cookie itself, and a logged-in run needs none of the library.
    """
    now = clock.now()
    if not st.session_state.get("authentication_status"):
        _log_in(now)
    principal = _current_principal(now)
    if principal is None and st.session_state.get("authentication_status"):
        _end_session()
        st.session_state[_ENDED] = True
        st.rerun()  # the next run draws the login form, with the notice
    return principal


def _log_in(now: datetime) -> None:
    if st.session_state.pop(_ENDED, False):
        st.info("Your session has ended. Please log in again.")
    if not st.session_state.get(_COOKIE_SPENT) and _cookie_login(now):
        return
    authenticator, directory = _authenticator(now)
    st.session_state["logout"] = True  # the library never logs in by cookie: _cookie_login does
    slot = st.empty()
    with slot.container():
        authenticator.login(location="main", key="portal_login")
    _after_password_attempt(directory, slot, now)
    if not st.session_state.get("authentication_status") and st.session_state.pop(
        _COOKIE_FORGET, False
    ):
        # After Log out the ended login's cookie is removed from the browser (it is refused
        # anyway), once: drawn again later, it could remove a newer login of another tab.
        script = cookie_script(ui.app_settings().cookie_name, "", _EPOCH, 0)
        st.html(script, unsafe_allow_javascript=True)


def _cookie_login(now: datetime) -> bool:
    """Resume the session the browser's login cookie holds; False if it holds none."""
    found = _cookie_session(now)
    if found is None:
        return False
    username, started = found
    st.session_state.update({"authentication_status": True, "username": username,
                             "logout": False, _STARTED: started.timestamp()})  # fmt: skip
    with ui.unit_of_work() as session:
        logins.record_success(session, username, now, via="cookie")
    return True


def _end_session() -> None:
    """Forget this session's login, as the login library's own logout does."""
    st.session_state["logout"] = True
    for key in ("name", "username", "authentication_status", "email", "roles"):
        st.session_state[key] = None
    for key in (_STARTED, _COOKIE_PENDING, ui.ACCOUNT_KEY, ui.VIEW_AS_KEY):
        st.session_state.pop(key, None)
    st.session_state[_COOKIE_SPENT] = True


def _after_password_attempt(directory: _StoreDirectory, slot: Any, now: datetime) -> None:
    status = st.session_state.get("authentication_status")
    username = st.session_state.get("username") or ""
    if status:
        # The cookie is minted before anything is drawn: a rerun asked for meanwhile stops a
        # run at its next element, and a login interrupted there had no cookie to write, so a
        # reload asked to log in again.
        st.session_state[_STARTED] = now.timestamp()
        _mint_cookie(username, now)
        with ui.unit_of_work() as session:
            logins.record_success(session, username, now, via="password")
        slot.empty()
    elif directory.typed:
        with ui.unit_of_work() as session:
            logins.record_failure(session, directory.typed[-1], now, ui.app_settings())
    if status is False:
        st.error(ui.LOGIN_FAILED)


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
    return _member(username, started_at)


def _member(username: str, started_at: datetime) -> Optional[Principal]:
    """The person this session acts for, or None once the session was ended.

    Read again whenever the store's version moves: a logout, password change, disablement or
    grant change, by any session or process, moves it.
    """

    def read(session: Session) -> Optional[Principal]:
        if not logins.session_valid(session, username, started_at):
            return None
        return people.principal_for(session, username)

    return ui.session_memo("member", (username, started_at), read)


def logout_button(principal: Principal) -> None:
    """The sidebar's log-out button: ends every session and cookie of this person."""

    def _on_logout() -> None:
        with ui.unit_of_work() as session:
            logins.record_logout(session, principal.username, clock.now())
        _end_session()
        st.session_state[_COOKIE_FORGET] = True

    st.sidebar.button("Log out", key="portal_logout", on_click=_on_logout)
