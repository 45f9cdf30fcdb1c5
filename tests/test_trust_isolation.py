"""Isolation property: whoever asks, every read, file and page holds only what they were granted.

One fixed store (tests/trust_store.py) where every text names its account and branch; hypothesis
draws the person (role, grants on accounts and branches, some for accounts or branches that do
not exist), the account asked for, the documents probed and the read or file. The oracle is the
rule of DESIGN.md written out in the test, not lib.access.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import (
    downloads,
    ledger_queries,
    models,
    people,
    queries,
    statements,
    store,
)
from lib.access import AccountGrant, Principal
from lib.errors import NotFound
from tests import trust_pages as tp
from tests import trust_store as ts
from tests.trust_figures import Tally
from tests.trust_reads import CHECKS, COVERED_ELSEWHERE, Probe, not_found

# The tally and the module's store are shared by the examples on purpose.
SHARED = [HealthCheck.function_scoped_fixture]
ROLES = ("buyer", "buyer", "buyer", "buyer", "support", "finance", "admin")


@pytest.fixture(autouse=True)
def _fresh_sessions_are_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    tp.remember_component_scan(monkeypatch)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ts.Ledger]:
    """The fixed ledger, shared by every example of this module."""
    with ts.ledger_store(tmp_path_factory.mktemp("isolation") / "portal-data") as built:
        yield built


codes_and_branches = ts.grants_strategy_values()
grants = st.frozensets(
    st.builds(AccountGrant, st.sampled_from(codes_and_branches[0]),
              st.sampled_from(codes_and_branches[1])),
    max_size=4,
)  # fmt: skip


@st.composite
def principals(draw: st.DrawFn) -> Principal:
    """A person: mostly buyers with grants; staff, and staff viewing as a buyer."""
    role = draw(st.sampled_from(ROLES))
    if role != "buyer":
        return Principal("staff1", role)
    viewed_by = draw(st.sampled_from([None, None, None, "staff1"]))
    return Principal("buyer1", "buyer", draw(grants), viewed_by=viewed_by)


def _probe(session: Any, book: ts.Ledger, who: Principal, code: str, ids: list[int],
           tally: Tally) -> Probe | None:  # fmt: skip
    """The scope of `code` for `who`, checked against the oracle (None when none is due)."""
    assert sorted(c for c, _ in queries.visible_accounts(session, who)) == sorted(
        c for c in ts.CODES
        if ts.sees_any_part(who, c) and (who.is_staff or c in who.account_codes())
    )
    if not ts.sees_any_part(who, code):
        # Another account and no account at all give the same answer.
        not_found(lambda: queries.scope_for(session, who, code), "No such account.")
        # The parts pages compose from a cached account entry refuse alike.
        if code in ts.CODES:
            not_found(lambda: queries.require_view(who, code), "No such account.")
            entry = queries.account_entry(session, code)
            not_found(lambda: queries.scope_in(who, entry), "No such account.")
        else:
            not_found(lambda: queries.account_entry(session, code), "No such account.")
        tally["refused"] += 1
        return None
    scope = queries.scope_for(session, who, code)
    assert queries.scope_in(who, queries.account_entry(session, code)) == scope
    return Probe(session, book, who, code, scope, ids, tally)


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """Counts of cases, checks and leaks, recorded for docs/TRUST.md at the end of the test."""
    counts = Tally("isolation")
    yield counts
    counts["tests"] = 1
    counts.save()


def _ids(book: ts.Ledger) -> st.SearchStrategy[list[int]]:
    every = [d.id for d in book.docs]
    return st.lists(st.sampled_from([*every, max(every) + 1000, 0, -1]), min_size=1, max_size=5)


def test_every_scoped_read_is_in_the_table_of_checks() -> None:
    """A new query function must join CHECKS (or say where it is covered) to pass."""
    found = set()
    for module in (queries, ledger_queries, downloads):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            params = inspect.signature(fn).parameters
            if fn.__module__ == module.__name__ and not name.startswith("_") and (
                "scope" in params or "who" in params
            ):
                found.add(f"{module.__name__.removeprefix('lib.')}.{name}")
    assert found == set(CHECKS) | COVERED_ELSEWHERE


@settings(max_examples=750, deadline=None, suppress_health_check=SHARED)
@given(who=principals(), code=st.sampled_from([*ts.CODES, ts.NO_SUCH_CODE]),
       check=st.sampled_from(sorted(CHECKS)), data=st.data())  # fmt: skip
def test_reads_show_nothing_outside_the_grants(
    book: ts.Ledger, tally: Tally, who: Principal, code: str, check: str, data: st.DataObject
) -> None:
    tally["cases"] += 1
    with store.session_scope(book.url) as session:
        probe = _probe(session, book, who, code, data.draw(_ids(book)), tally)
        if probe is not None:
            CHECKS[check](probe)
            tally[check] += 1


FIXED_PEOPLE = [
    ts.buyer("whole", ("A1", None)),
    ts.buyer("north", ("A1", "North")),
    ts.buyer("two", ("A1", "North"), ("B4", "South"), ("A10", None)),
    ts.buyer("nowhere", ("A1", "West"), (ts.NO_SUCH_CODE, None)),
    ts.buyer("empty-branch", ("A3", "")),
    ts.buyer("none"),
    Principal("sam", "support"),
]


def test_every_read_for_fixed_people_and_every_account(book: ts.Ledger, tally: Tally) -> None:
    """The whole table, so no read depends on hypothesis drawing it."""
    every = [d.id for d in book.docs]
    with store.session_scope(book.url) as session:
        for who, code in itertools.product(FIXED_PEOPLE, [*ts.CODES, ts.NO_SUCH_CODE]):
            probe = _probe(session, book, who, code, every[::7] + [0, 10**6], tally)
            for check in CHECKS.values():
                tally["table cases"] += 1
                if probe is not None:
                    check(probe)


# ---- the files a buyer downloads ----------------------------------------------------------

FILES = ["list-csv", "list-xlsx", "pdf", "pdf-zip", "statement-pdf", "statement-xlsx",
         "statement-csv"]  # fmt: skip
def _contact(url: str, wanted: frozenset[AccountGrant]) -> Principal:
    return ts.contact(url, wanted)


def _download(book: ts.Ledger, who: Principal, code: str, kind: str, ids: list[int],
              statement_kind: str, currency: str) -> tuple[str, bytes]:  # fmt: skip
    url, folder = book.url, book.documents_dir
    if kind.startswith("list-"):
        fmt = kind.removeprefix("list-")
        return fmt, downloads.list_download(url, who, code, as_of=ts.AS_OF,
                                            filters=queries.DocumentFilter(), fmt=fmt)
    if kind == "pdf":
        return "pdf-raw", downloads.pdf_download(url, who, code, ids[0], folder)
    if kind == "pdf-zip":
        return "zip", downloads.pdf_zip_download(url, who, code, ids, folder)
    fmt = kind.removeprefix("statement-")
    request = downloads.StatementRequest(statement_kind, currency, ts.START, ts.AS_OF, ts.AS_OF)
    return fmt, downloads.statement_download(url, who, code, request, fmt=fmt, page_size="A4",
                                             data_dir=folder.parent)


@settings(max_examples=220, deadline=None, suppress_health_check=SHARED)
@given(wanted=grants, kind=st.sampled_from(FILES), data=st.data(),
       statement_kind=st.sampled_from([statements.OPEN_ITEM, statements.ACTIVITY]),
       currency=st.sampled_from(ts.CURRENCIES))  # fmt: skip
def test_downloaded_files_hold_nothing_outside_the_grants(
    book: ts.Ledger, tally: Tally, wanted: frozenset[AccountGrant], kind: str,
    data: st.DataObject, statement_kind: str, currency: str,
) -> None:  # fmt: skip
    tally["cases"] += 1
    who = _contact(book.url, wanted)
    # Mostly an account the person holds (files get built), sometimes any other.
    held = [c for c in who.account_codes() if c in ts.CODES]
    code = data.draw(st.sampled_from(held * 3 + [*ts.CODES, ts.NO_SUCH_CODE]))
    mine = {d.id: d for d in ts.visible_docs(book, who, code)}
    with_pdf = sorted(i for i, d in mine.items() if d.has_pdf)
    ids = data.draw(_ids(book))
    if with_pdf and data.draw(st.booleans()):  # a PDF the person may open, first
        ids = [data.draw(st.sampled_from(with_pdf)), *ids]
    refused = not ts.sees_any_part(who, code) or (kind == "pdf" and not (
        ids[0] in mine and mine[ids[0]].has_pdf))
    if refused:
        with pytest.raises(NotFound):
            _download(book, who, code, kind, ids, statement_kind, currency)
        tally["refused"] += 1
        return
    fmt, data_bytes = _download(book, who, code, kind, ids, statement_kind, currency)
    text = ts.file_text("csv" if fmt == "pdf-raw" else fmt, data_bytes)
    forbidden = ts.foreign_tokens(book, ts.allowed_tokens(book, who, code))
    found = ts.leaks(text, forbidden)
    tally["checks"] += 1
    tally["leaks"] += len(found)
    tally[f"file {kind}"] += 1
    assert not found, f"{kind} for {who} on {code} holds {sorted(found)}"
    if kind.startswith("list-"):
        assert all(number in "".join(text.split()) for number in
                   {d.number for d in mine.values()})  # fmt: skip
    if kind == "pdf-zip":
        assert text.count("uploaded document") == len(
            {i for i in ids if i in mine and mine[i].has_pdf})


def test_a_download_after_the_grant_is_withdrawn_gets_nothing(book: ts.Ledger) -> None:
    """Files are built from the store's grants at the moment of the click, not the page's."""
    who = _contact(book.url, frozenset({AccountGrant("B4", None)}))
    assert downloads.list_download(book.url, who, "B4", as_of=ts.AS_OF,
                                   filters=queries.DocumentFilter(), fmt="csv")
    with store.session_scope(book.url) as session:
        for grant_id, _, _ in people.grant_rows(session, who.username):
            people.revoke(session, "test", grant_id)
    with pytest.raises(NotFound):
        downloads.list_download(book.url, who, "B4", as_of=ts.AS_OF,
                                filters=queries.DocumentFilter(), fmt="csv")
    with pytest.raises(NotFound):
        downloads.pdf_zip_download(book.url, who, "B4", [d.id for d in book.docs],
                                   book.documents_dir)


def _count_documents(url: str) -> int:
    with store.session_scope(url) as session:
        return len(session.exec(models.Document.__table__.select()).all())  # type: ignore[attr-defined]


def test_the_fixed_store_holds_what_the_tokens_say(book: ts.Ledger) -> None:
    assert _count_documents(book.url) == len(book.docs) == len(ts.CODES) * len(ts.BRANCHES) * 5


# ---- the buyer pages, in AppTest ----------------------------------------------------------

BUYER_PAGES = ["app_pages/home.py", "app_pages/documents.py", "app_pages/payments.py",
               "app_pages/statements.py", "app_pages/all_accounts.py"]  # fmt: skip


@pytest.fixture
def apps(book: ts.Ledger, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Any]:
    """Fresh AppTests of the real entry file, logged in as a contact (no cookie in play)."""
    import streamlit_authenticator.models.cookie_model as cookie_model

    monkeypatch.setattr(cookie_model.CookieModel, "get_cookie", lambda self: None)
    return tp.logged_in_app


@settings(max_examples=12, deadline=None, suppress_health_check=SHARED)
@given(wanted=grants)
def test_buyer_pages_show_nothing_outside_the_grants(
    book: ts.Ledger, tally: Tally, apps: Callable[[str], Any], wanted: frozenset[AccountGrant]
) -> None:
    who = _contact(book.url, wanted)
    at = apps(who.username)
    tally["cases"] += 1
    codes = [c for c in ts.CODES if c in who.account_codes()]
    # The switcher names every granted account; "All my accounts" shows each of them.
    names = {ts.account_token(c) for c in codes}
    everything = set().union(names, *(ts.allowed_tokens(book, who, c) for c in codes))
    for code in codes or [""]:
        if code:
            at.session_state["portal_account"] = code
        own = ts.allowed_tokens(book, who, code) | names if code else names
        for page in BUYER_PAGES:
            several = page.endswith("all_accounts.py")
            if several and len(codes) < 2:
                continue
            at.switch_page(page).run()
            assert not at.exception, (page, code, at.exception)
            shown = tp.page_text(at)
            found = ts.leaks(shown, ts.foreign_tokens(book, everything if several else own))
            if page.endswith("documents.py") and code:  # and what they may see is there
                assert all(d.number in shown for d in ts.visible_docs(book, who, code))
            tally["page views"] += 1
            tally["checks"] += 1
            tally["leaks"] += len(found)
            assert not found, f"{page} for {sorted(wanted)} on {code} shows {sorted(found)}"
