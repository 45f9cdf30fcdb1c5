"""The drop folder: files placed in <data>/inbox/ are imported by a thread of the running portal.

DuckDB lets one process write the store, so the watcher runs inside the portal's process. The
portal starts it with the server (the `st.App` lifespan in portal_app.py) and again, idempotently,
from the router, so it runs even if nobody has opened a page since the server started.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lib import clock, store
from lib.errors import PortalError, StoreBusy
from lib.settings import Settings, load_settings

LOG = logging.getLogger("portal.inbox")
ACTOR = "inbox"
POLL_SECONDS = 2.0
# A file is picked up once its size and modification time stayed the same this long, so a file
# still being copied or uploaded (which keeps growing) is left alone.
SETTLE_SECONDS = 4.0
SUPPORTED = (".csv", ".txt", ".tsv", ".xlsx")
# Names that copy tools use while a transfer is in progress; the final rename makes them visible.
_IN_PROGRESS = re.compile(r"^[.~]|\.(part|partial|tmp|filepart|crdownload|swp)$", re.IGNORECASE)


@dataclass(frozen=True)
class InboxResult:
    """What became of one dropped file."""

    file_name: str
    imported: bool
    moved_to: Path
    import_id: int | None = None
    problems_csv: Path | None = None
    message: str = ""


# ---- the folder ----------------------------------------------------------------------------


def folders(inbox: Path) -> tuple[Path, Path]:
    """The processed/ and failed/ folders of an inbox, created if missing."""
    processed, failed = inbox / "processed", inbox / "failed"
    for folder in (inbox, processed, failed):
        folder.mkdir(parents=True, exist_ok=True)
    return processed, failed


def candidates(inbox: Path) -> list[Path]:
    """Files waiting in the inbox (not folders, not transfers in progress), oldest first."""
    if not inbox.is_dir():
        return []
    found = []
    for path in inbox.iterdir():
        try:  # a file may be moved away between listing and looking at it
            if path.is_file() and not _IN_PROGRESS.search(path.name):
                found.append((path.stat().st_mtime_ns, path.name, path))
        except FileNotFoundError:
            continue
    return [path for *_, path in sorted(found)]


class Settle:
    """Remembers each waiting file's size and time; says which stopped changing."""

    def __init__(self, settle_seconds: float = SETTLE_SECONDS) -> None:
        self.settle = settle_seconds
        self.seen: dict[Path, tuple[int, int, float]] = {}

    def ready(self, paths: list[Path], now: float) -> list[Path]:
        """The files whose size and modification time have not changed for `settle` seconds."""
        ready, current = [], {}
        for path in paths:
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            size, mtime, since = self.seen.get(path, (-1, -1, now))
            if (size, mtime) != (info.st_size, info.st_mtime_ns):
                since = now
            current[path] = (info.st_size, info.st_mtime_ns, since)
            if now - since >= self.settle:
                ready.append(path)
        self.seen = current
        return ready


def _free_name(folder: Path, name: str) -> Path:
    """`name` in `folder`, with a time stamp added when that name is taken."""
    target = folder / name
    if not target.exists():
        return target
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%f")
    return folder / (f"{stem}-{stamp}{dot}{ext}" if dot else f"{name}-{stamp}")


def hand_over(source: Path, inbox: Path, name: str | None = None) -> Path:
    """Copy a file into the inbox so the running portal imports it (atomically visible)."""
    folders(inbox)
    target = _free_name(inbox, Path(name or source.name).name)
    partial = inbox / f".{target.name}.partial"
    shutil.copyfile(source, partial)
    os.replace(partial, target)
    return target


# ---- which mapping -------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingChoice:
    """The mapping an unattended import uses, and where it came from."""

    kind: str
    fields: dict[str, str]
    options: dict[str, Any]
    name: str = ""  # the saved mapping's name; empty for a suggestion
    confident: bool = True
    missing: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()

    @property
    def suggested(self) -> bool:
        """True when no saved mapping was found and the suggestion is used."""
        return not self.name


def kind_hint(file_name: str) -> str | None:
    """A kind named at the start of a file name ("payments-2026-03.csv"), if any."""
    from lib.imports.mapping import FIELDS

    first = re.split(r"[^a-z]+", Path(file_name).name.lower(), maxsplit=1)[0]
    return next((kind for kind in FIELDS if first in (kind, kind.rstrip("s"))), None)


