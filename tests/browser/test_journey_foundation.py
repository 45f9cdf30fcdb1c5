"""Real browser: first start, first administrator, invite a buyer, link, login, logout, cookie."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from lib import people, store
from lib.settings import load_settings
from tests import factories
from tests.browser.conftest import cookie_written, log_in, log_out, nav, one

PASSWORD = "a long admin passphrase"
BUYER_PASSWORD = "carla's own passphrase"


def _seed_ledger(data_dir: Path) -> None:
    """Accounts and documents as the feed would leave them; no users yet."""
    url = load_settings().database_url
    with store.session_scope(url) as session:
        for code in ("A1", "B2"):
            people.add_account(session, "feed", code, f"{code} Trading")
        factories.document(session, "INV-A1-001", account=people.account_by_code(session, "A1"))
        factories.document(session, "INV-B2-777", account=people.account_by_code(session, "B2"))


def _nav(page: Page, title: str) -> None:
    nav(page, title)


def test_first_start_invite_link_login_logout_cookie(
    browser: Browser, start_portal, data_dir: Path, shoot
) -> None:
    _seed_ledger(data_dir)
    portal = start_portal(data_dir)
    context = browser.new_context()
    page = context.new_page()
    page.goto(portal.url)

    expect(page.get_by_text("Create the first administrator").first).to_be_visible(timeout=20000)
    one(page.get_by_label("Username")).fill("ada")
    one(page.get_by_label("Display name")).fill("Ada Admin")
    one(page.get_by_label("Email")).fill("ada@example.com")
    one(page.get_by_label("Password", exact=True)).fill(PASSWORD)
    one(page.get_by_label("Password again")).fill(PASSWORD)
    shoot(page, "01-first-admin")
    page.get_by_role("button", name="Create administrator").click()
    expect(page.get_by_text("Administrator created")).to_be_visible()
    page.get_by_role("button", name="Continue to log in").click()

    # A click straight after logging in, before the cookie is stored, stays where it went
    # (a cookie component's report used to rerun the first page over it).
    log_in(page, "ada", PASSWORD, wait_for_cookie=False)
    page.locator('[data-testid="stSidebarNavLink"]', has_text="People and access").click()
    people_heading = page.get_by_role("heading", name="People and access")
    expect(people_heading).to_be_visible()
    cookie_written(page)
    page.wait_for_timeout(1000)
    expect(people_heading).to_be_visible()
    one(page.get_by_label("New username")).fill("carla")
    one(page.get_by_label("Name", exact=True)).fill("Carla Buyer")
    one(page.get_by_label("Email")).fill("carla@example.com")
    one(page.get_by_label("Role")).click()
    page.get_by_role("option", name="buyer").click()
    one(page.get_by_label("Accounts (buyers)")).click()
    page.get_by_role("option", name="A1").click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Add contact").click()
    link_block = page.locator("code", has_text="?link=")
    expect(link_block).to_be_visible()
    link = re.search(r"https?://\S+link=[\w-]+", link_block.inner_text()).group(0)
    shoot(page, "02-link-issued")
    context.close()

    buyer_context = browser.new_context()
    buyer = buyer_context.new_page()
    buyer.goto(link)
    expect(buyer.get_by_text("carla", exact=False).first).to_be_visible(timeout=20000)
    one(buyer.get_by_label("New password", exact=True)).fill(BUYER_PASSWORD)
    one(buyer.get_by_label("New password again")).fill(BUYER_PASSWORD)
    buyer.get_by_role("button", name="Set password").click()
    expect(buyer.get_by_text("Your password is set")).to_be_visible()
    shoot(buyer, "03-password-set")

    buyer.goto(portal.url)
    # One click, straight after the form shows: no rerun follows the page load to lose it.
    one(buyer.get_by_label("Username")).fill("carla")
    one(buyer.get_by_label("Password", exact=True)).fill(BUYER_PASSWORD)
    buyer.get_by_role("button", name="Login").click()
    expect(buyer.get_by_text("Logged in as")).to_be_visible()
    assert buyer.locator('iframe[title*="CookieManager"]').count() == 0
    cookie_written(buyer)
    expect(buyer.get_by_role("heading", name="Home")).to_be_visible()
    expect(buyer.get_by_text("A1 · A1 Trading").first).to_be_visible()
    assert "B2 Trading" not in buyer.content() and "INV-B2-777" not in buyer.content()
    shoot(buyer, "04-buyer-own-account")

    # The login cookie (stored once log_in returns) survives a reload: the buyer stays in.
    saved = buyer_context.cookies()
    assert [c["sameSite"] for c in saved if c["name"] == "portal_session"] == ["Strict"]
    buyer.goto(portal.url)
    expect(buyer.get_by_role("heading", name="Home")).to_be_visible()

    log_out(buyer)
    for _ in range(100):  # the login page removes the ended login's cookie
        if all(c["name"] != "portal_session" for c in buyer_context.cookies()):
            break
        buyer.wait_for_timeout(100)
    assert all(c["name"] != "portal_session" for c in buyer_context.cookies())
    buyer_context.close()

    # A copy of the cookie saved before the logout no longer logs in.
    thief = browser.new_context()
    thief.add_cookies([c for c in saved if c["name"] == "portal_session"])
    stolen = thief.new_page()
    stolen.goto(portal.url)
    expect(stolen.get_by_label("Username")).to_be_visible(timeout=20000)
    assert "INV-A1-001" not in stolen.content()
    shoot(stolen, "05-copied-cookie-refused")
    thief.close()
