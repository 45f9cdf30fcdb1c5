"""Concurrency: imports and corrections on the same documents at the same time, in threads of one
process (as the portal runs them), lose no update and show no error; a second process that
tries to write while the portal holds the store gets a clear message and never hangs.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from lib import corrections, models, store
from lib.access import Principal
from lib.imports import ImportOptions, run_import
from lib.settings import Settings
from tests.trust_figures import record

ROOT = Path(__file__).resolve().parent.parent
DOCS = 200
IMPORTS = 6
CORRECTIONS_EACH = 8
CORRECTED = slice(0, 20, 2)  # ten documents every correction marks
MAPPING = {"number": "Number", "account_code": "Account", "issue_date": "Date",
           "due_date": "Due", "total": "Total", "paid": "Paid", "description": "Description"}
FINANCE = Principal("fiona", "finance")


def _export(version: int) -> bytes:
    """Every document again, paid still 0 as far as the ERP knows, a new description."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Number", "Account", "Date", "Due", "Total", "Paid", "Description"])
    for i in range(DOCS):
        writer.writerow([f"INV-{i:05d}", f"C{i % 7}", "05/01/2026", "04/02/2026", "1000.00", "0",
                         f"delivery note version {version}"])  # fmt: skip
    return out.getvalue().encode()


def _import(url: str, version: int) -> Any:
    return run_import(url, _export(version), f"export-{version}.csv", kind="documents",
                      mapping=MAPPING, options=ImportOptions(), actor="fiona")


def _document_ids(url: str) -> list[int]:
    with store.session_scope(url) as session:
        return sorted(d.id or 0 for d in session.exec(select(models.Document)).all())


def _run_together(url: str, ids: list[int], correctors: int, imports: int) -> list[str]:
    """Start an importer (if imports) and correctors at the same moment; the errors they met.

    Corrector n's call k marks the same documents partly paid with an amount no other call
    uses, so the audit log can show which value each correction started from.
    """
    errors: list[str] = []
    start = threading.Barrier(correctors + (1 if imports else 0))

    def importer() -> None:
        start.wait()
        for version in range(1, imports + 1):
            try:
                outcome = _import(url, version)
                assert outcome.applied, outcome.preview.errors[:3]
            except Exception as exc:  # what a user would be shown
                errors.append(f"import {version}: {type(exc).__name__}: {str(exc)[:200]}")

    def corrector(n: int) -> None:
        start.wait()
        for k in range(CORRECTIONS_EACH):
            amount = Decimal(f"{n + 1}{k:02d}.{n}{k % 10}")
            try:
                corrections.correct_documents(url, FINANCE, ids[CORRECTED], corrections.PARTIAL,
                                              f"corrector {n} call {k}", amount)  # fmt: skip
            except Exception as exc:
                errors.append(f"corrector {n} call {k}: {type(exc).__name__}: {str(exc)[:200]}")

    threads = [threading.Thread(target=corrector, args=(n,)) for n in range(correctors)]
    threads += [threading.Thread(target=importer)] if imports else []
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def test_an_import_and_corrections_of_the_same_documents_at_once(url: str) -> None:
    """The import rewrites every document while a member of staff corrects some of them."""
    assert _import(url, 0).applied
    ids = _document_ids(url)
    errors = _run_together(url, ids, correctors=1, imports=IMPORTS)
    assert not errors, errors
    _check_no_update_lost(url, ids, correctors=1, imports=IMPORTS)


def test_two_people_correcting_the_same_documents_at_once(url: str) -> None:
    assert _import(url, 0).applied
    ids = _document_ids(url)
    errors = _run_together(url, ids, correctors=2, imports=0)
    assert not errors, errors
    _check_no_update_lost(url, ids, correctors=2, imports=0)


