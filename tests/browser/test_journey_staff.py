"""Real browser: support opens an account, views it as its buyer; the buyer's counts stay put."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlmodel import func, select

from lib import auth, models, people, store
from lib.settings import load_settings
from tests import factories
from tests.browser.conftest import log_in, nav, one

PASSWORD = "a long staff passphrase"


def _seed(data_dir: Path) -> str:
    """A1 with 1,200.00 GBP outstanding, its buyer bea, and sam from customer service."""
    url = load_settings().database_url
    with store.session_scope(url) as s:
        a1 = factories.account(s, "A1", name="A1 Trading")
        factories.document(s, "INV-A1-1", account=a1, issue_date=date(2020, 1, 1),
                           due_date=date(2020, 2, 1), total=Decimal("1000.00"))
        factories.document(s, "INV-A1-2", account=a1, issue_date=date(2020, 3, 1),
                           due_date=date(2099, 1, 1), total=Decimal("250.00"))
        factories.document(s, "CN-A1-1", account=a1, kind="credit_note",
                           issue_date=date(2020, 3, 2), due_date=date(2020, 3, 2),
                           total=Decimal("50.00"))
        hashed = auth.hash_password(PASSWORD)
        for username, role in (("sam", "support"), ("bea", "buyer")):
            row = people.add_contact(s, "seed", username=username, name=username.title(),
                                     email=f"{username}@example.com", role=role)
            row.password_hash = hashed
            s.add(row)
        people.grant(s, "seed", "bea", "A1")
    return url


def _counts(url: str) -> tuple[int, list[tuple[str, str, str]]]:
    """Buyer activity records, and who viewed which account as whom."""
    with store.session_scope(url) as s:
        activity = int(s.exec(select(func.count()).select_from(models.ActivityEvent)).one())
        viewed = s.exec(select(models.AuditEvent).where(
            models.AuditEvent.action == "view_as_buyer")).all()
        return activity, [(e.actor, e.account_code, e.target) for e in viewed]


def _nav(page: Page, title: str) -> None:
    nav(page, title)


def test_support_views_an_account_as_its_buyer(
    browser: Browser, start_portal, data_dir: Path, shoot
) -> None:
    url = _seed(data_dir)
    portal = start_portal(data_dir)
    context = browser.new_context()
    page = context.new_page()
    page.goto(portal.url)
    log_in(page, "sam", PASSWORD)
    _nav(page, "Account details")
    expect(page.get_by_role("heading", name="See what the buyer sees")).to_be_visible()
    one(page.get_by_label("View as")).click()
    page.get_by_role("option", name="the contact bea").click()
    page.get_by_role("button", name="View as buyer").click()
    expect(page.get_by_text("Viewing as the contact bea, read-only")).to_be_visible()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(page.get_by_text("1,200.00 GBP").first).to_be_visible()
    shoot(page, "01-support-views-as-buyer")
    _nav(page, "Statements")  # opening a statement counts for a buyer, never for staff
    expect(page.get_by_text("Viewing as the contact bea, read-only")).to_be_visible()
    expect(page.get_by_text("lines.").first).to_be_visible()
    page.get_by_role("button", name="Stop viewing as buyer").click()
    expect(page.get_by_role("link", name="Account details")).to_be_visible()
    context.close()

    # The buyer herself opening the same page does count: the counter works.
    buyer_context = browser.new_context()
    buyer = buyer_context.new_page()
    buyer.goto(portal.url)
    log_in(buyer, "bea", PASSWORD)
    _nav(buyer, "Statements")
    expect(buyer.get_by_text("lines.").first).to_be_visible()
    buyer.wait_for_timeout(500)
    buyer_context.close()
    portal.stop()
    activity, viewed = _counts(url)
    assert activity == 1  # bea's own statement view only
    assert viewed == [("sam", "A1", "bea")]
