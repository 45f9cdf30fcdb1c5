"""Invoice PDFs: content checks, matching by file name, safe zips, storage once by hash."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas
from sqlmodel import select

from lib import models, pdfs, store
from lib.access import Principal
from lib.errors import AccessDenied, PortalError
from lib.safe_zip import MB, UploadLimits
from lib.settings import Settings
from tests import factories

FINANCE = Principal("fiona", "finance")
ADMIN = Principal("ada", "admin")


def make_pdf(text: str) -> bytes:
    """A real one-page PDF (different text, different bytes)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=True)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def docs(url: str) -> str:
    with store.session_scope(url) as session:
        factories.document(session, "INV-1001")
        factories.document(session, "536365", account_code="RETAIL")
        factories.document(session, "CN-77", kind="credit_note")
        factories.document(session, "X-1")
        factories.document(session, "X-1", kind="credit_note")
        factories.document(session, "1001", account_code="BETA", total=Decimal("5"))
    return url


def _attach(settings: Settings, files: list[tuple[str, bytes]],
            limits: UploadLimits | None = None) -> pdfs.PdfReport:
    return pdfs.attach_pdfs(settings.database_url, FINANCE, files,
                            documents_dir=settings.documents_dir, limits=limits)


def _pdf_of(url: str, number: str, kind: str = "invoice") -> str | None:
    with store.session_scope(url) as session:
        doc = session.exec(select(models.Document).where(models.Document.number == number)
                           .where(models.Document.kind == kind)).one()
        return doc.pdf_sha256


def _audit(url: str, action: str) -> list[dict[str, object]]:
    with store.session_scope(url) as session:
        rows = session.exec(select(models.AuditEvent)
                            .where(models.AuditEvent.action == action)).all()
        return [{"target": r.target, **json.loads(r.detail_json)} for r in rows]


