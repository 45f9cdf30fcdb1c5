"""Real browser: a buyer holding two accounts visits the portal from login to logout.

Home's balance, the invoice list filtered by status and by text, one document with its PDF,
a statement PDF whose closing balance is Home's balance, the second account's own figures
(and none of the first account's documents), then logging out closes every page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect
from reportlab.pdfgen import canvas

from lib import pdfs, people, store
from lib.settings import load_settings
from tests import factories
from tests.browser.conftest import (
    Portal,
    download,
    grid_texts,
    listed_caption,
    log_in,
    log_out,
    metric,
    nav,
    one,
    pdf_text,
    pick,
)

Shoot = Callable[[Any, str], None]
PASSWORD = "olga's own long passphrase"
A1_NUMBERS = ("INV-A1-1001", "INV-A1-1002", "INV-A1-1003", "CN-A1-01")
B2_NUMBERS = ("INV-B2-2001", "INV-B2-2002")
A1_BALANCE = "1,200.00 GBP"  # 1,000 overdue + 250 open - 50 credit; the paid 300 counts nothing
B2_BALANCE = "375.00 GBP"  # 400 less 100 paid, + 75


def _invoice_pdf(number: str) -> bytes:
    """The ERP's PDF of one invoice (uncompressed, so its number is in the bytes too)."""
    out = io.BytesIO()
    sheet = canvas.Canvas(out, pageCompression=0, invariant=1)
    sheet.drawString(72, 760, f"Invoice {number}")
    sheet.drawString(72, 740, "Alder Cafes - oat milk, 250.00 GBP")
    sheet.save()
    return out.getvalue()


def _seed() -> None:
    """Two accounts as the feed leaves them, olga holding both, and one invoice's PDF."""
    settings = load_settings()
    with store.session_scope(settings.database_url) as s:
        a1 = factories.account(s, "A1", name="Alder Cafes")
        b2 = factories.account(s, "B2", name="Birch Bakery")
        factories.document(s, "INV-A1-1001", account=a1, issue_date=date(2026, 1, 5),
                           due_date=date(2026, 2, 4), total=Decimal("1000.00"),
                           description="Espresso beans")  # fmt: skip
        factories.document(s, "INV-A1-1002", account=a1, issue_date=date(2026, 9, 1),
                           due_date=date(2099, 1, 1), total=Decimal("250.00"),
                           po_reference="PO-7788", description="Oat milk")  # fmt: skip
        factories.document(s, "INV-A1-1003", account=a1, issue_date=date(2026, 3, 1),
                           total=Decimal("300.00"), paid=Decimal("300.00"))  # fmt: skip
        factories.document(s, "CN-A1-01", account=a1, kind="credit_note",
                           issue_date=date(2026, 3, 2), due_date=date(2026, 3, 2),
                           total=Decimal("50.00"))  # fmt: skip
        factories.document(s, "INV-B2-2001", account=b2, issue_date=date(2026, 2, 1),
                           due_date=date(2099, 1, 1), total=Decimal("400.00"),
                           paid=Decimal("100.00"))  # fmt: skip
        factories.document(s, "INV-B2-2002", account=b2, issue_date=date(2026, 4, 1),
                           due_date=date(2099, 1, 1), total=Decimal("75.00"))  # fmt: skip
        for username, role in (("olga", "buyer"), ("fin", "finance")):
            people.add_contact(s, "seed", username=username, name=username.title(),
                               email=f"{username}@example.com", role=role, password=PASSWORD)
        people.grant(s, "seed", "olga", "A1")
        people.grant(s, "seed", "olga", "B2")
        finance = people.principal_for(s, "fin")
    # The PDF goes in the way finance uploads it: matched to its document by the file name.
    report = pdfs.attach_pdfs(settings.database_url, finance,
                              [("INV-A1-1002.pdf", _invoice_pdf("INV-A1-1002"))],
                              documents_dir=settings.documents_dir)  # fmt: skip
    assert [m[1] for m in report.matched] == ["invoice INV-A1-1002"], report.frame()


def _go(page: Page, title: str) -> None:
    nav(page, title)
    expect(page.get_by_role("heading", name=title).first).to_be_visible()


def _listed(page: Page, count: int) -> None:
    """Wait until the document list shows this many documents."""
    expect(page.get_by_text(re.compile("^" + re.escape(listed_caption(count))))).to_be_visible()


def _home(page: Page, shoot: Shoot, name: str, code: str, balance: str) -> str:
    """Home of one account: the caption names it and Total outstanding shows its balance."""
    _go(page, "Home")
    expect(page.get_by_text(f"Account {code} ·").first).to_be_visible()
    shown = metric(page, "Total outstanding")
    expect(shown).to_have_text(balance)
    expect(page.get_by_text("Most recent documents")).to_be_visible()
    shoot(page, name)
    return str(shown.inner_text()).strip()


