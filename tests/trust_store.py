"""A fixed ledger for the trust tests, where every text says whose it is.

Each account has documents in no branch and in two branches, in two currencies, of every
status, with lines, PDFs and payments (one of them wrongly allocated to another account's
document, as bad feeds do). Every text field carries a token naming its account and branch,
e.g. ``KA1xNorthK``, so a leak is found by looking for the tokens a reader was not granted,
in anything: a frame, a statement, a PDF's text, a spreadsheet, a zip.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Optional

import bcrypt
import pytest
from sqlmodel import Session

from lib import ledger, models, people, store
from lib.access import STAFF_ROLES, AccountGrant, Principal

# A10 starts like A1 and A3 is A1's child: neither may ride on a grant of A1.
CODES = ("A1", "A10", "A3", "B4")
PARENTS = {"A3": "A1"}
BRANCHES = ("", "North", "South")
CURRENCIES = ("GBP", "EUR")
AS_OF = date(2026, 9, 30)  # after every payment: the balance is simply total - paid
START = date(2025, 10, 1)
NO_SUCH_CODE = "ZZ9"


def token(code: str, branch: str) -> str:
    """The mark of one account's branch ('none' for documents with no branch)."""
    return f"K{code}x{branch or 'none'}K"


def account_token(code: str) -> str:
    """The mark in an account's name: shown to whoever may see any part of the account."""
    return f"K{code}xacctK"


def payment_token(code: str, n: int) -> str:
    """The mark of one payment of an account (its reference)."""
    return f"K{code}xpay{n}K"


@dataclass(frozen=True)
class Doc:
    """What the test knows about one stored document."""

    id: int
    code: str
    branch: str
    kind: str
    number: str
    currency: str
    total: Decimal
    paid: Decimal
    erp_status: str
    issue_date: date
    due_date: date
    has_pdf: bool

    def ledger_doc(self) -> ledger.LedgerDoc:
        """The ledger's view, to compute expected balances with the pure functions."""
        return ledger.LedgerDoc(self.kind, self.number, self.issue_date, self.due_date,
                                self.currency, self.total, self.paid, self.erp_status,
                                self.branch, self.code, self.id)  # fmt: skip


@dataclass(frozen=True)
class Pay:
    """One stored payment: its account, reference and the documents it was allocated to."""

    code: str
    reference: str
    allocated_to: tuple[int, ...]


@dataclass
class Ledger:
    """The whole fixed store as the test knows it."""

    url: str
    documents_dir: Path
    docs: list[Doc] = field(default_factory=list)
    payments: list[Pay] = field(default_factory=list)

    def all_tokens(self) -> set[str]:
        """Every token anything in the store carries."""
        found = {token(c, b) for c in CODES for b in BRANCHES} | {account_token(c) for c in CODES}
        return found | {p.reference for p in self.payments}

    def by_id(self) -> dict[int, Doc]:
        """The documents by id."""
        return {d.id: d for d in self.docs}


def sees(who: Principal, code: str, branch: str) -> bool:
    """The oracle: may this person see a document of this account and branch?

    Written out independently of lib.access, from the rules in DESIGN.md.
    """
    if not who.username:
        return False
    if who.role in STAFF_ROLES:
        return code in CODES
    if who.role != "buyer":
        return False
    return any(g.account_code == code and g.branch in (None, branch) for g in who.grants)


def sees_any_part(who: Principal, code: str) -> bool:
    """May this person open the account at all (whole, or at least one branch of it)?"""
    if code not in CODES:
        return False
    if who.role == "buyer" and who.username:
        # A branch grant opens the account even when no document carries that branch.
        return any(g.account_code == code for g in who.grants)
    return sees(who, code, "")


def visible_docs(book: Ledger, who: Principal, code: str) -> list[Doc]:
    """The documents of one account this person may see."""
    return [d for d in book.docs if d.code == code and sees(who, code, d.branch)]


