"""Real browser: finance imports an ERP export (a bad file first), corrects a document, and the
buyer sees each step: nothing from the bad file, the fixed file's documents, the paid invoice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect

from lib import people, store
from lib.settings import load_settings
from tests import factories
from tests.browser.conftest import (
    Portal,
    grid_texts,
    listed_caption,
    log_in,
    metric,
    nav,
    one,
    pick,
    tick_row,
)

Shoot = Callable[[Any, str], None]
PASSWORD = "a long finance passphrase"
HEADER = ("Invoice Number,Customer ID,Customer Name,Invoice Date,Due Date,Currency,Total,"
          "Amount Paid\n")
# Row 2 is good; row 3 has a date that does not exist, row 4 an amount that is not a number.
BAD = (HEADER
       + "INV-5002,A1,Alder Cafes,01/07/2026,31/12/2099,GBP,200.00,50.00\n"
       + "INV-5003,A1,Alder Cafes,31/02/2026,30/03/2026,GBP,120.00,0\n"
       + "INV-5004,A1,Alder Cafes,01/10/2026,31/12/2099,GBP,TBC,0\n").encode()  # fmt: skip
FIXED = BAD.replace(b"31/02/2026", b"28/02/2026").replace(b"GBP,TBC", b"GBP,80.50")
BEFORE = "700.00 GBP"  # INV-5001 500.00 + INV-5002 200.00, both open
IMPORTED = "850.50 GBP"  # 500.00 + (200.00 - 50.00) + 120.00 + 80.50
CORRECTED = "350.50 GBP"  # the same less INV-5001 (500.00), marked paid


def _seed() -> None:
    """Account A1 with two open invoices from an earlier feed; its buyer bea, and fin."""
    with store.session_scope(load_settings().database_url) as s:
        a1 = factories.account(s, "A1", name="Alder Cafes")
        factories.document(s, "INV-5001", account=a1, issue_date=date(2026, 6, 1),
                           due_date=date(2099, 12, 31), total=Decimal("500.00"))  # fmt: skip
        factories.document(s, "INV-5002", account=a1, issue_date=date(2026, 7, 1),
                           due_date=date(2099, 12, 31), total=Decimal("200.00"))  # fmt: skip
        for username, role in (("fin", "finance"), ("bea", "buyer")):
            people.add_contact(s, "seed", username=username, name=username.title(),
                               email=f"{username}@example.com", role=role, password=PASSWORD)
        people.grant(s, "seed", "bea", "A1")


def _go(page: Page, title: str) -> None:
    nav(page, title)
    expect(page.get_by_role("heading", name=title).first).to_be_visible()


def _buyer(browser: Browser, url: str) -> tuple[BrowserContext, Page]:
    """bea, logged in afresh in a browser of her own."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    log_in(page, "bea", PASSWORD)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    return context, page


