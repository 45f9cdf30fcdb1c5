"""Forged input: account codes, document ids and branches a buyer was not granted, typed into
query parameters, session state and raw widget values, reach nothing and break nothing.

Each case counts: records leaked (tokens of other accounts or branches seen), tracebacks
(`at.exception`), and whether "another account's document" read exactly like "no such document".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lib import downloads, queries, statements, store
from lib.access import AccountGrant, Principal
from lib.errors import NotFound
from tests import trust_pages as tp
from tests import trust_store as ts
from tests.trust_figures import Tally

BUYER_PAGES = ["app_pages/home.py", "app_pages/documents.py", "app_pages/payments.py",
               "app_pages/statements.py"]  # fmt: skip
NO_SUCH_ID = 10**9


@pytest.fixture(autouse=True)
def _fresh_sessions_are_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    tp.remember_component_scan(monkeypatch)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ts.Ledger]:
    """The fixed ledger, shared by the tests of this module (nothing here writes documents)."""
    with ts.ledger_store(tmp_path_factory.mktemp("forged") / "portal-data") as built:
        yield built


@pytest.fixture(scope="module")
def north(book: ts.Ledger) -> Principal:
    """A buyer granted only the North branch of A1 (and so not A1's other branches, A10, A3)."""
    return ts.contact(book.url, [AccountGrant("A1", "North")])


@pytest.fixture(scope="module")
def two_branches(book: ts.Ledger) -> Principal:
    """A buyer granted North and South of A1: the branch filter is shown to them."""
    return ts.contact(book.url, [AccountGrant("A1", "North"), AccountGrant("A1", "South")])


@pytest.fixture
def tally() -> Iterator[Tally]:
    counts = Tally("forged")
    yield counts
    counts.save()


@pytest.fixture
def app(book: ts.Ledger, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Logged-in AppTests (the cookie is not in play here)."""
    import streamlit_authenticator.models.cookie_model as cookie_model

    monkeypatch.setattr(cookie_model.CookieModel, "get_cookie", lambda self: None)
    return tp.logged_in_app


def _foreign(book: ts.Ledger, who: Principal) -> set[str]:
    allowed = set().union(*(ts.allowed_tokens(book, who, c) for c in who.account_codes()))
    return ts.foreign_tokens(book, allowed)


def _check(at: Any, book: ts.Ledger, who: Principal, tally: Tally, what: str) -> str:
    """One forged case: no traceback, no foreign record; returns what the page showed."""
    shown = tp.page_text(at)
    found = ts.leaks(shown, _foreign(book, who))
    tally["cases"] += 1
    tally["leaks"] += len(found)
    tally["tracebacks"] += len(at.exception)
    assert not at.exception, (what, [e.value for e in at.exception])
    assert not found, f"{what}: {sorted(found)}"
    return shown


def _foreign_doc(book: ts.Ledger, code: str = "B4", branch: str = "") -> ts.Doc:
    return next(d for d in book.docs if d.code == code and d.branch == branch and d.has_pdf)


# ---- query parameters ------------------------------------------------------------------------


def _param_cases(book: ts.Ledger) -> list[dict[str, str]]:
    other = _foreign_doc(book)
    sibling = _foreign_doc(book, "A1", "South")
    return [
        {"account": "B4"}, {"account": "A10"}, {"account": "A3"}, {"account_code": "B4"},
        {"code": "B4"}, {"doc": str(other.id)}, {"id": str(sibling.id)},
        {"document": other.number}, {"number": sibling.number}, {"branch": "South"},
        {"branch": ""}, {"account": "B4", "doc": str(other.id), "branch": "none"},
        {"page": "people"}, {"embed": "true", "account": "B4"},
        {"account": "A1' OR '1'='1"}, {"doc": "-1"}, {"doc": "1e309"},
    ]  # fmt: skip


@pytest.mark.parametrize("page", BUYER_PAGES)
def test_query_parameters_change_nothing(
    book: ts.Ledger, north: Principal, app: Callable[..., Any], tally: Tally, page: str
) -> None:
    at = app(north.username)
    at.switch_page(page).run()
    baseline = _check(at, book, north, tally, f"{page} plain")
    for params in _param_cases(book):
        at.query_params.clear()
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        shown = _check(at, book, north, tally, f"{page} {params}")
        assert shown == baseline, params  # the page does not read them at all
    at.query_params["link"] = "forged"  # the parameters did reach the app: this one it reads
    at.run()
    assert "not valid any more" in tp.page_text(at)


def test_a_forged_set_password_link_shows_the_plain_refusal(book: ts.Ledger, tally: Tally,
                                                            app: Callable[..., Any]) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.pagetools import ENTRY

    for secret in ["", "x", "' OR 1=1 --", "A" * 5000, "../../etc/passwd", "%00"]:
        at = AppTest.from_file(ENTRY, default_timeout=60)
        at.query_params["link"] = secret
        at.run()
        shown = tp.page_text(at)
        tally["cases"] += 1
        tally["tracebacks"] += len(at.exception)
        assert not at.exception
        assert "not valid any more" in shown
        assert not ts.leaks(shown, ts.foreign_tokens(book, set()))


# ---- session state ---------------------------------------------------------------------------

FORGED_ACCOUNTS: list[Any] = ["B4", "A10", "A3", "ZZ9", "", None, 123, ["B4"], ("B4",),
                              {"code": "B4"}, "A1' OR '1'='1", "a1", " A1", "A1\x00"]  # fmt: skip


@pytest.mark.parametrize("page", BUYER_PAGES)
def test_forged_account_in_session_state_shows_the_own_account_only(
    book: ts.Ledger, north: Principal, app: Callable[..., Any], tally: Tally, page: str
) -> None:
    answers = {}
    at = app(north.username)
    at.switch_page(page).run()
    for forged in FORGED_ACCOUNTS:
        at.session_state["portal_account"] = forged
        at.run()
        answers[repr(forged)] = _check(at, book, north, tally, f"{page} account={forged!r}")
    # Another account's code reads exactly like a code that does not exist.
    assert answers["'B4'"] == answers["'ZZ9'"] == answers["'A3'"] == answers["'A10'"]


def test_a_buyer_cannot_forge_view_as_or_the_principal(
    book: ts.Ledger, north: Principal, app: Callable[..., Any], tally: Tally
) -> None:
    everything = frozenset({AccountGrant("B4"), AccountGrant("A1")})
    forgeries: list[dict[str, Any]] = [
        {"portal_view_as": ("B4", "", everything)},
        {"portal_view_as": ("B4", "", everything), "portal_account": "B4"},
        {"portal_principal": Principal("admin", "admin")},
        {"portal_principal": Principal(north.username, "buyer", everything)},
        {"roles": ["admin"]},
        {"documents_last_viewed": ("B4", _foreign_doc(book).id)},
        {"statements_last_viewed": ("B4", None)},
    ]
    for state in forgeries:
        at = app(north.username, **state)
        for page in BUYER_PAGES:
            at.switch_page(page).run()
            _check(at, book, north, tally, f"{page} {state}")
        with pytest.raises(ValueError):  # staff pages stay unregistered
            at.switch_page("app_pages/accounts.py")


def _table_key(at: Any) -> str:
    return str(at.dataframe[0].proto.id).rsplit("-", 1)[-1]


def test_forged_table_selections_reach_nothing(
    book: ts.Ledger, north: Principal, app: Callable[..., Any], tally: Tally
) -> None:
    at = app(north.username)
    at.switch_page("app_pages/documents.py").run()
    key = _table_key(at)
    for rows in ([999], [-1], [0, 10**6], [-5, -4, 3], list(range(200))):
        at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
        at.run()
        _check(at, book, north, tally, f"documents rows={rows}")
    at.switch_page("app_pages/payments.py").run()
    for rows in ([999], [-1], [0, 5, 17]):
        at.session_state["payments_table"] = {"selection": {"rows": rows, "columns": [],
                                                            "cells": []}}  # fmt: skip
        at.run()
        _check(at, book, north, tally, f"payments rows={rows}")


# ---- raw widget values -------------------------------------------------------------------


def _widget(at: Any, kind: str, label: str) -> Any:
    return next(w for w in getattr(at, kind) if w.label == label)


def test_forged_account_switcher_values(
    book: ts.Ledger, north: Principal, app: Callable[..., Any], tally: Tally
) -> None:
    """The switcher is disabled for one account; a tampered client sends a value anyway."""
    for value in ["B4 · B4 Trading KB4xacctK", "B4", "A10", "A3 · A3 Trading KA3xacctK", ""]:
        at = app(north.username)
        at.switch_page("app_pages/documents.py").run()
        with tp.forged_widget(_widget(at, "selectbox", "Account"), string_value=value):
            at.run()
            _check(at, book, north, tally, f"switcher={value!r}")
            at.switch_page("app_pages/statements.py").run()
            _check(at, book, north, tally, f"switcher={value!r} statements")


def test_forged_document_choice_reads_like_no_such_document(
    book: ts.Ledger, north: Principal, app: Callable[..., Any], tally: Tally
) -> None:
    """'Show document' offered two of the buyer's documents; the client sends others."""
    at = app(north.username)
    at.switch_page("app_pages/documents.py").run()
    key = _table_key(at)
    at.session_state[key] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    chooser = _widget(at, "selectbox", "Show document")
    foreign, sibling = _foreign_doc(book), _foreign_doc(book, "A1", "South")
    answers = {}
    for value in [foreign.number, sibling.number, str(foreign.id), str(sibling.id),
                  "NO-SUCH-NUMBER", str(NO_SUCH_ID), "-1", ""]:  # fmt: skip
        with tp.forged_widget(chooser, string_value=value):
            at.run()
            answers[value] = _check(at, book, north, tally, f"show document={value!r}")
    assert answers[foreign.number] == answers["NO-SUCH-NUMBER"] == answers[sibling.number]
    assert answers[str(foreign.id)] == answers[str(NO_SUCH_ID)] == answers[str(sibling.id)]


def test_forged_open_by_number_reads_like_no_such_document(
    book: ts.Ledger, north: Principal, app: Callable[..., Any], tally: Tally
) -> None:
    """'Open a document' offers the listed documents; the client sends another's id."""
    at = app(north.username)
    at.switch_page("app_pages/documents.py").run()
    chooser = _widget(at, "selectbox", "Open a document")
    foreign, sibling = _foreign_doc(book), _foreign_doc(book, "A1", "South")
    answers = {}
    for value in [foreign.number, sibling.number, str(foreign.id), str(sibling.id),
                  "NO-SUCH-NUMBER", str(NO_SUCH_ID), "-1", ""]:  # fmt: skip
        with tp.forged_widget(chooser, string_value=value):
            at.run()
            answers[value] = _check(at, book, north, tally, f"open document={value!r}")
    assert answers[foreign.number] == answers["NO-SUCH-NUMBER"] == answers[sibling.number]
    assert answers[str(foreign.id)] == answers[str(NO_SUCH_ID)] == answers[str(sibling.id)]


def test_forged_filters_stay_inside_the_scope(
    book: ts.Ledger, two_branches: Principal, app: Callable[..., Any], tally: Tally
) -> None:
    forged = [
        ("multiselect", "Branch", {"string_array_value": {"data": ["", "West", "none"]}}),
        ("multiselect", "Branch", {"string_array_value": {"data": ["KB4xnoneK", "North"]}}),
        ("multiselect", "Status", {"string_array_value": {"data": ["'; DROP TABLE document;--"]}}),
        ("multiselect", "Kind", {"string_array_value": {"data": ["payment", "Invoice"]}}),
        ("date_input", "Issued from", {"string_array_value": {"data": ["0001-01-01"]}}),
        ("date_input", "Issued to", {"string_array_value": {"data": ["not a date"]}}),
        ("text_input", "Search number, reference or description", {"string_value": "%"}),
        ("text_input", "Search number, reference or description", {"string_value": "_"}),
        ("text_input", "Search number, reference or description",
         {"string_value": "' OR 1=1 --"}),
        ("text_input", "Search number, reference or description", {"string_value": "KB4xnoneK"}),
        ("text_input", "Search number, reference or description",
         {"string_value": "x" * 100_000}),
    ]  # fmt: skip
    statement_page = [
        ("selectbox", "Currency", {"string_value": "USD"}),
        ("selectbox", "Currency", {"string_value": ""}),
        ("selectbox", "Period", {"string_value": "Since 1900"}),
        ("radio", "Statement", {"string_value": "Everything"}),
        ("radio", "Paper size for the PDF", {"string_value": "../../A4"}),
    ]
    cases = [("documents", *case) for case in forged]
    cases += [("statements", *case) for case in statement_page]
    for page, kind, label, value in cases:
        # A fresh session each time: the test harness keeps a forged value as the widget's own.
        at = app(two_branches.username)
        at.switch_page(f"app_pages/{page}.py").run()
        with tp.forged_widget(_widget(at, kind, label), **value):
            at.run()
            _check(at, book, two_branches, tally, f"{page} {label}={str(value)[:60]}")


# ---- the same answer for another account's document as for no document -----------------


def _refusal(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(NotFound) as caught:
        call()
    return type(caught.value).__name__, str(caught.value)


def test_another_accounts_record_reads_exactly_like_no_record(
    book: ts.Ledger, north: Principal, tally: Tally
) -> None:
    url, folder = book.url, book.documents_dir
    others = [_foreign_doc(book).id, _foreign_doc(book, "A1", "South").id,
              _foreign_doc(book, "A1", "").id]  # fmt: skip
    with store.session_scope(url) as session:
        scope = queries.scope_for(session, north, "A1")
        for reader in (
            lambda i: queries.scoped_document(session, scope, i),
            lambda i: queries.document_pdf(session, scope, i, folder),
            lambda i: downloads.pdf_download(url, north, "A1", i, folder),
        ):
            nothing = _refusal(lambda r=reader: r(NO_SUCH_ID))
            for doc_id in others:
                tally["cases"] += 1
                assert _refusal(lambda r=reader, i=doc_id: r(i)) == nothing
        for doc_id in others:
            assert queries.document_lines(session, scope, doc_id).equals(
                queries.document_lines(session, scope, NO_SUCH_ID))
        nobody = _refusal(lambda: queries.scope_for(session, north, "ZZ9"))
        for code in ("B4", "A10", "A3"):
            assert _refusal(lambda c=code: queries.scope_for(session, north, c)) == nobody
    zip_of_nothing = downloads.pdf_zip_download(url, north, "A1", [NO_SUCH_ID], folder)
    assert downloads.pdf_zip_download(url, north, "A1", others, folder) == zip_of_nothing
    request = downloads.StatementRequest(statements.OPEN_ITEM, "GBP", ts.START, ts.AS_OF,
                                         ts.AS_OF)  # fmt: skip
    for code in ("B4", "A10", "A3", "ZZ9"):
        tally["cases"] += 2
        assert _refusal(lambda c=code: downloads.list_download(
            url, north, c, as_of=ts.AS_OF, filters=queries.DocumentFilter(), fmt="csv",
        )) == ("NotFound", "No such account.")  # fmt: skip
        assert _refusal(lambda c=code: downloads.statement_download(
            url, north, c, request, fmt="csv", page_size="A4", data_dir=folder.parent,
        )) == ("NotFound", "No such account.")  # fmt: skip