def visible_payments(book: Ledger, who: Principal, code: str) -> set[str]:
    """References of the account's payments this person may see.

    The whole account: every payment. Some branches only: payments allocated to at least one
    document of those branches.
    """
    docs = book.by_id()
    whole = who.role in STAFF_ROLES or any(
        g.account_code == code and g.branch is None for g in who.grants
    )
    found = set()
    for pay in book.payments:
        if pay.code != code:
            continue
        mine = [i for i in pay.allocated_to if docs[i].code == code
                and sees(who, code, docs[i].branch)]  # fmt: skip
        if whole or mine:
            found.add(pay.reference)
    return found


def allowed_tokens(book: Ledger, who: Principal, code: str) -> set[str]:
    """Every token a page or file about this account may carry for this person."""
    tokens = {token(code, d.branch) for d in visible_docs(book, who, code)}
    if sees_any_part(who, code):
        tokens.add(account_token(code))
    return tokens | visible_payments(book, who, code)


def foreign_tokens(book: Ledger, allowed: set[str]) -> set[str]:
    """The tokens that must not appear."""
    return book.all_tokens() - allowed


def leaks(text: str, forbidden: set[str]) -> set[str]:
    """The forbidden tokens found in a text (spaces and line breaks removed first)."""
    flat = "".join(text.split())
    return {t for t in forbidden if t in flat}


def _pdf_bytes(marker: str) -> bytes:
    return f"%PDF-1.4\n% uploaded document {marker}\n%%EOF\n".encode()