def _check_no_update_lost(url: str, ids: list[int], correctors: int, imports: int) -> None:
    """Every correction is in the audit log, and they chain: each one started from the value
    the one before it left (a lost update would show two starting from the same value)."""
    with store.session_scope(url) as session:
        docs = {d.id: d for d in session.exec(select(models.Document)).all()}
        events = session.exec(select(models.AuditEvent).where(
            models.AuditEvent.action == corrections.ACTION)).all()
        batches = session.exec(select(models.ImportBatch)).all()
    chains: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for event in events:
        detail = json.loads(event.detail_json)
        chains[detail["document_id"]].append(
            (Decimal(detail["before"]["paid"]), Decimal(detail["after"]["paid"])))
    calls = correctors * CORRECTIONS_EACH
    corrected = set(ids[CORRECTED])
    for doc_id in corrected:
        steps = dict(chains[doc_id])
        assert len(steps) == len(chains[doc_id]) == calls, f"document {doc_id}: a lost update"
        value = Decimal(0)
        for _ in range(calls):
            value = steps.pop(value)  # KeyError: a correction did not see the one before it
        assert docs[doc_id].paid == value, "the last correction is what the portal shows"
    assert all(docs[i].paid == 0 and i not in chains for i in ids if i not in corrected)
    # The imports were not lost either, and the same paid amount from the feed kept the
    # corrections in place.
    assert all(d.description == f"delivery note version {imports}" for d in docs.values())
    assert len([b for b in batches if b.status == "applied"]) == imports + 1
    record("concurrency", threads=correctors + bool(imports), imports=imports,
           corrections=calls, document_updates=calls * len(corrected) + imports * DOCS,
           lost_updates=0, errors_shown=0)  # fmt: skip


def test_a_correction_made_during_a_long_import_waits_for_it(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large import holds its transaction for seconds (4.5 s for a million rows): a
    correction of one of its documents meanwhile should wait and then apply, not fail."""
    from lib.imports import apply

    assert _import(url, 0).applied
    ids = _document_ids(url)
    writing, slow = threading.Event(), apply.apply_documents

    def long_apply(*args: Any, **kwargs: Any) -> Any:
        counts = slow(*args, **kwargs)
        writing.set()
        time.sleep(2.0)  # the rows are written, the transaction is still open
        return counts

    monkeypatch.setattr(apply, "apply_documents", long_apply)
    importer = threading.Thread(target=_import, args=(url, 1))
    importer.start()
    assert writing.wait(30)
    try:
        corrections.correct_documents(url, FINANCE, ids[:1], corrections.PAID, "paid today")
    finally:
        importer.join()
    with store.session_scope(url) as session:
        doc = session.get(models.Document, ids[0])
        assert doc is not None and doc.paid == doc.total
        assert doc.description == "delivery note version 1"


# ---- a second process while the portal holds the store -----------------------------------


def _cli(settings: Settings, *args: str, timeout: float = 60) -> tuple[int, str, float]:
    env = {**os.environ, "PORTAL_DATA_DIR": str(settings.data_dir)}
    begin = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "lib.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    return done.returncode, done.stdout + done.stderr, time.monotonic() - begin


def test_a_second_process_gets_a_clear_message_and_never_hangs(
    url: str, settings: Settings, tmp_path: Path
) -> None:
    """This test process plays the running portal: it holds the store open."""
    with store.session_scope(url) as session:
        session.add(models.Account(code="HELD", name="Held by the portal"))
    before = store.content_checksum(url)
    export = tmp_path / "export.csv"
    export.write_bytes(_export(1))
    attempts = [
        ("account", "add", "NEW1", "--name", "New account"),
        ("user", "add", "someone", "--name", "Someone", "--email", "s@example.com",
         "--role", "buyer"),
        ("user", "disable", "someone"),
        ("import", str(export), "--kind", "documents", "--dry-run"),
    ]
    for args in attempts:
        code, output, seconds = _cli(settings, *args)
        assert code != 0, (args, output)
        assert "Traceback" not in output, output
        assert "using the store" in output or "portal" in output.lower(), output
        assert seconds < 30, f"{args} took {seconds:.1f} s"
    # A real import from the shell is handed to the running portal's drop folder instead.
    code, output, seconds = _cli(settings, "import", str(export), "--kind", "documents")
    assert "Traceback" not in output and seconds < 30, output
    handed = list(settings.inbox.glob("*export*.csv"))
    assert handed, output
    assert store.content_checksum(url) == before  # nothing was written behind our back
    record("concurrency", second_process_attempts=len(attempts) + 1, hangs=0,
           unclear_messages=0)  # fmt: skip
