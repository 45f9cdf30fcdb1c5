"""Invoice PDFs: check uploads (many PDFs or one zip), match them to documents by file name, store.

A file is a PDF by its content, not its name; zips are read by `lib.safe_zip`, never
extracted by name. PDFs are stored once by content hash under
`<data>/documents/<sha[:2]>/<sha>.pdf`; a document points at its PDF by that hash.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd
from sqlmodel import Session, col, select

from lib import access, audit, clock, models, store
from lib.access import Principal
from lib.errors import AccessDenied, NotFound, PortalError
from lib.safe_zip import MB, Budget, UploadLimits, is_zip, walk_zip

PATTERN_KEY = "pdf_number_pattern"
# A run of the characters document numbers are made of: letters and digits, joined by - _ . /
DEFAULT_PATTERN = r"[A-Za-z0-9]+(?:[-_./][A-Za-z0-9]+)*"
_SEPARATOR = re.compile(r"[^A-Za-z0-9]+")
_MAX_SPAN_TOKENS = 8  # a document number is rarely more than eight parts long


@dataclass(frozen=True)
class PdfFile:
    """One checked PDF: the name it came with and its content."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        """The content hash, which names the stored file."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class PdfReport:
    """What an upload did, file by file: matched, unmatched, ambiguous, rejected."""

    matched: list[tuple[str, str, str, str]] = field(default_factory=list)  # file, doc, acct, what
    unmatched: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, str]] = field(default_factory=list)  # file, candidates
    rejected: list[tuple[str, str]] = field(default_factory=list)  # file, reason

    def frame(self) -> pd.DataFrame:
        """One row per file, for display."""
        rows = [(f, "matched", d, f"{a}: {w}") for f, d, a, w in self.matched]
        rows += [(f, "unmatched", "", "no document has a number in this file name")
                 for f in self.unmatched]
        rows += [(f, "ambiguous", "", c) for f, c in self.ambiguous]
        rows += [(f, "rejected", "", r) for f, r in self.rejected]
        return pd.DataFrame(rows, columns=["File", "Result", "Document", "Detail"])


# ---- is it a PDF? ------------------------------------------------------------------------------

_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
_STARTXREF = re.compile(rb"startxref\s+([0-9]+)\s+%%EOF")
_OBJECT = re.compile(rb"[0-9]+\s+[0-9]+\s+obj\b")


def pdf_problem(data: bytes, max_bytes: int = UploadLimits.max_file_bytes) -> str | None:
    """Why these bytes are not an acceptable PDF, or None when they are one."""
    if len(data) > max_bytes:
        return f"larger than {max_bytes // MB} MB"
    # Strictly at the start: readers tolerate junk before the header, which is how files
    # that are two formats at once (an image and a PDF) are made.
    if not _HEADER.match(data):
        return "not a PDF (its content is not a PDF, whatever its name)"
    tail = data[-2048:]
    if b"%%EOF" not in tail:
        return "an incomplete PDF (it has no end marker)"
    offsets = _STARTXREF.findall(tail)
    if not offsets or int(offsets[-1]) >= len(data):
        return "a damaged PDF (its cross-reference table is missing)"
    if not _OBJECT.search(data):
        return "a damaged PDF (it holds no objects)"
    return None


def expand_uploads(files: Sequence[tuple[str, bytes]], limits: UploadLimits | None = None,
                   ) -> tuple[list[PdfFile], list[tuple[str, str]]]:
    """The PDFs of an upload (PDF files and zips), and the files rejected with the reason."""
    limits = limits or UploadLimits()
    budget = Budget(limits)
    good: list[PdfFile] = []
    rejected: list[tuple[str, str]] = []
    for name, data in files:
        try:
            if is_zip(data) or name.lower().endswith(".zip"):
                members = list(walk_zip(name, data, limits, budget))
            else:
                budget.spend(len(data))
                members = [(name, data, None)]
        except PortalError as exc:  # an unsafe archive contributes nothing at all
            rejected.append((name, str(exc)))
            continue
        for member_name, content, problem in members:
            problem = problem or pdf_problem(content, limits.max_file_bytes)
            if problem:
                rejected.append((member_name, problem))
            else:
                good.append(PdfFile(member_name, content))
    return good, rejected