def _store_pdf(documents_dir: Path, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    path = documents_dir / sha[:2] / f"{sha}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha


# (kind, currency, total, paid, erp status, issue day offset, due in days, has pdf)
_SHAPES: tuple[tuple[str, str, str, str, str, int, int, bool], ...] = (
    ("invoice", "GBP", "120.00", "0", "", 10, 30, True),  # overdue at AS_OF
    ("invoice", "EUR", "310.50", "100.00", "", 300, 30, True),  # partially paid, due later
    ("credit_note", "GBP", "45.25", "0", "", 200, 0, False),  # credit available
    ("invoice", "GBP", "999.99", "0", "void", 150, 30, True),  # void: counts nowhere
    ("invoice", "EUR", "80.00", "80.00", "", 50, 14, False),  # paid
)


def build(url: str, documents_dir: Path) -> Ledger:
    """Write the fixed ledger into an empty store and return what the test knows of it."""
    book = Ledger(url, documents_dir)
    with store.session_scope(url) as session:
        accounts = {}
        for code in CODES:
            accounts[code] = models.Account(code=code, name=f"{code} Trading {account_token(code)}",
                                            parent_code=PARENTS.get(code))  # fmt: skip
            session.add(accounts[code])
        session.flush()
        for code in CODES:
            for branch in BRANCHES:
                _documents(session, book, accounts[code], code, branch)
        _payments(session, book, accounts)
    return book


def _documents(session: Session, book: Ledger, account: models.Account, code: str,
               branch: str) -> None:  # fmt: skip
    mark = token(code, branch)
    for n, (kind, cur, total, paid, erp, day, due, pdf) in enumerate(_SHAPES):
        number = f"{'CN' if kind == 'credit_note' else 'IN'}-{mark}-{n}"
        issued = START + timedelta(days=day)
        sha = _store_pdf(book.documents_dir, _pdf_bytes(number)) if pdf else None
        row = models.Document(
            kind=kind, number=number, account_id=account.id or 0, issue_date=issued,
            due_date=issued + timedelta(days=due), currency=cur, total=Decimal(total),
            paid=Decimal(paid), feed_paid=Decimal(paid), po_reference=f"PO {mark} {n}",
            branch=branch, description=f"Goods for {mark} number {n}", erp_status=erp,
            pdf_sha256=sha,
        )  # fmt: skip
        session.add(row)
        session.flush()
        for line_no in (1, 2):
            session.add(models.DocumentLine(
                document_id=row.id or 0, line_no=line_no, item_code=f"SKU-{mark}-{line_no}",
                description=f"Line {line_no} of {mark}", quantity=Decimal(line_no),
                unit_price=Decimal("10"), amount=Decimal(10 * line_no),
            ))  # fmt: skip
        book.docs.append(Doc(row.id or 0, code, branch, kind, number, cur, row.total, row.paid,
                             erp, issued, row.due_date, pdf))  # fmt: skip


def _payments(session: Session, book: Ledger, accounts: dict[str, models.Account]) -> None:
    """Per account: one to a North invoice, one to the no-branch and South invoices, one
    unallocated, and one allocated (wrongly) to the next account's document."""
    docs = {(d.code, d.branch, d.number.rsplit("-", 1)[1]): d for d in book.docs}
    for i, code in enumerate(CODES):
        other = CODES[(i + 1) % len(CODES)]
        plans: list[tuple[str, list[Doc]]] = [
            ("GBP", [docs[(code, "North", "0")]]),
            ("EUR", [docs[(code, "", "1")], docs[(code, "South", "1")]]),
            ("GBP", []),
            ("GBP", [docs[(other, "", "0")]]),
        ]
        for n, (currency, targets) in enumerate(plans):
            reference = payment_token(code, n)
            payment = models.Payment(reference=reference, account_id=accounts[code].id or 0,
                                     payment_date=START + timedelta(days=20 + n),
                                     currency=currency, amount=Decimal("25.00"))  # fmt: skip
            session.add(payment)
            session.flush()
            for target in targets:
                session.add(models.Allocation(payment_id=payment.id or 0, document_id=target.id,
                                              amount=Decimal("5.00")))  # fmt: skip
            book.payments.append(Pay(code, reference, tuple(t.id for t in targets)))


def grants_strategy_values() -> tuple[tuple[str, ...], tuple[Optional[str], ...]]:
    """The codes and branches grants are drawn from (with a missing account and branch)."""
    return (*CODES, NO_SUCH_CODE), (None, "", "North", "South", "West")


def buyer(username: str, *grants: tuple[str, Optional[str]]) -> Principal:
    """A buyer principal with these (code, branch) grants."""
    return Principal(username, "buyer", frozenset(AccountGrant(c, b) for c, b in grants))


def file_text(fmt: str, data: bytes) -> str:
    """What a reader of a downloaded file sees, as text: PDF text, every XLSX cell, CSV, zip."""
    import io
    import zipfile

    if fmt == "pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        cells = [str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                 for v in row if v is not None]  # fmt: skip
        return "\n".join([*book.sheetnames, *cells])
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [f"{info.filename}\n{archive.read(info).decode('latin-1')}"
                     for info in archive.infolist()]  # fmt: skip
        return "\n".join(parts)
    return data.decode("utf-8-sig")


# ---- shared by the trust tests: a store per module, and contacts in it ---------------------


@contextmanager
def ledger_store(data_dir: Path) -> Iterator[Ledger]:
    """The fixed ledger in its own data folder, which PORTAL_DATA_DIR points at meanwhile."""
    patch = pytest.MonkeyPatch()
    patch.setenv("PORTAL_DATA_DIR", str(data_dir))
    patch.delenv("PORTAL_COOKIE_KEY", raising=False)
    patch.delenv("PORTAL_DATABASE_URL", raising=False)
    data_dir.mkdir(parents=True)
    try:
        yield build(f"duckdb:///{data_dir / 'portal.duckdb'}", data_dir / "documents")
    finally:
        from lib import inbox

        inbox.stop_watchers()  # page runs start a drop-folder watcher on this folder
        store.close_all()
        patch.undo()


_USERNAMES = itertools.count(1)
# A real bcrypt hash at the lowest cost: page runs need a contact with a password, not its cost.
CHEAP_HASH = bcrypt.hashpw(b"not used by these tests", bcrypt.gensalt(4)).decode()


def contact(url: str, wanted: Iterable[AccountGrant], role: str = "buyer") -> Principal:
    """A contact in the store with these grants (those on existing accounts); its principal."""
    username = f"{role}{next(_USERNAMES)}"
    with store.session_scope(url) as session:
        row = people.add_contact(session, "test", username=username, name=username, email="",
                                 role=role)  # fmt: skip
        row.password_hash = CHEAP_HASH
        session.add(row)
        for grant in wanted:
            if people.account_by_code(session, grant.account_code) is not None:
                people.grant(session, "test", username, grant.account_code, grant.branch)
        who = people.principal_for(session, username)
    assert who is not None
    return who
