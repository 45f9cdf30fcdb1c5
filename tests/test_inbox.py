"""The drop folder: settled files are imported by the portal's own thread, bad ones set aside."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import select

from lib import inbox, models, store
from lib.imports import mapping as maps
from lib.settings import Settings
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
GOOD = (
    "Invoice Number,Customer ID,Customer Name,Invoice Date,Due Date,Currency,Total,Amount Paid\n"
    "INV-1001,ACME,Acme Ltd,05/01/2026,04/02/2026,GBP,120.00,0\n"
    "INV-1002,ACME,Acme Ltd,06/01/2026,05/02/2026,GBP,80.50,80.50\n"
)
# Headers no suggestion can be sure of: only a saved mapping imports this layout.
OWN_HEADERS = ["Doc", "Cust", "Dated", "Amt"]
OWN = "Doc,Cust,Dated,Amt\nX-1,ACME,2026-01-05,10.00\nX-2,BETA,2026-01-06,20.00\n"
OWN_FIELDS = {"number": "Doc", "account_code": "Cust", "issue_date": "Dated", "total": "Amt"}
BAD = (
    "Invoice Number,Customer ID,Invoice Date,Total\n"
    "INV-9,ACME,31/02/2026,abc\n"
    "INV-10,ACME,01/02/2026,5.00\n"
)


def _drop(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _numbers(url: str) -> set[str]:
    with store.session_scope(url) as session:
        return set(session.exec(select(models.Document.number)).all())


def _batches(url: str) -> list[models.ImportBatch]:
    with store.session_scope(url) as session:
        return list(session.exec(select(models.ImportBatch)).all())


def _wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


# ---- picking files up ------------------------------------------------------------------------


def test_only_files_that_stopped_growing_are_picked_up(tmp_path: Path) -> None:
    settle = inbox.Settle(settle_seconds=1.0)
    path = _drop(tmp_path, "export.csv", "Number,Total\n")
    assert settle.ready([path], now=100.0) == []
    with path.open("a") as handle:  # still being written
        handle.write("INV-1,10\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert settle.ready([path], now=100.8) == []
    assert settle.ready([path], now=101.5) == []  # changed at 100.8: not settled yet
    assert settle.ready([path], now=101.9) == [path]


def test_transfers_in_progress_and_folders_are_not_candidates(tmp_path: Path) -> None:
    inbox.folders(tmp_path)
    for name in (".export.csv.partial", "export.csv.part", "~$export.xlsx", "big.csv.filepart",
                 "ready.csv"):
        _drop(tmp_path, name, "x")
    assert [p.name for p in inbox.candidates(tmp_path)] == ["ready.csv"]


def test_handing_over_copies_atomically_and_never_overwrites(tmp_path: Path) -> None:
    source = _drop(tmp_path, "export.csv", GOOD)
    box = tmp_path / "inbox"
    first = inbox.hand_over(source, box)
    second = inbox.hand_over(source, box)
    assert first.name == "export.csv" and second.name.startswith("export-")
    assert first.read_text() == GOOD == second.read_text()
    assert [p.name for p in inbox.candidates(box)] == sorted([first.name, second.name],
                                                             key=lambda n: n != "export.csv")


# ---- one file ------------------------------------------------------------------------------


def test_a_file_matching_a_saved_mapping_is_imported_and_moved(url: str,
                                                               settings: Settings) -> None:
    maps.save_mapping(url, "Own ERP", "documents", OWN_HEADERS, OWN_FIELDS)
    folder = settings.inbox
    inbox.folders(folder)
    path = _drop(folder, "own.csv", OWN)
    result = inbox.process_file(url, path, folder)
    assert result.imported, result.message
    assert result.moved_to == folder / "processed" / f"{result.import_id}-own.csv"
    assert result.moved_to.read_text() == OWN and not path.exists()
    assert _numbers(url) == {"X-1", "X-2"}
    [batch] = _batches(url)
    assert (batch.id, batch.actor, batch.mapping_name) == (result.import_id, "inbox", "Own ERP")


def test_without_a_saved_mapping_a_confident_suggestion_is_used(url: str,
                                                                settings: Settings) -> None:
    inbox.folders(settings.inbox)
    result = inbox.process_file(url, _drop(settings.inbox, "march.csv", GOOD), settings.inbox)
    assert result.imported and "suggested mapping" in result.message
    assert _numbers(url) == {"INV-1001", "INV-1002"}


def test_a_contacts_file_is_never_applied_unattended(url: str, settings: Settings) -> None:
    headers = ["Email", "Contact Name", "Customer ID"]
    maps.save_mapping(url, "ERP contacts", "contacts", headers,
                      {"email": "Email", "name": "Contact Name", "account_code": "Customer ID"})
    with store.session_scope(url) as session:
        factories.account(session, "ACME")
    inbox.folders(settings.inbox)
    before = store.content_checksum(url)
    contacts = "Email,Contact Name,Customer ID\npriya@acme.example,Priya Shah,ACME\n"
    result = inbox.process_file(url, _drop(settings.inbox, "contacts.csv", contacts),
                                settings.inbox)
    assert not result.imported and result.message == inbox.CONTACTS_NOT_UNATTENDED
    assert result.moved_to is not None and result.moved_to.parent.name == "failed"
    assert store.content_checksum(url) == before


def test_the_setting_can_require_a_saved_mapping(url: str, settings: Settings) -> None:
    from lib import portal_settings

    with store.session_scope(url) as session:
        portal_settings.set_value(session, "ada", portal_settings.INBOX_SUGGESTED, "no")
    inbox.folders(settings.inbox)
    before = store.content_checksum(url)
    result = inbox.process_file(url, _drop(settings.inbox, "march.csv", GOOD), settings.inbox)
    assert not result.imported and "saved mappings only" in result.message
    assert store.content_checksum(url) == before


def _problems(path: Path | None) -> list[dict[str, str]]:
    assert path is not None
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_an_uncertain_suggestion_fails_asking_for_a_mapping(url: str,
                                                            settings: Settings) -> None:
    inbox.folders(settings.inbox)
    before = store.content_checksum(url)
    result = inbox.process_file(url, _drop(settings.inbox, "own.csv", OWN), settings.inbox)
    assert not result.imported
    assert result.moved_to == settings.inbox / "failed" / "own.csv"
    [problem] = _problems(result.problems_csv)
    assert "save its mapping" in problem["message"]
    assert store.content_checksum(url) == before


def test_a_file_with_errors_writes_nothing_and_lists_each_problem(url: str,
                                                                  settings: Settings) -> None:
    inbox.folders(settings.inbox)
    before = store.content_checksum(url)
    for _ in range(2):  # the same name twice: the first failure is kept
        result = inbox.process_file(url, _drop(settings.inbox, "bad.csv", BAD), settings.inbox)
        assert not result.imported
    assert store.content_checksum(url) == before
    failed = sorted(p.name for p in (settings.inbox / "failed").iterdir())
    assert len(failed) == 4 and "bad.csv" in failed and "bad.csv.problems.csv" in failed
    problems = _problems(result.problems_csv)
    assert {(p["row"], p["column"], p["value"]) for p in problems} == {
        ("2", "Invoice Date", "31/02/2026"), ("2", "Total", "abc")}


def test_files_the_portal_cannot_read_fail_with_a_reason(url: str, settings: Settings) -> None:
    inbox.folders(settings.inbox)
    pdf = _drop(settings.inbox, "INV-1.pdf", "%PDF-1.4")
    binary = settings.inbox / "renamed.csv"
    binary.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4)
    assert "not an export" in inbox.process_file(url, pdf, settings.inbox).message
    result = inbox.process_file(url, binary, settings.inbox)
    assert not result.imported and result.problems_csv is not None
    assert _problems(result.problems_csv)[0]["message"]


# ---- the thread ----------------------------------------------------------------------------


@pytest.fixture
def fast_watcher(url: str, settings: Settings) -> Iterator[inbox.Watcher]:
    watcher = inbox.ensure_watcher(settings, poll_seconds=0.2, settle_seconds=0.5)
    yield watcher
    inbox.stop_watchers()


def test_the_watcher_imports_a_dropped_file_by_itself(url: str, settings: Settings,
                                                      fast_watcher: inbox.Watcher) -> None:
    assert inbox.ensure_watcher(settings) is fast_watcher  # one per process
    _drop(settings.inbox, "march.csv", GOOD)
    processed = settings.inbox / "processed"
    assert _wait_for(lambda: any(processed.glob("*-march.csv")), 15)
    assert _numbers(url) == {"INV-1001", "INV-1002"}
    assert fast_watcher.is_alive()


def test_a_watcher_for_another_data_folder_replaces_the_old_one(
        url: str, settings: Settings, fast_watcher: inbox.Watcher, tmp_path: Path) -> None:
    other = Settings(data_dir=tmp_path / "other", cookie_key=settings.cookie_key)
    replacement = inbox.ensure_watcher(other, poll_seconds=0.2)
    try:
        assert replacement is not fast_watcher and not fast_watcher.is_alive()
    finally:
        inbox.stop_watchers()
    assert not replacement.is_alive()


# ---- the real portal -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _portal(tmp_path: Path) -> Iterator[int]:
    """The real portal, started as the README starts it, on this test's data folder."""
    store.close_all()  # the portal must be the process that holds the store
    port = _free_port()
    log = (tmp_path / "portal.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "portal_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert _wait_for(lambda: _healthy(port), 60), (tmp_path / "portal.log").read_text()
        yield port
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lib.cli", "import", *args], cwd=ROOT,
                          env=os.environ.copy(), capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_the_running_portal_imports_dropped_files_without_any_visit(
        settings: Settings, tmp_path: Path) -> None:
    maps.save_mapping(settings.database_url, "Own ERP", "documents", OWN_HEADERS, OWN_FIELDS)
    processed, failed = inbox.folders(settings.inbox)
    handed = _drop(tmp_path, "april.csv", GOOD.replace("INV-100", "INV-200"))
    with _portal(tmp_path):
        started = time.monotonic()
        _drop(settings.inbox, "own.csv", OWN)  # nobody has opened a page
        _drop(settings.inbox, "bad.csv", BAD)
        assert _wait_for(lambda: any(processed.glob("*-own.csv")), 30)
        assert time.monotonic() - started < 30
        assert _wait_for(lambda: (failed / "bad.csv.problems.csv").exists(), 30)

        result = _cli(str(handed))  # the store is held by the portal: hand the file over
        assert result.returncode == 0, result.stderr
        assert "drop folder" in result.stdout
        assert _wait_for(lambda: any(processed.glob("*-april.csv")), 30)

        preview = _cli(str(handed), "--dry-run", "--json")
        assert preview.returncode == 3 and "cannot be made" in preview.stderr
        assert preview.stdout == ""
    assert _numbers(settings.database_url) == {"X-1", "X-2", "INV-2001", "INV-2002"}
    assert {b.actor for b in _batches(settings.database_url)} == {"inbox"}