def _filter_and_open(page: Page, shoot: Shoot) -> None:
    """Filter the list by status, then by text, and open the one document left."""
    _go(page, "Invoices and credit notes")
    _listed(page, 4)
    pick(page, page.get_by_label("Status", exact=True), "overdue")
    page.keyboard.press("Escape")
    _listed(page, 1)
    expect(page.locator('[data-testid="glide-cell-1-0"]').first).to_have_text("INV-A1-1001")
    assert [c for c in grid_texts(page) if c.startswith(("INV", "CN"))] == ["INV-A1-1001"]
    shoot(page, "02-list-overdue")
    page.get_by_role("button", name="Remove overdue").click()
    _listed(page, 4)
    search = one(page.get_by_label("Search number, reference or description"))
    search.fill("PO-7788")
    search.press("Enter")
    _listed(page, 1)
    expect(page.locator('[data-testid="glide-cell-1-0"]').first).to_have_text("INV-A1-1002")
    # By its number, as a keyboard user would (the finance journey ticks a row instead).
    pick(page, page.get_by_label("Open a document"), "INV-A1-1002")
    expect(page.get_by_role("heading", name="Invoice INV-A1-1002")).to_be_visible()


def _document_and_pdf(page: Page, shoot: Shoot) -> None:
    """The chosen document's details, and its PDF as the ERP made it."""
    expect(page.get_by_text("Status: open").first).to_be_visible()
    fields = grid_texts(page, 2)
    for expected in ("INV-A1-1002", "open", "250.00 GBP", "0.00 GBP", "PO-7788", "Oat milk"):
        assert expected in fields, fields
    shoot(page, "03-document")
    name, data = download(page, "Download the PDF")
    assert name == "INV-A1-1002.pdf"
    assert data.startswith(b"%PDF-") and b"INV-A1-1002" in data
    assert "Invoice INV-A1-1002" in pdf_text(data)


def _statement(page: Page, shoot: Shoot, balance: str) -> None:
    """The open-items statement on screen and as PDF closes at Home's balance, to the cent."""
    _go(page, "Statements")
    expect(page.get_by_text("lines.").first).to_be_visible()
    expect(metric(page, "Total due at")).to_have_text(balance)
    shoot(page, "04-statement")
    name, data = download(page, "Download as PDF")
    assert name.startswith("A1-") and name.endswith(".pdf"), name
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    closing = re.search(r"Total due at [^\n]*?\s*(-?[\d,]+\.\d\d GBP)", text)
    assert closing, text
    assert closing.group(1) == balance
    lines = text.splitlines()  # each number whole on a line: a buyer can search for it
    assert all(n in lines for n in ("INV-A1-1001", "INV-A1-1002", "CN-A1-01")), text
    assert "INV-A1-1003" not in text  # paid: no open item
    assert not any(number in text for number in B2_NUMBERS)


def _table_shows(page: Page, text: str) -> None:
    """Wait until the first table has a cell with this text (a rerun redraws it last)."""
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table.locator('[data-testid^="glide-cell-"]', has_text=text).first).to_be_attached()


def _second_account(page: Page, shoot: Shoot) -> None:
    """Switch to B2: its own balance and documents, never one of A1's numbers."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    pick(page, sidebar.get_by_role("combobox", name="Account"), "B2 · Birch Bakery")
    _home(page, shoot, "05-second-account-home", "B2", B2_BALANCE)
    assert B2_BALANCE != A1_BALANCE
    _table_shows(page, B2_NUMBERS[0])  # the metrics come first: the old table stays until then
    recent = grid_texts(page)
    assert set(B2_NUMBERS) <= set(recent), recent
    assert not any(n in cell for n in A1_NUMBERS for cell in recent), recent
    assert not any(n in page.content() for n in A1_NUMBERS)
    _go(page, "Invoices and credit notes")
    expect(page.get_by_text("Account B2 · Birch Bakery")).to_be_visible()
    _listed(page, 2)
    _table_shows(page, B2_NUMBERS[0])
    listed = grid_texts(page)
    assert not any(n in cell for n in A1_NUMBERS for cell in listed), listed
    assert not any(n in page.content() for n in A1_NUMBERS)
    shoot(page, "06-second-account-list")


def test_buyer_visit_from_login_to_logout(
    browser: Browser, start_portal: Callable[[Path], Portal], data_dir: Path, shoot: Shoot
) -> None:
    _seed()
    portal = start_portal(data_dir)
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(portal.url)
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    shoot(page, "00-login")
    log_in(page, "olga", PASSWORD)

    balance = _home(page, shoot, "01-home", "A1", A1_BALANCE)
    _filter_and_open(page, shoot)
    _document_and_pdf(page, shoot)
    documents_href = page.locator('[data-testid="stSidebarNavLink"]',
                                  has_text="Invoices and credit notes").first.get_attribute("href")
    assert documents_href
    _statement(page, shoot, balance)
    _second_account(page, shoot)

    log_out(page)
    expect(page.locator('[data-testid="stSidebarNavLink"]')).to_have_count(0)
    for address in (documents_href, portal.url):  # typed in again: only the login form
        page.goto(address)
        expect(page.get_by_role("button", name="Login")).to_be_visible()
        expect(page.get_by_role("heading", name="Invoices and credit notes")).to_have_count(0)
        content = page.content()
        assert not any(n in content for n in (*A1_NUMBERS, *B2_NUMBERS))
        assert "Birch Bakery" not in content and "Alder Cafes" not in content
    shoot(page, "07-logged-out")
    context.close()
