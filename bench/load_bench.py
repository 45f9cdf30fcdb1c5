"""Simultaneous buyer sessions in real Chromium against one portal: time to content and errors.

One browser, one context per session (20 Chromium pages fit 2 cores and 24 GB this way). Each
level (1, 10, 20 sessions) gets a freshly started portal, warmed up by one session of a buyer
not measured, so that every measured account starts with cold caches in a warm process.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import Row, Section, Size, percentile
from bench.generate import Dataset
from bench.processes import CpuMeter, Portal

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking"]
TARGET = 3.0
SESSION_TIMEOUT_MS = 180_000
LOST_CLICK_MS, MAX_LOST_CLICKS = 30_000, 2
LIST_TITLE = "Invoices and credit notes"


async def _log_in(page: Any, username: str, password: str) -> tuple[float, int]:
    """Fill the form once the page has settled, press Login, wait for Home's table.

    Returns the seconds from the first click to Home's table, and how many clicks were lost.
    """
    from playwright.async_api import expect

    login = page.get_by_role("button", name="Login")
    await expect(login).to_be_visible(timeout=SESSION_TIMEOUT_MS)
    # A person starts typing a moment after the form shows: wait until the app is idle.
    await _idle_for(page, 1.5)
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password", exact=True).fill(password)
    start, lost = time.perf_counter(), 0
    await login.click()
    while not await _logged_in(page, LOST_CLICK_MS):
        if time.perf_counter() - start > SESSION_TIMEOUT_MS / 1000:
            raise TimeoutError("no login within the time limit after Login was pressed")
        # Still the form, and the app idle for seconds: the click fell into a rerun.
        if lost < MAX_LOST_CLICKS and await login.is_visible() and await _idle_for(page, 3, 0):
            lost += 1
            await login.click()
    await expect(page.get_by_text("Most recent documents")).to_be_visible(
        timeout=SESSION_TIMEOUT_MS)
    await expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(
        timeout=SESSION_TIMEOUT_MS)
    return time.perf_counter() - start, lost


async def _idle_for(page: Any, seconds: float, patience: float = 60) -> bool:
    """Wait (up to `patience` more seconds) until no script has run for `seconds` in a row."""
    status = page.locator('[data-testid="stStatusWidget"]')
    deadline, quiet_since = time.perf_counter() + seconds + patience, time.perf_counter()
    while True:
        if await status.count():
            quiet_since = time.perf_counter()
        elif time.perf_counter() - quiet_since >= seconds:
            return True
        if time.perf_counter() >= deadline:
            return False
        await page.wait_for_timeout(250)


async def _logged_in(page: Any, timeout_ms: int) -> bool:
    from playwright.async_api import expect

    try:
        await expect(page.get_by_text("Logged in as")).to_be_visible(timeout=timeout_ms)
        return True
    except AssertionError:
        return False


async def _open_list(page: Any) -> float:
    """Follow the sidebar link to the invoice list and wait for its table and count."""
    from playwright.async_api import expect

    start = time.perf_counter()
    await page.locator('[data-testid="stSidebarNavLink"]', has_text=LIST_TITLE).click()
    await expect(page.get_by_text("documents, newest first")).to_be_visible(
        timeout=SESSION_TIMEOUT_MS)
    await expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(
        timeout=SESSION_TIMEOUT_MS)
    return time.perf_counter() - start


async def _session(browser: Any, url: str, username: str, password: str,
                   shots: Path) -> dict[str, Any]:  # fmt: skip
    """One buyer's visit: log in to Home, then the invoice list; an error is kept, not raised
    (with a screenshot of what the buyer saw)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                        reduced_motion="reduce")
    page = await context.new_page()
    try:
        await page.goto(url, timeout=SESSION_TIMEOUT_MS)
        home, lost = await _log_in(page, username, password)
        listed = await _open_list(page)
        problem = await page.locator('[data-testid="stException"]').count()
        return {"home": home, "list": listed, "lost_clicks": lost,
                "error": "a traceback was shown" if problem else None}  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - any failure is one error of the load test
        shots.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(shots / f"{username}.png"))
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}
    finally:
        await context.close()


async def _level(ds: Dataset, sessions: int, log: Path,
                 warm_up: bool) -> tuple[list[dict[str, Any]], dict[str, float]]:  # fmt: skip
    """A fresh portal, one warm-up visit, then `sessions` buyers at once.

    Returns each visit's result, and the CPU seconds used meanwhile and the portal's peak memory.
    """
    from playwright.async_api import async_playwright

    portal = Portal(ds.data_dir, log)
    try:
        async with async_playwright() as play:
            browser = await play.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            shots = log.with_suffix("")  # screenshots of failed visits, this run's only
            shutil.rmtree(shots, ignore_errors=True)
            warm = await _session(browser, portal.url, ds.buyers[-1][0], ds.password, shots) if (
                warm_up) else {}
            if warm.get("error"):
                raise RuntimeError(f"the warm-up session failed: {warm['error']}")
            visits = [_session(browser, portal.url, user, ds.password, shots)
                      for user, _ in ds.buyers[:sessions]]  # fmt: skip
            meter = CpuMeter(portal.process.pid)
            results = list(await asyncio.gather(*visits))
            usage = meter.stop()
            await browser.close()
        return results, {**usage, "portal peak MB": portal.peak_mb()}
    finally:
        portal.stop()