# ---- matching file names to documents ----------------------------------------------------------


def number_pattern(session: Session) -> str:
    """The setting that finds document numbers in file names (a regular expression)."""
    row = session.get(models.Setting, PATTERN_KEY)
    return row.value if row and row.value else DEFAULT_PATTERN


def set_number_pattern(session: Session, who: Principal, pattern: str) -> None:
    """Change the file-name pattern (administrators); empty restores the default."""
    if not access.allowed(who, "edit_settings"):
        raise AccessDenied("This action is not available.")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise PortalError(f"The pattern is not a valid regular expression: {exc}.") from None
    row = session.get(models.Setting, PATTERN_KEY) or models.Setting(key=PATTERN_KEY, value="")
    audit.record(session, who.username, "setting_changed", target=PATTERN_KEY,
                 before=row.value, after=pattern)
    row.value = pattern.strip()
    session.add(row)


def _spans(stem: str, pattern: str) -> list[tuple[int, int]]:
    """Where a document number may sit in a file name: each run, and each run's parts."""
    compiled = re.compile(pattern)
    spans: list[tuple[int, int]] = []
    for found in compiled.finditer(stem):
        if "number" in compiled.groupindex:
            if found.group("number"):
                spans.append(found.span("number"))
            continue
        start, end = found.span()
        if start == end:
            continue
        # Token boundaries inside the run: "ACME_INV-7" also names "INV-7" and "7".
        bounds = [start] + [start + m.end() for m in _SEPARATOR.finditer(found.group())]
        ends = [start + m.start() for m in _SEPARATOR.finditer(found.group())] + [end]
        for i, left in enumerate(bounds):
            spans += [(left, right) for right in ends[i:i + _MAX_SPAN_TOKENS] if right > left]
    return spans


def _file_stem(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name
    return base[:-4] if base.lower().endswith(".pdf") else base


def _documents_named(session: Session, texts: set[str]) -> dict[str, list[tuple[models.Document,
                                                                               str]]]:
    """Documents numbered as one of `texts` as written or in capitals, keyed in capitals."""
    found: dict[str, list[tuple[models.Document, str]]] = {}
    wanted = sorted(texts | {t.upper() for t in texts})
    for i in range(0, len(wanted), 1000):
        rows = session.exec(
            select(models.Document, models.Account.code)
            .join(models.Account, col(models.Account.id) == models.Document.account_id)
            .where(col(models.Document.number).in_(wanted[i:i + 1000]))
        ).all()
        for doc, code in rows:
            found.setdefault(doc.number.upper(), []).append((doc, code))
    return found


def _match(stem: str, spans: list[tuple[int, int]],
           known: dict[str, list[tuple[models.Document, str]]]) -> list[tuple[models.Document,
                                                                               str]]:
    """The documents a file name names; a longer matching span hides the spans inside it."""
    hits = [s for s in spans if stem[s[0]:s[1]].upper() in known]
    outer = [s for s in hits
             if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in hits)]
    docs: dict[int, tuple[models.Document, str]] = {}
    for start, end in outer:
        for doc, code in known[stem[start:end].upper()]:
            docs[doc.id or 0] = (doc, code)
    return list(docs.values())


# ---- storing -----------------------------------------------------------------------------------