def choose_mapping(url: str, headers: Sequence[str], file_name: str, *, name: str | None = None,
                   kind: str | None = None) -> MappingChoice:
    """The named mapping, else the saved one matching the headers, else the suggested one."""
    from lib.imports import mapping as maps

    saved = maps.get_mapping(url, name) if name else maps.find_saved_mapping(url, headers, kind)
    if name and saved is None:
        raise PortalError(f"There is no saved mapping named {name!r}.")
    if saved is not None:
        return MappingChoice(saved.kind, maps.mapping_for_headers(saved, headers),
                             maps.saved_options(saved), saved.name)
    # Without a saved mapping only the kind named (or documents) is tried: guessing the kind
    # too could take a documents file for an accounts list.
    suggestion = maps.suggest_mapping(kind or kind_hint(file_name) or "documents", headers)
    options = {"date_order": suggestion.date_order} if suggestion.date_order else {}
    return MappingChoice(suggestion.kind, dict(suggestion.fields), options,
                         confident=suggestion.confident, missing=tuple(suggestion.missing),
                         uncertain=tuple(suggestion.uncertain))


def _suggestions_allowed(url: str) -> bool:
    from lib import portal_settings

    with store.session_scope(url) as session:
        return portal_settings.inbox_uses_suggestions(session)


def _ask_for_mapping(choice: MappingChoice) -> str:
    doubts = ", ".join(choice.missing + choice.uncertain) or "the columns"
    return (f"No saved mapping matches this file's headers, and the suggested {choice.kind} "
            f"mapping is not certain ({doubts}). Import the file once from the Imports page "
            "and save its mapping: later files with these headers then import by themselves.")


# ---- one file ------------------------------------------------------------------------------


def _fail(path: Path, failed: Path, message: str, problems: Sequence[Any] = ()) -> InboxResult:
    """Move a file to failed/ with its problems in a CSV beside it."""
    from lib.imports.result import Problem, problems_csv

    target = _free_name(failed, path.name)
    rows = list(problems) or [Problem(None, "", "", message)]
    report = target.with_name(target.name + ".problems.csv")
    report.write_text(problems_csv(rows), encoding="utf-8")
    os.replace(path, target)
    LOG.warning("inbox: %s failed: %s", path.name, message)
    return InboxResult(path.name, False, target, problems_csv=report, message=message)


def process_file(url: str, path: Path, inbox: Path) -> InboxResult:
    """Import one dropped file; move it to processed/ (named with the import id) or failed/."""
    processed, failed = folders(inbox)
    try:
        outcome = _import_dropped(url, path, path.name)
    except StoreBusy:
        raise  # not the file's fault: leave it in the inbox for the next scan
    except PortalError as exc:
        return _fail(path, failed, str(exc))
    except Exception as exc:  # the watcher must outlive any one bad file
        LOG.exception("inbox: unexpected error importing %s", path.name)
        return _fail(path, failed, f"The file could not be imported ({type(exc).__name__}).")
    import_id, problems, message = outcome
    if import_id is None:
        return _fail(path, failed, message, problems)
    target = _free_name(processed, f"{import_id}-{path.name}")
    os.replace(path, target)
    LOG.info("inbox: %s imported as import %s", path.name, import_id)
    return InboxResult(path.name, True, target, import_id=import_id, message=message)


def _import_dropped(url: str, source: Path, file_name: str) -> tuple[int | None, list[Any], str]:
    """Import a dropped file where it lies (it stopped growing before the watcher took it):
    (import id or None, its problems, a message)."""
    if Path(file_name).suffix.lower() not in SUPPORTED:
        raise PortalError(f"{file_name} is not an export the portal reads "
                          f"({', '.join(SUPPORTED)}).")
    # Imported here, not at the top: the portal's pages load this module, and a problem in
    # the import code must cost the drop folder only, never every page.
    from lib.imports import ImportOptions, read_headers, run_import

    headers = read_headers(source, file_name)
    choice = choose_mapping(url, headers, file_name)
    if choice.suggested and not choice.confident:
        raise PortalError(_ask_for_mapping(choice))
    if choice.suggested and not _suggestions_allowed(url):
        raise PortalError("No saved mapping matches this file's headers, and the drop folder "
                          "is set to use saved mappings only (Settings). Import the file once "
                          "from the Imports page and save its mapping.")
    options = ImportOptions.from_dict(choice.options, mapping_name=choice.name)
    outcome = run_import(url, source, file_name, kind=choice.kind, mapping=choice.fields,
                         options=options, actor=ACTOR)
    if outcome.applied:
        how = f"saved mapping {choice.name!r}" if choice.name else "the suggested mapping"
        return outcome.batch_id, [], f"Imported with {how}."
    preview = outcome.preview
    if preview.ok and choice.kind == "contacts":
        return None, [], CONTACTS_NOT_UNATTENDED
    if preview.ok:
        return None, [], f"Nothing in this {choice.kind} file could be applied; nothing written."
    return None, preview.errors, f"The file has {preview.error_count} problem(s); nothing written."


