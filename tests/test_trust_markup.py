"""Hostile data on every page: feed text never reaches Streamlit's markdown unescaped.

Titles, captions, subheaders and messages render markdown: a feed value put there as is could
draw a link to another site, load a tracking image or restyle the page. The browser test
(tests/browser/test_trust_xss.py) shows a buyer's pages; this one runs every page of every role
in AppTest over a store whose feed fields hold markdown, and reads the raw markdown bodies.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lib import models, people, store
from lib.access import AccountGrant
from tests import trust_pages as tp
from tests import trust_store as ts
from tests.trust_figures import record

PAGES = sorted(p.name for p in (Path(__file__).resolve().parent.parent / "app_pages").glob("*.py"))
# Raw in a markdown body, each would render as a link, an image, a heading or coloured text.
MARKDOWN = ["![pixel](http://evil.example/p.png)", "[Pay now](http://evil.example/pay)",
            ":red[Account closed, call 0900 000]", "# Urgent"]  # fmt: skip
MARKDOWN_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "success",
                  "warning", "error", "toast")  # fmt: skip


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ts.Ledger]:
    with ts.ledger_store(tmp_path_factory.mktemp("markup") / "portal-data") as built:
        _hostile_account(built.url)
        yield built


def _hostile_account(url: str) -> None:
    """Account MD: its name, documents, lines and payments carry the markdown payloads."""
    with store.session_scope(url) as session:
        account = models.Account(code="MD", name=MARKDOWN[0])
        session.add(account)
        session.flush()
        for i, payload in enumerate(MARKDOWN):
            doc = models.Document(
                kind="invoice", number=payload, account_id=account.id or 0,
                issue_date=date(2026, 1, 5) + timedelta(days=i), due_date=date(2026, 2, 5),
                currency="GBP", total=Decimal("80.00"), po_reference=payload,
                description=payload, branch=payload, erp_status=payload,
            )  # fmt: skip
            session.add(doc)
            session.flush()
            session.add(models.DocumentLine(document_id=doc.id or 0, line_no=1, item_code=payload,
                                            description=payload))  # fmt: skip
            session.add(models.Payment(reference=payload, account_id=account.id or 0,
                                       payment_date=date(2026, 3, 1), currency="GBP",
                                       amount=Decimal("5.00")))  # fmt: skip
        people.add_contact(session, "test", username="md-contact", name=MARKDOWN[1],
                           email="md@example.com", role="buyer")  # fmt: skip
        people.grant(session, "test", "md-contact", "MD", MARKDOWN[2])


@pytest.fixture
def app(book: ts.Ledger, monkeypatch: pytest.MonkeyPatch) -> Any:
    import streamlit_authenticator.models.cookie_model as cookie_model

    monkeypatch.setattr(cookie_model.CookieModel, "get_cookie", lambda self: None)
    tp.remember_component_scan(monkeypatch)
    return tp.logged_in_app


def _raw_markdown(at: Any) -> list[str]:
    return [str(element.value) for kind in MARKDOWN_KINDS for element in at.get(kind)]


@pytest.mark.parametrize("role", ["buyer", "support", "finance", "admin"])
def test_feed_markdown_is_escaped_on_every_page(book: ts.Ledger, app: Any, role: str) -> None:
    who = ts.contact(book.url, [AccountGrant("MD"), AccountGrant("A1")] if role == "buyer"
                     else [], role=role)  # fmt: skip
    state = {"portal_account": "MD"}
    at = app(who.username, role, **state)
    visited, raw, shown = 0, [], 0
    for page in PAGES:
        try:
            at.switch_page(f"app_pages/{page}")
        except ValueError:  # not registered for this role
            continue
        at.session_state["portal_account"] = "MD"
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        visited += 1
        shown += any(p in tp.page_text(at) for p in MARKDOWN)
        raw += [f"{page}: {body}" for body in _raw_markdown(at)
                if any(p in body for p in MARKDOWN)]  # fmt: skip
    record("xss", markdown_pages=visited, markdown_unescaped=len(raw))
    assert visited >= 3 and shown >= 1, (visited, shown)  # the payloads were on screen
    assert not raw, "feed text reached markdown unescaped:\n" + "\n".join(raw)