def pdf_path(documents_dir: Path, sha256: str) -> Path:
    """Where the PDF with this content hash is kept."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise NotFound("No such PDF.")
    return documents_dir / sha256[:2] / f"{sha256}.pdf"


def _store_blob(documents_dir: Path, pdf: PdfFile) -> None:
    """Write the PDF under its hash once; a half-written file is never visible."""
    target = pdf_path(documents_dir, pdf.sha256)
    if target.exists() and target.stat().st_size == len(pdf.data):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pdf.data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read_pdf(documents_dir: Path, sha256: str) -> bytes:
    """The stored PDF with this hash (callers check the reader may see its document)."""
    path = pdf_path(documents_dir, sha256)
    if not path.is_file():
        raise NotFound("The PDF of this document is not available.")
    return path.read_bytes()


def _plan(session: Session, files: list[PdfFile], report: PdfReport,
          pattern: str) -> dict[int, tuple[PdfFile, str]]:
    """Which file goes to which document; unmatched and ambiguous files go to the report."""
    named = [(pdf, _file_stem(pdf.name)) for pdf in files]
    spans = [_spans(stem, pattern) for _, stem in named]
    known = _documents_named(session, {stem[a:b] for (_, stem), found in zip(named, spans,
                                                                            strict=True)
                                       for a, b in found})
    chosen: dict[int, list[PdfFile]] = {}
    labels: dict[int, str] = {}
    for (pdf, stem), found in zip(named, spans, strict=True):
        docs = _match(stem, found, known)
        if not docs:
            report.unmatched.append(pdf.name)
        elif len(docs) > 1:
            names = ", ".join(sorted(f"{d.kind.replace('_', ' ')} {d.number}" for d, _ in docs))
            report.ambiguous.append((pdf.name, f"names several documents: {names}"))
        else:
            doc, code = docs[0]
            chosen.setdefault(doc.id or 0, []).append(pdf)
            labels[doc.id or 0] = code
    plan: dict[int, tuple[PdfFile, str]] = {}
    for doc_id, pdfs in chosen.items():
        if len({p.sha256 for p in pdfs}) > 1:  # two different files for one document
            report.ambiguous += [(p.name, "another file in this upload names the same document")
                                 for p in pdfs]
        else:
            plan[doc_id] = (pdfs[0], labels[doc_id])
    return plan


def _attach(session: Session, actor: str, plan: dict[int, tuple[PdfFile, str]],
            ) -> list[tuple[str, str, str, str]]:
    matched = []
    for doc_id, (pdf, code) in sorted(plan.items()):
        doc = session.get(models.Document, doc_id)
        if doc is None:
            continue
        label = f"{doc.kind.replace('_', ' ')} {doc.number}"
        if doc.pdf_sha256 == pdf.sha256:
            matched.append((pdf.name, label, code, "already attached"))
            continue
        action = "pdf_replaced" if doc.pdf_sha256 else "pdf_attached"
        audit.record(session, actor, action, account_code=code, target=f"{doc.kind} {doc.number}",
                     file_name=pdf.name, before=doc.pdf_sha256, after=pdf.sha256)
        matched.append((pdf.name, label, code, "replaced" if doc.pdf_sha256 else "attached"))
        doc.pdf_sha256 = pdf.sha256
        doc.updated_at = clock.now()
        session.add(doc)
    return matched


def attach_pdfs(url: str, who: Principal | None, files: Sequence[tuple[str, bytes]], *,
                documents_dir: Path, limits: UploadLimits | None = None) -> PdfReport:
    """Check, match and store uploaded PDFs (or zips of them); one transaction for the links."""
    if who is None or not access.allowed(who, "import"):
        raise AccessDenied("This action is not available.")
    good, rejected = expand_uploads(files, limits)
    report = PdfReport(rejected=list(rejected))

    def work() -> list[tuple[str, str, str, str]]:
        with store.session_scope(url) as session:
            report.unmatched.clear()
            report.ambiguous.clear()
            plan = _plan(session, good, report, number_pattern(session))
            # Files first, then the links: a committed link always finds its file.
            for pdf, _ in plan.values():
                _store_blob(documents_dir, pdf)
            return _attach(session, who.username, plan)

    report.matched = store.with_retry(work)
    return report