CONTACTS_NOT_UNATTENDED = (
    "A contacts file gives people logins, so it is never applied unattended: open it on the "
    "Imports page to invite its contacts. Nothing was written.")


# ---- the watcher thread --------------------------------------------------------------------


class Watcher(threading.Thread):
    """Scans one inbox every few seconds and imports the files that stopped growing."""

    def __init__(self, url: str, inbox: Path, poll_seconds: float = POLL_SECONDS,
                 settle_seconds: float = SETTLE_SECONDS) -> None:
        super().__init__(name=f"inbox-watcher:{inbox}", daemon=True)
        self.url, self.inbox, self.poll = url, inbox, poll_seconds
        self.settle = Settle(settle_seconds)
        self.stopping = threading.Event()
        self.store_open = False
        self.results: list[InboxResult] = []  # the latest few, for a status line

    def run(self) -> None:
        """Scan until asked to stop; no error ends the thread."""
        LOG.info("inbox: watching %s", self.inbox)
        busy = False
        while not self.stopping.is_set():
            try:
                self.scan_once()
                busy = False
            except StoreBusy:
                if not busy:  # say it once, not every few seconds
                    LOG.warning("inbox: another program holds the store; waiting for it")
                busy = True
            except Exception:  # never let the thread die: the next scan tries again
                LOG.exception("inbox: scan failed")
            self.stopping.wait(self.poll)

    def scan_once(self) -> list[InboxResult]:
        """One pass: import every file that has settled."""
        if not self.store_open:
            # Hold the store from the start, as the portal does, so that a command-line
            # import sees the portal running and hands its file over instead.
            store.engine_for(self.url)
            self.store_open = True
        done = []
        for path in self.settle.ready(candidates(self.inbox), clock.now().timestamp()):
            if self.stopping.is_set() or not path.exists():
                break
            done.append(process_file(self.url, path, self.inbox))
        self.results = (self.results + done)[-20:]
        return done

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish after the file it is importing, and wait for it."""
        self.stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


# The process's one watcher (one installation per process): server start and page runs ask.
_CURRENT: dict[str, Watcher] = {}
_CURRENT_LOCK = threading.Lock()


def ensure_watcher(settings: Settings, poll_seconds: float = POLL_SECONDS,
                   settle_seconds: float = SETTLE_SECONDS) -> Watcher:
    """The running watcher of this installation's inbox, started if it is not running."""
    inbox = settings.inbox.resolve()
    with _CURRENT_LOCK:
        watcher = _CURRENT.get("watcher")
        if watcher is not None and watcher.inbox == inbox and watcher.is_alive() and (
                not watcher.stopping.is_set()):
            return watcher
        if watcher is not None:  # another data folder (tests) or a dead thread: replace it
            watcher.stop()
        folders(inbox)
        watcher = Watcher(settings.database_url, inbox, poll_seconds, settle_seconds)
        watcher.start()
        _CURRENT["watcher"] = watcher
        return watcher


def stop_watchers() -> None:
    """Stop this process's watcher (server shutdown, interpreter exit, tests)."""
    with _CURRENT_LOCK:
        watcher = _CURRENT.pop("watcher", None)
    if watcher is not None:
        watcher.stop()


# A daemon thread still inside the database's native code when the interpreter exits aborts
# the process; stopping it first lets it finish cleanly.
atexit.register(stop_watchers)


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """The portal server's lifespan: watch the inbox from start-up, before any page is opened."""
    try:
        ensure_watcher(load_settings())
    except Exception:  # a broken inbox must not stop the portal from serving pages
        LOG.exception("inbox: the watcher could not start")
    yield None
    stop_watchers()
