"""Warm AppTest reruns of Home and the invoice list, beside a bare page showing the same frame."""

from __future__ import annotations

import os
import pickle
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import ROOT, Row, Section, Size, paired, timed
from bench.generate import Dataset

TARGET = 2.0
ENTRY = str(ROOT / "portal_app.py")
LIST_PAGE = "app_pages/documents.py"
# The floor: a bare page drawing the same pandas frame; loading it is cached, as the portal's
# own reads are on a warm run, so only the drawing is timed.
BARE_TABLE = """
import pickle
import streamlit as st

@st.cache_resource
def _load():
    with open({path!r}, "rb") as handle:
        return pickle.load(handle)

st.dataframe(_load(), hide_index=True)
"""
# A second, wider floor for Home: the same metrics, charts and table, from cached values.
BARE_HOME = """
import pickle
import plotly.graph_objects as go
import streamlit as st

@st.cache_resource
def _load():
    with open({path!r}, "rb") as handle:
        return pickle.load(handle)

metrics, charts, frame = _load()
st.title("Home")
for currency, values in metrics.items():
    st.subheader(currency)
    for column, (label, value) in zip(st.columns(4), values):
        column.metric(label, value)
    labels, amounts = charts[currency]
    st.plotly_chart(go.Figure(go.Bar(x=labels, y=amounts)), key=currency)
st.dataframe(frame, hide_index=True)
"""


def _logged_in(ds: Dataset, username: str) -> Any:
    """The real entry file with AppTest, logged in through the real form."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(ENTRY, default_timeout=300)
    at.run()
    by_label = {t.label: t for t in at.text_input}
    by_label["Username"].input(username)
    by_label["Password"].input(ds.password)
    next(b for b in at.button if b.label == "Login").click()
    at.run()
    at.run()
    if at.exception or at.session_state["authentication_status"] is not True:
        raise RuntimeError(f"the benchmark buyer could not log in: {at.exception}")
    return at


def _shown(at: Any, title: str) -> None:
    titles = [t.value for t in at.title]
    if title not in titles or at.exception:
        raise RuntimeError(f"expected the page {title!r}, saw {titles} {at.exception}")


def _bare(script: str, data: Any, workdir: Path, name: str) -> Any:
    """A bare Streamlit script with its data pickled beside it, run once (so warm)."""
    from streamlit.testing.v1 import AppTest

    path = workdir / f"{name}.pickle"
    path.write_bytes(pickle.dumps(data))
    at = AppTest.from_string(script.format(path=str(path)), default_timeout=300)
    at.run()
    return at


def _home_content(ds: Dataset, code: str, as_of: date) -> tuple[Any, Any, Any]:
    """What Home draws for the account: metric texts, chart bars and the recent frame."""
    from lib import display, ledger_queries, queries, store
    from lib.access import AccountGrant, Principal

    who = Principal("bench", "buyer", frozenset({AccountGrant(code)}))
    with store.session_scope(ds.url) as session:
        scope = queries.scope_for(session, who, code)
        balances = ledger_queries.balances(session, scope, as_of)
        aging = ledger_queries.aging(session, scope, as_of)
        recent = queries.document_list(session, scope, as_of=as_of, limit=10)
        full = queries.document_list(session, scope, as_of=as_of)
    metrics = {c: [(k, display.money_text(v, c)) for k, v in (
        ("Total outstanding", b.outstanding), ("Overdue", b.overdue),
        ("Credit available", b.credit_available), ("Next amount due", b.next_due_amount))]
        for c, b in balances.items()}  # fmt: skip
    charts = {c: ([label for label, _ in a.rows()], [float(v) for _, v in a.rows()])
              for c, a in aging.items()}  # fmt: skip
    return (metrics, charts, recent), recent, full


def _stub_cookies() -> None:
    """AppTest's cookie mock claims every cookie exists: the login library must see none."""
    from streamlit_authenticator.models import cookie_model

    cookie_model.CookieModel.get_cookie = lambda self: None


def _home_rows(section: Section, at: Any, home: tuple[Any, Any], workdir: Path,
               runs: int) -> None:  # fmt: skip
    """Home's warm rerun beside the bare table, and beside a bare page of all it draws."""
    home_data, recent = home
    _shown(at, "Home")
    bare = _bare(BARE_TABLE, recent, workdir, "recent")
    section.add(Row("Home: warm rerun", *paired(at.run, bare.run, runs), TARGET,
                    note=f"floor: st.dataframe of the same {len(recent)}-row frame"))
    bare = _bare(BARE_HOME, home_data, workdir, "home")
    section.add(Row("Home: warm rerun, beside a bare page of the same metrics, charts, table",
                    *paired(at.run, bare.run, runs), note="informative, no target"))
    _shown(at, "Home")


def _list_rows(section: Section, at: Any, full: Any, workdir: Path, runs: int) -> float:
    """The list's warm rerun beside the bare table; returns its first (cold cache) run."""
    at.switch_page(LIST_PAGE)
    first, _ = timed(at.run)
    _shown(at, "Invoices and credit notes")
    bare = _bare(BARE_TABLE, full, workdir, "list")
    section.add(Row(f"invoice list: warm rerun ({len(full):,} rows)",
                    *paired(at.run, bare.run, runs), TARGET,
                    note=f"floor: st.dataframe of the same {len(full):,}-row frame"))
    _shown(at, "Invoices and credit notes")
    return first


def run(ds: Dataset, size: Size, workdir: Path) -> Section:
    """Log in once, then time warm reruns of Home and the list against bare pages."""
    import streamlit as st

    from lib import clock

    section = Section("pages", "3. Pages (issue 3): warm AppTest runs for the largest account")
    os.environ["PORTAL_DATA_DIR"] = ds.data_dir
    _stub_cookies()
    st.cache_data.clear()
    st.cache_resource.clear()
    runs, username = 2 * size.runs + 1, ds.buyers[0][0]
    home_data, recent, full = _home_content(ds, ds.largest_code, clock.today())
    login_seconds, at = timed(lambda: _logged_in(ds, username))
    _home_rows(section, at, (home_data, recent), workdir, runs)
    first = _list_rows(section, at, full, workdir, runs)
    section.notes.append(
        f"Buyer {username} of {ds.largest_code}, logged in through the real form once "
        f"({login_seconds:.1f} s including the first, cold run); then the median of {runs} "
        f"reruns of the same AppTest after a warm-up, alternating with the floor's reruns. The "
        f"list's first run (its cache cold) took {first:.2f} s. Pages use today's date "
        f"({clock.today()}). AppTest compiles the scripts again on every run, the portal's "
        "two files as well as the floor's one.")
    return section
