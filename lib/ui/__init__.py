"""Streamlit helpers: settings, the store's version, the current user, guards and widgets.

The login itself is in lib/ui/login.py, the buyer pages' shared reads in lib/ui/views.py.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Hashable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Optional, TypeVar, cast

import streamlit as st
from sqlmodel import Session

from lib import access, audit, inbox, people, queries, store
from lib.access import Principal
from lib.errors import PortalError
from lib.settings import Settings, load_settings

LOGIN_FAILED = (
    "Username or password is not correct. After five failed attempts in a row, "
    "logins for that username pause for 15 minutes."
)
NOT_AVAILABLE = "This page is not available."
ACCOUNT_KEY = "portal_account"
VIEW_AS_KEY = "portal_view_as"
_VERSION = "portal_store_version"  # the store's version as read at the start of this run
_WATCHER_CHECKED = "portal_watcher_checked"  # when this session last made sure of the watcher
WATCHER_CHECK_SECONDS = 30.0
T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def app_settings() -> Settings:
    """The process's settings (data folder, cookie key), built once."""
    return load_settings()


@st.cache_resource(show_spinner=False, validate=lambda watcher: watcher.is_alive())
def _inbox_watcher(inbox_dir: str) -> inbox.Watcher:
    # Keyed by the folder so that a changed data folder (tests) gets its own watcher.
    return inbox.ensure_watcher(app_settings())


def start_inbox_watcher() -> None:
    """Make sure this process watches the drop folder (usually already started with the server).

    Checked at most every half minute per session: the watcher's thread never ends by itself.
    """
    now = time.monotonic()
    checked = st.session_state.get(_WATCHER_CHECKED)
    if not isinstance(checked, float) or now - checked >= WATCHER_CHECK_SECONDS:
        _inbox_watcher(str(app_settings().inbox))
        st.session_state[_WATCHER_CHECKED] = now


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


def refresh_version() -> int:
    """Read the store's version for this run (the router does, first thing)."""
    found = store.current_version(db_url())
    st.session_state[_VERSION] = found
    return found


def store_version() -> int:
    """This run's store version, as the router read it (read now if a page runs alone)."""
    found = st.session_state.get(_VERSION)
    return found if isinstance(found, int) else refresh_version()


def data_version() -> str:
    """This run's store version as a cache key (what queries.data_version gives too)."""
    return f"v{store_version()}"


def session_memo(name: str, key: Hashable, read: Callable[[Session], T]) -> T:
    """A small store read kept in this session's own state while the store version stays.

    Per session, so nothing of one person is ever served to another; cheaper on every run
    than a shared cache, and read again after any write that could change it.
    """
    slot, wanted = f"portal_memo_{name}", (store_version(), key)
    held = st.session_state.get(slot)
    if isinstance(held, tuple) and len(held) == 2 and held[0] == wanted:
        return cast(T, held[1])
    with unit_of_work() as session:
        value = read(session)
    st.session_state[slot] = (wanted, value)
    return value


def needs_first_admin() -> bool:
    """True on an empty store: the first visitor creates the first administrator."""
    return session_memo("no_contacts", None, lambda s: people.count_contacts(s) == 0)


def visible_accounts(who: Principal) -> list[tuple[str, str]]:
    """(code, name) of the accounts the person may see."""
    codes = None if who.is_staff else sorted(who.account_codes())
    key = None if codes is None else tuple(codes)
    return list(session_memo("accounts", key, lambda s: queries.accounts_named(s, codes)))


def account_scope(who: Principal, code: str) -> queries.Scope:
    """The person's scope in an account."""
    queries.require_view(who, code)  # before any read: an account they may not see is unknown
    return queries.scope_in(who, session_memo("account", code,
                                              lambda s: queries.account_entry(s, code)))


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
    code = st.session_state.get(ACCOUNT_KEY)
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
        st.session_state.pop(ACCOUNT_KEY, None)
        return
    codes = [code for code, _ in allowed_choices]
    names = dict(allowed_choices)
    current = st.session_state.get(ACCOUNT_KEY)
    index = codes.index(current) if current in codes else 0
    chosen = st.sidebar.selectbox(
        "Account", codes, index=index, format_func=lambda c: f"{c} · {names[c]}",
        disabled=len(codes) == 1,
    )
    st.session_state[ACCOUNT_KEY] = chosen


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
    st.session_state[VIEW_AS_KEY] = (account_code, contact or "", grants)
    st.session_state[ACCOUNT_KEY] = account_code


