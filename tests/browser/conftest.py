"""Real-browser fixtures: Debian's Chromium through Playwright, and a real portal server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.processes import Portal
from lib import store
from tests.trust_figures import record

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Use Debian's Chromium: the test tool's own browser download cannot work here."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(autouse=True)
def _patient_expectations() -> None:
    """Streamlit reruns take a few seconds on a loaded 2-core machine: wait up to 20 s."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20000)


@pytest.fixture
def start_portal(tmp_path: Path) -> Iterator[Callable[[Path], Portal]]:
    """Start a portal on a data folder prepared by the test (close the test's engines first)."""
    running: list[Portal] = []

    def _start(data_dir: Path) -> Portal:
        store.close_all()  # the portal process must be the only one holding the store
        portal = Portal(data_dir)
        running.append(portal)
        return portal

    yield _start
    for portal in running:
        portal.stop()


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Iterator[Callable[[Any, str], None]]:
    """Save a full-page screenshot of a key screen as a test artifact.

    Each journey (a test_journey_* module) is counted with its screenshots for docs/TRUST.md.
    """
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    taken: list[str] = []

    def _shoot(page: Any, name: str) -> None:
        taken.append(name)
        height = page.evaluate(
            "() => (document.querySelector('[data-testid=stMain]') || document.body).scrollHeight"
        )
        page.set_viewport_size({"width": 1280, "height": max(800, min(int(height) + 100, 6000))})
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

    yield _shoot
    if request.node.module.__name__.rsplit(".", 1)[-1].startswith("test_journey_"):
        record("journeys", journeys=1, screenshots=len(taken))


def log_in(page: Any, username: str, password: str, wait_for_cookie: bool = True) -> None:
    """Log in through the form; press Login again if the click was lost.

    No rerun should follow a page load any more (the login library's cookie component, which
    reported the browser's cookies once loaded and so lost such clicks, is no longer drawn:
    test_journey_foundation logs in with a single click); the retry keeps other journeys from
    failing on a click a slow machine still loses.
    """
    from playwright.sync_api import expect

    for attempt in range(3):
        expect(page.get_by_role("button", name="Login")).to_be_visible(timeout=20000)
        expect(page.get_by_label("Username")).to_have_count(1)  # the previous page is gone
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Login").click()
        try:
            expect(page.get_by_text("Logged in as")).to_be_visible(timeout=6000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    if wait_for_cookie:
        cookie_written(page)


def log_out(page: Any) -> None:
    """Press Log out until the login form shows (a click landing in a rerun still in progress
    on a slow machine can be lost)."""
    from playwright.sync_api import expect

    for attempt in range(3):
        settle(page)
        page.get_by_role("button", name="Log out").click()
        try:
            expect(page.get_by_label("Username")).to_be_visible(timeout=8000)
            return
        except AssertionError:
            if attempt == 2:
                raise


def cookie_written(page: Any, name: str = "portal_session") -> None:
    """Wait until the page's script has stored the login cookie (a reload then stays in)."""
    for _ in range(200):
        if any(c["name"] == name for c in page.context.cookies()):
            settle(page)
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the login cookie {name!r} was never written")


def nav(page: Any, title: str) -> None:
    """Open a page from the sidebar and wait for its title; click again if a rerun swallowed
    the click (the address can change while the script is still drawing the old page)."""
    from playwright.sync_api import expect

    link = page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first
    heading = page.get_by_role("heading", name=title, level=1)
    for attempt in range(3):
        link.click()
        try:
            expect(heading).to_be_visible(timeout=8000)
            settle(page)
            return
        except AssertionError:
            if attempt == 2:
                raise


def settle(page: Any) -> None:
    """Wait until the run has finished redrawing: Streamlit keeps the previous run's elements,
    marked stale, beside the new ones until the script ends (a field is then on the page twice)."""
    from playwright.sync_api import expect

    expect(page.locator('[data-stale="true"]')).to_have_count(0)


def one(locator: Any) -> Any:
    """The locator once it matches exactly one element (a stale copy of a redrawn widget can
    linger for a moment during a rerun)."""
    from playwright.sync_api import expect

    expect(locator).to_have_count(1)
    return locator


# ---- helpers for journeys: what a person reads, picks, ticks and downloads -------------------


def listed_caption(count: int) -> str:
    """How the invoice list starts its caption for this many documents."""
    return "1 document." if count == 1 else f"{count:,} documents, newest first."


def grid_texts(page: Any, index: int = 0) -> list[str]:
    """The text of the visible cells of the index-th data table (-1: the last), from its
    accessible grid (the table itself is drawn on a canvas)."""
    cells = page.locator('[data-testid="stDataFrame"]').nth(index).locator(
        '[data-testid^="glide-cell-"]')
    cells.first.wait_for(state="attached", timeout=20000)
    return [text.strip() for text in cells.all_text_contents()]


def metric(page: Any, label: str) -> Any:
    """The value of the metric with this label (a locator, for expect())."""
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return box.first.locator('[data-testid="stMetricValue"]')


def pick(page: Any, box: Any, option: str, exact: bool = True) -> None:
    """Choose an option of a select box or multiselect; open it again if a rerun closed it."""
    from playwright.sync_api import expect

    # While a rerun redraws a widget whose options changed, the old one is still on the page.
    expect(box).to_have_count(1)
    for attempt in range(3):
        box.click()
        choice = page.get_by_role("option", name=option, exact=exact)
        try:
            expect(choice).to_be_visible(timeout=5000)
            choice.click()
            return
        except AssertionError:
            page.keyboard.press("Escape")
            if attempt == 2:
                raise


def tick_row(page: Any, row: int, rows: int, table: int = 0) -> None:
    """Tick one row's checkbox in a row-selection table, as a mouse user does.

    The table is drawn on a canvas: the click goes to the checkbox column at the row's height
    (header and rows are equally tall while the table shows all its rows). Clicked again only
    if the accessible grid shows the row still unselected after a rerun that swallowed it.
    """
    from playwright.sync_api import expect

    grid = page.locator('[data-testid="stDataFrame"]').nth(table)
    selected = grid.locator(f'tr[aria-rowindex="{row + 2}"][aria-selected="true"]')
    for attempt in range(3):
        box = grid.bounding_box()
        assert box is not None
        row_height = (box["height"] - 2) / (rows + 1)
        page.mouse.click(box["x"] + 16, box["y"] + row_height * (row + 1.5))
        try:
            expect(selected).to_have_count(1, timeout=5000)
            return
        except AssertionError:
            if attempt == 2:
                raise


def download(page: Any, button: str) -> tuple[str, bytes]:
    """Click a download button and return the file's suggested name and its bytes."""
    with page.expect_download(timeout=30000) as info:
        page.get_by_role("button", name=button).click()
    saved = info.value
    path = saved.path()
    return saved.suggested_filename, Path(path).read_bytes()


def pdf_text(data: bytes) -> str:
    """The text a reader of this PDF sees, all pages."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