def _upload(page: Page, name: str, data: bytes) -> None:
    """Choose a file in the uploader and wait for the suggested mapping to be drawn."""
    chooser = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    chooser.set_input_files(files=FilePayload(name=name, mimeType="text/csv", buffer=data))
    expect(page.get_by_text(name, exact=True)).to_be_visible()
    # The run that reads the new file drops the previous file's preview: wait for it, so the
    # next click is not answered by a run that still holds the previous file.
    expect(page.get_by_role("heading", name="Preview", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Preview")).to_be_enabled()
    expect(page.get_by_text("Columns suggested from the headers.").first).to_be_visible()
    expect(page.get_by_text("The file as read: 8 columns")).to_be_visible()


def _bad_file(page: Page, shoot: Shoot) -> None:
    """The bad file's preview names each problem's row, column and value; nothing to apply."""
    _upload(page, "march.csv", BAD)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Problems")).to_be_visible()
    expect(metric(page, "Problems")).to_have_text("2")
    expect(metric(page, "Rows read")).to_have_text("3")
    expect(page.get_by_text("2 problem(s): by default nothing is written.")).to_be_visible()
    problems = page.locator('[data-testid="stDataFrame"]').last
    expect(problems.locator('[data-testid="glide-cell-1-1"]')).to_have_text("Total")
    cells = grid_texts(page, -1)
    assert cells[:3] == ["3", "Invoice Date", "31/02/2026"], cells
    assert cells[4:7] == ["4", "Total", "TBC"], cells
    assert "not a number" in cells[7], cells
    expect(page.get_by_role("button", name="Apply this file")).to_have_count(0)
    expect(page.get_by_role("button", name="Apply valid rows only")).to_be_disabled()
    shoot(page, "01-bad-file-problems")


def _buyer_sees(page: Page, balance: str, numbers: list[str]) -> None:
    """Home's balance, and exactly these documents in the list."""
    expect(metric(page, "Total outstanding")).to_have_text(balance)
    _go(page, "Invoices and credit notes")
    listing = re.compile("^" + re.escape(listed_caption(len(numbers))))
    expect(page.get_by_text(listing)).to_be_visible()
    # The caption comes before the table: wait for the list's own table (Home's may linger).
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table.locator('[data-testid^="glide-cell-"]', has_text=numbers[-1]).first
           ).to_be_attached()  # fmt: skip
    listed = [c for c in grid_texts(page) if c.startswith("INV-")]
    assert sorted(listed) == sorted(numbers), listed


def _fixed_file(page: Page, shoot: Shoot) -> None:
    """The fixed file previews clean, applies, and the import's counts are shown."""
    _upload(page, "march-fixed.csv", FIXED)
    page.get_by_role("button", name="Preview").click()
    expect(metric(page, "Problems")).to_have_text("0")
    expect(metric(page, "Changes")).to_have_text("3")
    expect(page.get_by_text("insert: 2, update: 1").first).to_be_visible()
    shoot(page, "03-fixed-file-preview")
    page.get_by_role("button", name="Apply this file").click()
    done = page.locator('[data-testid="stAlertContentSuccess"]')
    expect(done).to_have_text(re.compile(
        r"Import \d+ applied: inserted 2, updated 1, unchanged 0, marked paid 0, rejected 0\."))
    shoot(page, "04-applied")


def _correct(page: Page, shoot: Shoot) -> None:
    """Mark INV-5001 paid, with a note."""
    _go(page, "Corrections")
    search = one(page.get_by_label("Document number or PO reference"))
    search.fill("INV-5001")
    search.press("Enter")
    expect(page.get_by_text("1 documents", exact=True)).to_be_visible()
    pick(page, page.get_by_label("Documents to correct"), "INV-5001 · Invoice · A1")
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Correct 1 document(s)")).to_be_visible()
    page.locator('[data-testid="stRadio"]').get_by_text("paid", exact=True).click()
    one(page.get_by_label("Note (required)")).fill("Paid by bank transfer on 20 Nov, ref 4471")
    shoot(page, "05-correction-form")
    page.get_by_role("button", name="Correct 1 document(s)").click()
    expect(page.get_by_text("1 document(s) marked paid; 1 changed.")).to_be_visible()
    shoot(page, "06-corrected")


def test_finance_imports_a_file_and_corrects_a_document(
    browser: Browser, start_portal: Callable[[Path], Portal], data_dir: Path, shoot: Shoot
) -> None:
    _seed()
    portal = start_portal(data_dir)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(portal.url)
    log_in(page, "fin", PASSWORD)
    _go(page, "Imports")
    _bad_file(page, shoot)

    # Nothing of the bad file was written: the buyer sees the store as it was.
    buyer_context, buyer = _buyer(browser, portal.url)
    _buyer_sees(buyer, BEFORE, ["INV-5001", "INV-5002"])
    shoot(buyer, "02-buyer-before")
    buyer_context.close()

    _fixed_file(page, shoot)
    buyer_context, buyer = _buyer(browser, portal.url)
    _buyer_sees(buyer, IMPORTED, ["INV-5001", "INV-5002", "INV-5003", "INV-5004"])
    buyer_context.close()

    _correct(page, shoot)
    context.close()

    buyer_context, buyer = _buyer(browser, portal.url)
    _buyer_sees(buyer, CORRECTED, ["INV-5001", "INV-5002", "INV-5003", "INV-5004"])
    pick(buyer, buyer.get_by_label("Status", exact=True), "paid")
    buyer.keyboard.press("Escape")
    expect(buyer.get_by_text(re.compile("^" + re.escape(listed_caption(1))))).to_be_visible()
    expect(buyer.locator('[data-testid="glide-cell-1-0"]').first).to_have_text("INV-5001")
    # A mouse user ticks the row in the table (the buyer journey picks the number instead).
    tick_row(buyer, row=0, rows=1)
    expect(buyer.get_by_role("heading", name="Invoice INV-5001")).to_be_visible()
    expect(buyer.get_by_text("Status: paid").first).to_be_visible()
    fields = grid_texts(buyer, 2)
    assert {"paid", "500.00 GBP", "0.00 GBP"} <= set(fields), fields
    shoot(buyer, "07-buyer-sees-paid")
    buyer_context.close()