def _times(results: list[dict[str, Any]], key: str) -> list[float]:
    return [r[key] for r in results if not r.get("error") and key in r]


def _add_level(section: Section, sessions: int, results: list[dict[str, Any]],
               single: dict[str, tuple[float, float]]) -> None:  # fmt: skip
    """Median and p95 of each step beside the single-session figures, then the errors.

    The first level measured (one session) fills `single`, the floor of the later levels.
    """
    first = not single
    who = f"{sessions} session" + ("s" if sessions != 1 else "")
    for key, label in (("home", "log in to Home drawn"), ("list", "invoice list drawn")):
        found = _times(results, key)
        if not found:
            continue
        median, p95 = statistics.median(found), percentile(found, 0.95)
        if first:
            single[key] = (median, p95)
        base = single.get(key, (None, None))
        target = TARGET if sessions >= 20 else None
        section.add(Row(f"{who}: {label}, median", median, base[0], target))
        section.add(Row(f"{who}: {label}, p95", p95, base[1]))
    errors = [r["error"] for r in results if r.get("error")]
    lost = sum(r.get("lost_clicks", 0) for r in results)
    note = "; ".join(sorted(set(errors)))[:300] + (
        " (a screenshot of each is in the work folder, beside the portal's log)" if errors else "")
    if lost:
        note = f"{lost} Login click(s) lost in a rerun and pressed again (time included). {note}"
    section.add(Row(f"{who}: errors", float(len(errors)), limit=0.0, unit="",
                    note=note.strip()))


def _usage(sessions: int, usage: dict[str, float]) -> str:
    cpu = ", ".join(f"{key} {usage[key]:.0f}" for key in ("portal", "browser", "other programs"))
    return (f"{sessions}: {usage['wall']:.0f} s wall, CPU-seconds {cpu}, portal peak "
            f"{usage['portal peak MB']:.0f} MB")


def _measure(ds: Dataset, size: Size, sessions: int,
             workdir: Path) -> tuple[list[dict[str, Any]], list[str]]:  # fmt: skip
    """One level; the single-session level is every ratio's floor, so it is taken a few times,
    each on its own fresh portal."""
    results: list[dict[str, Any]] = []
    usages = []
    for n in range(size.slow_runs if sessions == 1 else 1):
        log = workdir / f"portal-{sessions}-{n}.log"
        found, usage = asyncio.run(_level(ds, sessions, log, warm_up=not size.quick))
        results += found
        usages.append(_usage(sessions, usage))
    return results, usages


def _unavailable() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no browser at {CHROMIUM} (run `make browser`)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        return f"Playwright is not installed: {exc}"
    return None


def _method(ds: Dataset, size: Size) -> str:
    """How the figures were taken, for the report."""
    return (
        "One portal per level (`streamlit run portal_app.py` on loopback, on the benchmark "
        f"store), warmed up by one visit of {ds.buyers[-1][0]} (not with --quick); then that "
        f"many buyers of different accounts (largest first: {ds.buyers[0][1]}, ...) start at "
        "once in one Chromium, one context each (reduced motion, as a background tab). Each "
        "waits on the login form until the app has been idle 1.5 s (a person starts typing "
        "later than that); the clock "
        "runs from the Login click to Home's table drawn, and from the sidebar link to the "
        "list's count and table drawn. Floors are the 1-session figures of this run "
        f"({size.slow_runs if not size.quick else 1} single visits, each to its own fresh "
        "portal).")


def run(ds: Dataset, size: Size, workdir: Path) -> Section:
    """Each level of simultaneous sessions against its own fresh portal."""
    from lib import store

    section = Section("load", "6. Load (issue 6, item 10): simultaneous buyers in Chromium")
    section.unavailable = _unavailable()
    if section.unavailable:
        return section
    store.close_all()  # the portal process must be the only one holding the store
    single: dict[str, tuple[float, float]] = {}
    usages: list[str] = []
    for sessions in size.sessions:
        results, used = _measure(ds, size, sessions, workdir)
        usages += used
        _add_level(section, sessions, results, single)
    section.notes += [_method(ds, size),
                      "Where the time went (the browser and the portal share this machine's "
                      "cores; 'other programs' are processes outside the benchmark): "
                      + "; ".join(usages) + "."]  # fmt: skip
    return section