def viewing_as(staff: Principal) -> Optional[Principal]:
    """The buyer-like principal a member of staff is viewing as, if any."""
    state = st.session_state.get(VIEW_AS_KEY)
    if not state or not access.allowed(staff, "view_as_buyer"):
        st.session_state.pop(VIEW_AS_KEY, None)
        return None
    _, _, grants = state
    return Principal(username=staff.username, role="buyer", grants=grants,
                     viewed_by=staff.username)


def view_as_banner(staff: Principal) -> None:
    """The banner over every page while viewing as a buyer, with the way back."""
    account_code, contact, _ = st.session_state[VIEW_AS_KEY]
    whom = f"the contact {contact}" if contact else f"a buyer of account {account_code}"
    st.warning(f"Viewing as {whom}, read-only. Nothing you open here counts as the buyer's "
               "activity.", icon=":material/visibility:")
    if st.sidebar.button("Stop viewing as buyer", key="portal_stop_view_as"):
        st.session_state.pop(VIEW_AS_KEY, None)
        st.session_state.pop(ACCOUNT_KEY, None)
        st.rerun()


# Tables' own "Download as CSV" writes feed text unneutralised ('=HYPERLINK(...)' would stay a
# live formula in a spreadsheet): it is hidden; each page offers neutralised downloads instead.
_PAGE_STYLE = (
    "<style>"
    # st.dataframe's own CSV export writes raw cells: the pages offer neutralised downloads.
    'button[aria-label="Download as CSV"]{display:none !important;}'
    # A metric cut its value short ("1,200.00 G…") when four share a row: smaller, and wrapped.
    '[data-testid="stMetricValue"]{font-size:1.75rem;}'
    '[data-testid="stMetricValue"] > div{white-space:normal;overflow-wrap:anywhere;}'
    "</style>"
)


def page_style() -> None:
    """The portal's constant style on every page (no feed data in it)."""
    st.html(_PAGE_STYLE)


CHART_COLOUR = "#0068c9"  # the first colour of Streamlit's chart theme


def aging_figure(rows: Sequence[tuple[str, Any]], currency: str, title: str) -> Any:
    """A plotly bar chart of aging buckets in one currency (floats only to draw the bars)."""
    import html

    import plotly.graph_objects as go

    from lib import display

    chart = go.Figure(go.Bar(
        x=[label for label, _ in rows], y=[float(amount) for _, amount in rows],
        text=[html.escape(display.money_text(amount, currency)) for _, amount in rows],
        marker_color=CHART_COLOUR, cliponaxis=False,  # a short negative bar's label in full
    ))  # fmt: skip
    # Plotly reads a few HTML tags in titles: the text (a currency code from the feed) is escaped.
    # An empty template: Streamlit's chart theme draws fonts, grid and background anyway, and
    # Plotly's own template is nine tenths of the figure, copied and sent on every run.
    chart.update_layout(title=html.escape(title), height=300, margin={"t": 40, "b": 20},
                        template=go.layout.Template())  # fmt: skip
    return chart


def show_chart(chart: Any, key: str) -> None:
    """Draw a chart made by aging_figure (which may be cached: it is only read here)."""
    st.plotly_chart(chart, key=key, config={"displayModeBar": False})


@st.cache_resource(max_entries=256, show_spinner=False)
def _aging_figure(rows: tuple[tuple[str, Any], ...], currency: str, title: str) -> Any:
    # Built once per distinct chart (plotly checks every property as it builds); shared and
    # never changed after: st.plotly_chart reads a copy of it.
    return aging_figure(rows, currency, title)


def aging_chart(rows: list[tuple[str, Any]], currency: str, title: str, key: str) -> None:
    """A bar chart of aging buckets in one currency."""
    show_chart(_aging_figure(tuple(rows), currency, title), key)
