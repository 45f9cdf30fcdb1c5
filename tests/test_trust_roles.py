"""Every page for every role: allowed pages render, the others are neither offered nor runnable.

The table below is written from DESIGN.md's "Who uses it", not derived from the code's own
ROLE_ACTIONS, so a change of who may do what has to change both. Each page is checked twice for
a role that may not see it: it is not registered in that role's navigation (switching to it
fails), and running the page file directly with that role's session stops at the page's own
guard, showing the plain refusal and none of the ledger's records.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lib.access import AccountGrant, Principal
from lib.ui import NOT_AVAILABLE
from tests import trust_pages as tp
from tests import trust_store as ts
from tests.trust_figures import Tally

PAGES_DIR = Path(__file__).resolve().parent.parent / "app_pages"
ROLES = ("buyer", "support", "finance", "admin")
STAFF, BACK_OFFICE, ADMIN = {"support", "finance", "admin"}, {"finance", "admin"}, {"admin"}
BUYER, EVERYONE = {"buyer"}, set(ROLES)
# page file -> roles that may open it (the buyer holds two accounts, so "All my accounts" shows).
MAY_OPEN: dict[str, set[str]] = {
    "home.py": BUYER, "documents.py": BUYER, "payments.py": BUYER, "statements.py": BUYER,
    "all_accounts.py": BUYER, "overview.py": BACK_OFFICE, "accounts.py": STAFF,
    "account.py": STAFF, "adoption.py": BACK_OFFICE, "audit_log.py": BACK_OFFICE,
    "imports.py": BACK_OFFICE, "import_history.py": BACK_OFFICE, "pdf_upload.py": BACK_OFFICE,
    "corrections.py": BACK_OFFICE, "people.py": ADMIN, "settings.py": ADMIN,
    "my_login.py": EVERYONE,
}  # fmt: skip
# Pages for people who are not logged in (first start, password links): tested elsewhere.
ANONYMOUS = {"first_admin.py", "set_password.py"}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ts.Ledger]:
    with ts.ledger_store(tmp_path_factory.mktemp("roles") / "portal-data") as built:
        yield built


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    counts = Tally("roles")
    yield counts
    counts.save()


def _person(book: ts.Ledger, role: str) -> Principal:
    grants = [AccountGrant("A1"), AccountGrant("B4")] if role == "buyer" else []
    return ts.contact(book.url, grants, role=role)


def _records(book: ts.Ledger) -> set[str]:
    """Document numbers of the whole ledger: none may show on a refused page."""
    return {doc.number for doc in book.docs}


def test_the_table_names_every_page() -> None:
    assert set(MAY_OPEN) | ANONYMOUS == {p.name for p in PAGES_DIR.glob("*.py")}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_its_pages(book: ts.Ledger, tally: Tally, role: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    tp.remember_component_scan(monkeypatch)
    who = _person(book, role)
    at = tp.logged_in_app(who.username, role, portal_account="A1")
    assert not at.exception
    for page, roles in sorted(MAY_OPEN.items()):
        tally["pages checked"] += 1
        if role in roles:
            at.switch_page(f"app_pages/{page}").run()
            assert not at.exception, (role, page, [e.value for e in at.exception])
            assert NOT_AVAILABLE not in tp.page_text(at), (role, page)
            tally["allowed pages rendered"] += 1
        else:
            with pytest.raises(ValueError):
                at.switch_page(f"app_pages/{page}")
            tally["refused pages not offered"] += 1


def _run_directly(page: str, who: Principal) -> Any:
    """The page file alone, in a session that carries this person (as the router would set)."""
    at = AppTest.from_file(str(PAGES_DIR / page), default_timeout=60)
    at.session_state["portal_principal"] = who
    at.session_state["portal_account"] = "A1"
    return at.run()


@pytest.mark.parametrize("role", ROLES)
def test_a_refused_page_run_directly_stops_at_its_own_guard(
    book: ts.Ledger, tally: Tally, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tp.remember_component_scan(monkeypatch)
    who = _person(book, role)
    records = _records(book)
    for page, roles in sorted(MAY_OPEN.items()):
        if role in roles:
            continue
        at = _run_directly(page, who)
        assert not at.exception, (role, page, [e.value for e in at.exception])
        shown = tp.page_text(at)
        assert NOT_AVAILABLE in shown, (role, page)
        assert not ts.leaks(shown, records), (role, page)
        tally["refused pages run directly"] += 1