def test_only_real_pdfs_pass_the_content_check() -> None:
    good = make_pdf("Invoice INV-1001")
    assert pdfs.pdf_problem(good) is None
    assert "not a PDF" in (pdfs.pdf_problem(b"Number,Total\nINV-1,10\n") or "")
    assert "not a PDF" in (pdfs.pdf_problem(b"\x89PNG\r\n\x1a\n" + good) or "")
    assert "incomplete" in (pdfs.pdf_problem(good[: len(good) // 2]) or "")
    assert "damaged" in (pdfs.pdf_problem(b"%PDF-1.4\nnothing here\n%%EOF\n") or "")
    assert "larger than" in (pdfs.pdf_problem(good, max_bytes=100) or "")


def test_files_are_matched_by_the_number_in_their_name(docs: str, settings: Settings) -> None:
    report = _attach(settings, [
        ("INV-1001.pdf", make_pdf("a")),
        ("Retail invoice 536365 (copy).PDF", make_pdf("b")),
        ("acme_cn-77_2026-01-31.pdf", make_pdf("c")),  # case and extra parts do not matter
        ("unknown-999.pdf", make_pdf("d")),
        ("X-1.pdf", make_pdf("e")),  # an invoice and a credit note share this number
        ("INV-1001 and CN-77.pdf", make_pdf("f")),
    ])
    matched = {file: (doc, account) for file, doc, account, _ in report.matched}
    assert matched == {
        "INV-1001.pdf": ("invoice INV-1001", "ACME"),
        "Retail invoice 536365 (copy).PDF": ("invoice 536365", "RETAIL"),
        "acme_cn-77_2026-01-31.pdf": ("credit note CN-77", "ACME"),
    }
    assert report.unmatched == ["unknown-999.pdf"]
    assert {file for file, _ in report.ambiguous} == {"X-1.pdf", "INV-1001 and CN-77.pdf"}
    assert report.rejected == []
    # "INV-1001" holds "1001", another document's number: the longer match wins.
    assert _pdf_of(docs, "1001") is None
    frame = report.frame()
    assert set(frame["Result"]) == {"matched", "unmatched", "ambiguous"}


def test_stored_once_by_content_hash_and_replacing_is_recorded(docs: str,
                                                                settings: Settings) -> None:
    first = make_pdf("first")
    sha = hashlib.sha256(first).hexdigest()
    report = _attach(settings, [("INV-1001.pdf", first), ("536365.pdf", first)])
    assert [what for *_, what in report.matched] == ["attached", "attached"]
    stored = settings.documents_dir / sha[:2] / f"{sha}.pdf"
    assert stored.read_bytes() == first
    assert sorted(p.name for p in settings.documents_dir.rglob("*.pdf")) == [f"{sha}.pdf"]
    assert _pdf_of(docs, "INV-1001") == sha and _pdf_of(docs, "536365") == sha
    assert pdfs.read_pdf(settings.documents_dir, sha) == first

    again = _attach(settings, [("INV-1001.pdf", first)])
    assert [what for *_, what in again.matched] == ["already attached"]
    second = make_pdf("second")
    replaced = _attach(settings, [("INV-1001.pdf", second)])
    assert [what for *_, what in replaced.matched] == ["replaced"]
    [event] = _audit(docs, "pdf_replaced")
    assert event["before"] == sha and event["after"] == hashlib.sha256(second).hexdigest()
    assert event["target"] == "invoice INV-1001"
    assert len(_audit(docs, "pdf_attached")) == 2


def test_two_different_files_for_one_document_attach_neither(docs: str,
                                                             settings: Settings) -> None:
    report = _attach(settings, [("INV-1001.pdf", make_pdf("a")),
                                ("INV-1001 copy.pdf", make_pdf("b"))])
    assert report.matched == [] and len(report.ambiguous) == 2
    assert _pdf_of(docs, "INV-1001") is None


def test_renamed_files_are_rejected_by_content(docs: str, settings: Settings) -> None:
    before = store.content_checksum(docs)
    report = _attach(settings, [("INV-1001.pdf", b"Number,Total\nINV-1001,10\n")])
    assert report.matched == [] and "not a PDF" in report.rejected[0][1]
    assert store.content_checksum(docs) == before
    assert not settings.documents_dir.exists() or not any(settings.documents_dir.rglob("*.pdf"))


def test_a_zip_of_pdfs_is_opened(docs: str, settings: Settings) -> None:
    archive = make_zip({
        "march/INV-1001.pdf": make_pdf("a"),
        "march/536365.pdf": make_pdf("b"),
        "march/readme.txt": b"hello",
        "__MACOSX/march/._INV-1001.pdf": b"\x00\x05\x16\x07",
        "inner.zip": make_zip({"CN-77.pdf": make_pdf("c")}),
    })
    report = _attach(settings, [("march.zip", archive)])
    assert sorted(doc for _, doc, _, _ in report.matched) == [
        "credit note CN-77", "invoice 536365", "invoice INV-1001"]
    assert report.rejected == [("march.zip/march/readme.txt",
                                "not a PDF (its content is not a PDF, whatever its name)")]


@pytest.mark.parametrize("bad_name", ["../INV-1001.pdf", "/tmp/INV-1001.pdf",
                                      "a/../../INV-1001.pdf", "C:\\INV-1001.pdf"])
def test_a_zip_with_paths_outside_its_folder_is_refused_whole(docs: str, settings: Settings,
                                                               bad_name: str) -> None:
    before = store.content_checksum(docs)
    archive = make_zip({"536365.pdf": make_pdf("ok"), bad_name: make_pdf("evil")})
    report = _attach(settings, [("upload.zip", archive)])
    assert report.matched == [] and "outside its folder" in report.rejected[0][1]
    assert store.content_checksum(docs) == before


def test_zip_bombs_deep_nesting_and_too_many_files_are_refused(docs: str,
                                                               settings: Settings) -> None:
    before = store.content_checksum(docs)
    bomb = make_zip({"INV-1001.pdf": b"%PDF-1.4\n" + b"\0" * (8 * MB)})
    deep = make_zip({"a.zip": make_zip({"b.zip": make_zip({"INV-1001.pdf": make_pdf("x")})})})
    many = make_zip({f"{i}.pdf": make_pdf(str(i)) for i in range(6)})
    report = _attach(settings, [("bomb.zip", bomb), ("deep.zip", deep), ("many.zip", many)],
                     UploadLimits(max_files=5))
    reasons = dict(report.rejected)
    assert "zip bomb" in reasons["bomb.zip"]
    assert "nests archives deeper" in reasons["deep.zip"]
    assert "more than 5 files" in reasons["many.zip"]
    assert report.matched == []
    assert store.content_checksum(docs) == before


def test_size_limits_per_file_and_per_upload(docs: str, settings: Settings) -> None:
    pdf = make_pdf("a")
    small = UploadLimits(max_file_bytes=len(pdf) - 1)
    report = _attach(settings, [("INV-1001.pdf", pdf),
                                ("in.zip", make_zip({"536365.pdf": pdf}, zipfile.ZIP_STORED))],
                     small)
    assert [reason for _, reason in report.rejected] == ["larger than 0 MB"] * 2
    total = UploadLimits(max_total_bytes=len(pdf) + 10)
    report = _attach(settings, [("INV-1001.pdf", pdf), ("536365.pdf", make_pdf("b"))], total)
    assert "too much data" in dict(report.rejected)["536365.pdf"]


def test_not_a_zip_and_support_cannot_upload(docs: str, settings: Settings) -> None:
    report = _attach(settings, [("broken.zip", b"PK\x03\x04 this is not really a zip")])
    assert "not a readable zip" in report.rejected[0][1]
    with pytest.raises(AccessDenied):
        pdfs.attach_pdfs(docs, Principal("sam", "support"), [("INV-1001.pdf", make_pdf("a"))],
                         documents_dir=settings.documents_dir)


def test_the_file_name_pattern_is_a_setting(docs: str, settings: Settings) -> None:
    with store.session_scope(docs) as session:
        assert pdfs.number_pattern(session) == pdfs.DEFAULT_PATTERN
        pdfs.set_number_pattern(session, ADMIN, r"^Rechnung_(?P<number>[0-9]+)")
    report = _attach(settings, [("Rechnung_1001_INV-1001.pdf", make_pdf("a"))])
    assert [doc for _, doc, _, _ in report.matched] == ["invoice 1001"]
    with store.session_scope(docs) as session:
        with pytest.raises(PortalError, match="regular expression"):
            pdfs.set_number_pattern(session, ADMIN, "([")
        with pytest.raises(AccessDenied):
            pdfs.set_number_pattern(session, FINANCE, ".*")


def test_pdf_paths_only_take_hashes(tmp_path: Path) -> None:
    with pytest.raises(PortalError):
        pdfs.pdf_path(tmp_path, "../../etc/passwd")
