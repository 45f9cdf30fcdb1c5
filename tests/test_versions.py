"""The store's version: every write a page shows moves it, so cached pages never show stale data.

Pages cache what they read under the store's version (lib/versions.py). These tests write the
way the portal does (an import, a correction, a revert, a PDF upload, a setting, a logout) and
check the version moved; then run the real app, write from another connection and from another
process, and check the page shows the new values on its next run.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from lib import clock, corrections, inbox, logins, people, portal_settings, queries, store
from lib.access import Principal
from lib.errors import PortalError
from lib.imports import ImportOptions, revert_import, run_import
from lib.settings import Settings
from tests import factories
from tests.pagetools import log_in, new_app, texts

ROOT = Path(__file__).resolve().parent.parent
FINANCE = Principal("fiona", "finance")
PASSWORD = "correct horse battery"
HEADER = "Number,Customer,Name,Date,Total,Paid\n"
MAPPING = {"number": "Number", "account_code": "Customer", "account_name": "Name",
           "issue_date": "Date", "total": "Total", "paid": "Paid"}  # fmt: skip


def _feed(url: str, body: str, **kwargs: object) -> object:
    return run_import(url, (HEADER + body).encode(), "feed.csv", kind="documents",
                      mapping=MAPPING, options=ImportOptions(), actor="feed", **kwargs)


def _pdf(text: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=True)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


def _doc_id(url: str, number: str) -> int:
    with store.session_scope(url) as session:
        scope = queries.scope_for(session, FINANCE, "ACME")
        frame = queries.document_list(session, scope, as_of=clock.today())
    return int(frame.loc[frame["Number"] == number, "id"].iloc[0])


@pytest.fixture
def acme(url: str) -> str:
    """ACME with two open invoices."""
    with store.session_scope(url) as session:
        factories.document(session, "INV-1")
        factories.document(session, "INV-2", total=Decimal("250.00"))
    return url


def test_reads_and_refused_writes_leave_the_version_alone(acme: str) -> None:
    before = store.current_version(acme)
    with store.session_scope(acme) as session:
        assert queries.data_version(session) == f"v{before}"
        scope = queries.scope_for(session, FINANCE, "ACME")
        queries.document_list(session, scope, as_of=clock.today())
    with pytest.raises(PortalError):
        corrections.correct_documents(acme, FINANCE, [], corrections.PAID, "no documents")
    bad = _feed(acme, "INV-9,ACME,Acme,not a date,abc,0\n")
    dry = _feed(acme, "INV-3,ACME,Acme,2026-03-01,10,0\n", dry_run=True)
    assert not bad.applied and not dry.applied  # type: ignore[attr-defined]
    assert store.current_version(acme) == before


def test_an_import_and_each_revert_step_move_the_version(acme: str) -> None:
    before = store.current_version(acme)
    outcome = _feed(acme, "INV-1,ACME,Acme,2026-01-10,150,10\nINV-7,NEWCO,New Co,2026-03-02,70,0\n")
    imported = store.current_version(acme)
    assert imported > before
    revert_import(acme, outcome.batch_id, "fiona")  # type: ignore[attr-defined]
    # Restore, remove documents, remove accounts: three commits, each marked, so no page keeps
    # a state between two of them as current.
    assert store.current_version(acme) == imported + 3


def test_a_correction_moves_the_version(acme: str) -> None:
    before = store.current_version(acme)
    corrections.correct_documents(acme, FINANCE, [_doc_id(acme, "INV-2")], corrections.PAID,
                                  "paid by cheque")  # fmt: skip
    assert store.current_version(acme) > before


def test_a_pdf_upload_moves_the_version(acme: str, settings: Settings) -> None:
    from lib import pdfs

    before = store.current_version(acme)
    report = pdfs.attach_pdfs(acme, FINANCE, [("INV-1.pdf", _pdf("INV-1"))],
                              documents_dir=settings.documents_dir)
    assert len(report.matched) == 1
    assert store.current_version(acme) > before


def test_a_setting_moves_the_version(acme: str) -> None:
    before = store.current_version(acme)
    with store.session_scope(acme) as session:
        portal_settings.set_value(session, "ada", portal_settings.SESSION_HOURS, "2")
    assert store.current_version(acme) > before


def test_ending_sessions_moves_the_version_but_login_bookkeeping_does_not(
    acme: str, settings: Settings
) -> None:
    with store.session_scope(acme) as session:
        people.add_contact(session, "t", username="bea", name="Bea", email="b@x.com",
                           role="buyer", password=PASSWORD)  # fmt: skip
    before = store.current_version(acme)
    with store.session_scope(acme) as session:
        logins.record_failure(session, "bea", clock.now(), settings)
        logins.record_success(session, "bea", clock.now(), via="password")
    assert store.current_version(acme) == before  # every login would empty every cache
    for end in (lambda s: logins.record_logout(s, "bea", clock.now()),
                lambda s: people.set_disabled(s, "ada", "bea", True, clock.now()),
                lambda s: people.grant(s, "ada", "bea", "ACME", None)):
        with store.session_scope(acme) as session:
            end(session)
        assert store.current_version(acme) > before
        before = store.current_version(acme)


@pytest.fixture
def buyer(acme: str) -> str:
    """bea, a buyer of ACME."""
    with store.session_scope(acme) as session:
        people.add_contact(session, "t", username="bea", name="Bea", email="b@x.com",
                           role="buyer", password=PASSWORD)  # fmt: skip
        people.grant(session, "t", "bea", "ACME", None)
    return acme


def _outstanding(at: object) -> str:
    return next(m.value for m in at.metric if m.label == "Total outstanding")  # type: ignore[attr-defined]


def test_home_shows_a_correction_made_on_another_connection(buyer: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    assert _outstanding(at) == "350.00 GBP"
    at.run()
    assert _outstanding(at) == "350.00 GBP"  # a warm run, from the cache
    corrections.correct_documents(buyer, FINANCE, [_doc_id(buyer, "INV-2")], corrections.PAID,
                                  "paid by cheque")  # fmt: skip
    at.run()
    assert _outstanding(at) == "100.00 GBP"


def test_pages_show_an_import_made_by_another_process(buyer: str, data_dir: Path) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    at.switch_page("app_pages/documents.py").run()
    assert "INV-1" in texts(at) and "INV-88" not in texts(at)
    export = data_dir.parent / "export.csv"
    export.write_text("Invoice Number,Customer ID,Invoice Date,Currency,Total,Amount Paid\n"
                      "INV-88,ACME,2026-03-02,GBP,75.00,0\n")  # fmt: skip
    # The command line can write only while no other process holds the store.
    inbox.stop_watchers()
    store.close_all()
    done = subprocess.run(
        [sys.executable, "-m", "lib.cli", "import", str(export)], cwd=ROOT, timeout=120,
        env={**os.environ, "PORTAL_DATA_DIR": str(data_dir)}, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    at.run()
    assert "INV-88" in texts(at)
    at.switch_page("app_pages/home.py").run()
    assert _outstanding(at) == "425.00 GBP"
