"""Crashes: a process importing a large file, or correcting 500 documents, is killed with SIGKILL
at random moments; each time the store opens again and holds exactly the state before the
write or exactly the state after it (by lib.store.content_checksum), never a part of it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from lib import models, store
from lib.imports import ImportOptions, run_import
from tests.trust_figures import record

ROOT = Path(__file__).resolve().parent.parent
KILLS = 20
MAPPING = {"number": "Number", "account_code": "Account", "issue_date": "Date",
           "due_date": "Due", "total": "Total", "paid": "Paid", "po_reference": "Reference",
           "description": "Description"}  # fmt: skip
BIG_ROWS = 80_000  # the import takes about half a second here: long enough to land in


class Worker:
    """The forking worker process (tests/trust_crash_worker.py) and its messages."""

    def __init__(self, log: Path) -> None:
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.trust_crash_worker"], cwd=ROOT, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
        )  # fmt: skip
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.expect("ready", timeout=120)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.messages.put(json.loads(line))

    def expect(self, key: str, timeout: float = 60, seen: set[str] | None = None) -> dict[str, Any]:
        """The next message carrying `key` (others are noted in `seen`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {key!r} from the worker; see {self.log.name}") from None
            if key in message:
                return message
            if seen is not None:
                seen.update(message)

    def run(self, job: dict[str, Any], kill_after: float | None = None) -> dict[str, Any]:
        """Run one job; with kill_after, SIGKILL it that many seconds after it began."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        pid = self.expect("child")["child"]
        self.expect("go")
        began = time.monotonic()
        seen: set[str] = set()
        if kill_after is not None:
            time.sleep(kill_after)
            os.kill(pid, signal.SIGKILL)  # not reaped yet: the pid is still our child's
        else:
            self.expect("done", timeout=120, seen=seen)
            seen.add("done")
        seconds = time.monotonic() - began
        self.proc.stdin.write("reap\n")
        self.proc.stdin.flush()
        ended = self.expect("exit", seen=seen)
        return {**ended, "finished": "done" in seen, "seconds": seconds}

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    running = Worker(tmp_path_factory.mktemp("crash") / "worker.log")
    yield running
    running.close()


def _url(folder: Path) -> str:
    return f"duckdb:///{folder / 'portal.duckdb'}"


def _csv(rows: int, version: int) -> bytes:
    """An export of `rows` invoices over 300 accounts; `version` changes paid and references."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Number", "Account", "Date", "Due", "Total", "Paid", "Reference",
                     "Description"])  # fmt: skip
    for i in range(rows):
        writer.writerow([f"INV-{i:07d}", f"C{i % 300:03d}", "05/01/2026", "04/02/2026",
                         f"{100 + i % 977}.{i % 100:02d}", "10.00" if (i + version) % 3 else "0",
                         f"PO-{i}-{version}", f"Goods, delivery {version}"])  # fmt: skip
    return out.getvalue().encode()


def _checksum(folder: Path) -> dict[str, str]:
    """Open the store (replaying its log after a crash), take its checksum, close it."""
    try:
        return store.content_checksum(_url(folder))
    finally:
        store.close_all()


def _template(folder: Path, rows: int) -> Path:
    """A store holding an earlier import of `rows` documents, closed and ready to copy."""
    folder.mkdir(parents=True)
    outcome = run_import(_url(folder), _csv(rows, 0), "earlier.csv", kind="documents",
                         mapping=MAPPING, options=ImportOptions(), actor="fiona")  # fmt: skip
    assert outcome.applied
    store.close_all()
    return folder


def _kill_repeatedly(worker: Worker, template: Path, job: dict[str, Any], work: Path,
                     what: str) -> None:  # fmt: skip
    """Run the job once to its end, then KILLS times killed at random moments; check each."""
    before = _checksum(template)
    runs = []
    for n in range(2):  # the first run also warms the worker up (lazy imports, caches)
        reference = work / f"reference-{n}"
        shutil.copytree(template, reference)
        runs.append(worker.run({**job, "url": _url(reference)}))
        assert runs[-1]["finished"] and runs[-1]["code"] == 0, f"the {what} failed: see the log"
    after = _checksum(reference)
    assert after != before and after == _checksum(work / "reference-0")
    seconds = min(run["seconds"] for run in runs)
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    outcomes = {"before": 0, "after": 0, "killed mid-write": 0}
    for n in range(KILLS):
        copy = work / f"kill-{n}"
        shutil.copytree(template, copy)
        result = worker.run({**job, "url": _url(copy)}, kill_after=rng.uniform(0, 1.05 * seconds))
        state = _checksum(copy)  # opens again: the store must be usable
        assert state in (before, after), (
            f"kill {n} of the {what} (seed {seed}) left a store that is neither before nor "
            f"after: tables differing from 'before': "
            f"{sorted(t for t in state if state[t] != before[t])}")
        outcomes["before" if state == before else "after"] += 1
        outcomes["killed mid-write"] += bool(result["killed"] and not result["finished"])
        if result["finished"]:  # done before the kill (a less busy machine): aim earlier
            seconds *= 0.8
        shutil.rmtree(copy)
    record("crashes", kills=KILLS, survived=KILLS, **outcomes,
           **{f"{what} kills": KILLS, f"{what} run (s)": round(seconds, 2)})  # fmt: skip
    # Most kills must land while writing, or the test proves nothing.
    assert outcomes["killed mid-write"] >= KILLS // 2 and outcomes["before"] >= 1, outcomes


def test_a_killed_import_leaves_the_store_before_or_after_never_between(
    worker: Worker, tmp_path: Path
) -> None:
    template = _template(tmp_path / "template", BIG_ROWS // 2)
    big = tmp_path / "big-export.csv"
    big.write_bytes(_csv(BIG_ROWS, 1))  # half updates, half new documents
    job = {"op": "import", "file": str(big), "mapping": MAPPING}
    _kill_repeatedly(worker, template, job, tmp_path, "import")


def test_a_killed_correction_leaves_the_store_before_or_after_never_between(
    worker: Worker, tmp_path: Path
) -> None:
    template = _template(tmp_path / "template", 3000)
    with store.session_scope(_url(template)) as session:
        ids = sorted(d.id or 0 for d in session.exec(select(models.Document)).all())
    store.close_all()
    job = {"op": "correct", "ids": ids[:500], "state": "paid", "note": "Paid by bank transfer"}
    _kill_repeatedly(worker, template, job, tmp_path, "correction")
