"""Account-scoped reads: the only way pages get accounts, documents, their lines and PDFs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from lib import access, ledger, models, versions
from lib.access import Principal
from lib.errors import NotFound
from lib.settings import data_dir_from_env

# Re-exported: other modules read through queries.
from lib.sql_reads import read_frame as read_frame
from lib.sql_reads import read_rows as read_rows

NO_SUCH_DOCUMENT = "No such document."
NO_SUCH_ACCOUNT = "No such account."
DOC: sa.Table = models.Document.__table__  # type: ignore[attr-defined]  # SQLModel sets it
LINE: sa.Table = models.DocumentLine.__table__  # type: ignore[attr-defined]
KIND_LABELS = {ledger.INVOICE: "Invoice", ledger.CREDIT_NOTE: "Credit note"}
# The list's columns as downloaded; pages add "PDF". "id" and "Signed" stay hidden.
LIST_COLUMNS = ["Number", "Kind", "Issued", "Due", "Currency", "Total", "Paid", "Outstanding",
                "Status", "Reference", "Branch", "Description"]  # fmt: skip
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Scope:
    """What one person may read of one account: all branches (None) or only some."""

    account_id: int
    account_code: str
    account_name: str
    branches: frozenset[str] | None

    def branch_label(self) -> str:
        """The branches a limited scope covers, e.g. 'North, South' ('' when unlimited)."""
        return ", ".join(sorted(self.branches)) if self.branches is not None else ""


@dataclass(frozen=True)
class DocumentFilter:
    """The list's filters; empty values filter nothing."""

    issued_from: date | None = None
    issued_to: date | None = None
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()
    text: str = ""


def scope_for(session: Session, who: Principal, account_code: str) -> Scope:
    """The person's scope in an account; NotFound (never 'forbidden') when they have none."""
    require_view(who, account_code)
    return scope_in(who, account_entry(session, account_code))


def require_view(who: Principal, account_code: str) -> None:
    """NotFound unless the person may see some part of the account."""
    if not access.may_view_any_part(who, account_code):
        raise NotFound(NO_SUCH_ACCOUNT)


def account_entry(session: Session, account_code: str) -> tuple[int, str, str]:
    """(id, code, name) of an account; NotFound when there is none."""
    account = session.exec(
        select(models.Account).where(models.Account.code == account_code)
    ).first()
    if account is None or account.id is None:
        raise NotFound(NO_SUCH_ACCOUNT)
    return account.id, account.code, account.name


def scope_in(who: Principal, entry: tuple[int, str, str]) -> Scope:
    """The person's scope in an account read with account_entry."""
    account_id, code, name = entry
    require_view(who, code)
    return Scope(account_id, code, name, access.branch_limit(who, code))


def visible_accounts(session: Session, who: Principal) -> list[tuple[str, str]]:
    """(code, name) of every account the person may see, sorted by code."""
    return accounts_named(session, None if who.is_staff else sorted(who.account_codes()))


def accounts_named(session: Session, codes: list[str] | None) -> list[tuple[str, str]]:
    """(code, name) of these accounts (every account when codes is None), sorted by code."""
    query = select(models.Account.code, models.Account.name).order_by(models.Account.code)
    if codes is not None:  # an empty list compiles to a false condition: no account
        query = query.where(col(models.Account.code).in_(codes))
    return [(code, name) for code, name in session.exec(query).all()]


def in_scope(scope: Scope, table: sa.Table = DOC) -> sa.ColumnElement[bool]:
    """The condition every document read carries: this account, and its branches when limited."""
    condition = table.c.account_id == scope.account_id
    if scope.branches is not None:
        # An empty set compiles to a false condition: a scope with no branch shows nothing.
        condition = sa.and_(condition, table.c.branch.in_(sorted(scope.branches)))
    return condition


def is_void_expr() -> sa.ColumnElement[bool]:
    """SQL twin of ledger.is_void."""
    return func.lower(func.trim(DOC.c.erp_status)).in_(sorted(ledger.VOID_WORDS))


def status_expr(as_of: date) -> sa.ColumnElement[str]:
    """SQL twin of ledger.status (a test holds the two equal)."""
    return sa.case(
        (is_void_expr(), ledger.VOID),
        (DOC.c.paid >= DOC.c.total, ledger.PAID),
        (sa.and_(DOC.c.kind == ledger.INVOICE, DOC.c.due_date < as_of), ledger.OVERDUE),
        (DOC.c.paid > 0, ledger.PARTIALLY_PAID),
        else_=ledger.OPEN,
    )


def signed_expr() -> sa.ColumnElement[Any]:
    """SQL twin of ledger.signed_outstanding: what the document adds to the balance."""
    return sa.case(
        (is_void_expr(), sa.literal(0, models.MONEY)),
        (DOC.c.kind == ledger.CREDIT_NOTE, DOC.c.paid - DOC.c.total),
        else_=DOC.c.total - DOC.c.paid,
    )


def _filter_conditions(
    scope: Scope, filters: DocumentFilter, as_of: date
) -> list[sa.ColumnElement[bool]]:
    conditions = [in_scope(scope)]
    if filters.issued_from:
        conditions.append(DOC.c.issue_date >= filters.issued_from)
    if filters.issued_to:
        conditions.append(DOC.c.issue_date <= filters.issued_to)
    for values, column in ((filters.statuses, status_expr(as_of)), (filters.kinds, DOC.c.kind),
                           (filters.branches, DOC.c.branch),
                           (filters.currencies, DOC.c.currency)):  # fmt: skip
        if values:
            conditions.append(column.in_(sorted(values)))
    needle = filters.text.strip().lower()
    if needle:
        fields = (DOC.c.number, DOC.c.po_reference, DOC.c.description)
        matches = [func.lower(field).contains(needle, autoescape=True) for field in fields]
        conditions.append(sa.or_(*matches))
    return conditions


def document_list(
    session: Session,
    scope: Scope,
    *,
    as_of: date,
    filters: DocumentFilter = DocumentFilter(),  # noqa: B008  # frozen, so safe to share
    limit: int | None = None,
) -> pd.DataFrame:
    """The scope's documents matching the filters, newest first, with status at as_of."""
    kind = sa.case((DOC.c.kind == ledger.CREDIT_NOTE, KIND_LABELS[ledger.CREDIT_NOTE]),
                   else_=KIND_LABELS[ledger.INVOICE])  # fmt: skip
    stmt = sa.select(
        DOC.c.id.label("id"), DOC.c.number.label("Number"), kind.label("Kind"),
        DOC.c.issue_date.label("Issued"), DOC.c.due_date.label("Due"),
        DOC.c.currency.label("Currency"), DOC.c.total.label("Total"), DOC.c.paid.label("Paid"),
        (DOC.c.total - DOC.c.paid).label("Outstanding"), status_expr(as_of).label("Status"),
        DOC.c.po_reference.label("Reference"), DOC.c.branch.label("Branch"),
        DOC.c.description.label("Description"), DOC.c.pdf_sha256.is_not(None).label("PDF"),
        signed_expr().label("Signed"),
    ).where(*_filter_conditions(scope, filters, as_of))
    stmt = stmt.order_by(DOC.c.issue_date.desc(), DOC.c.number.desc(), DOC.c.id.desc())
    return read_frame(session, stmt.limit(limit) if limit else stmt)


def document_totals(
    session: Session,
    scope: Scope,
    *,
    as_of: date,
    filters: DocumentFilter = DocumentFilter(),  # noqa: B008  # frozen, so safe to share
) -> pd.DataFrame:
    """Per currency, over the filtered documents: count, invoiced, credited, outstanding."""
    live = sa.not_(is_void_expr())
    invoiced = sa.case((sa.and_(live, DOC.c.kind == ledger.INVOICE), DOC.c.total), else_=0)
    credited = sa.case((sa.and_(live, DOC.c.kind == ledger.CREDIT_NOTE), DOC.c.total), else_=0)
    stmt = (
        sa.select(
            DOC.c.currency.label("Currency"), func.count().label("Documents"),
            func.sum(invoiced).label("Invoices"), func.sum(credited).label("Credit notes"),
            func.sum(signed_expr()).label("Balance"),
        )
        .where(*_filter_conditions(scope, filters, as_of))
        .group_by(DOC.c.currency)
        .order_by(DOC.c.currency)
    )
    return read_frame(session, stmt)


def scope_values(session: Session, scope: Scope, column: str) -> list[str]:
    """The distinct non-empty values of a document column ("branch", "currency") in the scope."""
    if column not in ("branch", "currency"):
        raise ValueError(column)
    field = DOC.c[column]
    stmt = sa.select(field).where(in_scope(scope), field != "").distinct().order_by(field)
    return [str(value) for (value,) in session.connection().execute(stmt).all()]


def scoped_documents(session: Session, scope: Scope) -> list[models.Document]:
    """Every document of the scope (its branches only, when limited), newest first."""
    query = select(models.Document).where(in_scope(scope))
    query = query.order_by(col(models.Document.issue_date).desc(), models.Document.number)
    return list(session.exec(query).all())


def scoped_document(session: Session, scope: Scope, document_id: int) -> models.Document:
    """One document of the scope; NotFound for any other id, whoever's it is."""
    found = session.exec(
        select(models.Document).where(models.Document.id == document_id, in_scope(scope))
    ).first()
    if found is None:
        raise NotFound(NO_SUCH_DOCUMENT)
    return found


def to_ledger_doc(row: models.Document, account_code: str) -> ledger.LedgerDoc:
    """The ledger's view of a stored document."""
    return ledger.LedgerDoc(
        kind=row.kind, number=row.number, issue_date=row.issue_date, due_date=row.due_date,
        currency=row.currency, total=row.total, paid=row.paid, erp_status=row.erp_status,
        branch=row.branch, account_code=account_code, id=row.id,
        po_reference=row.po_reference, description=row.description,
    )  # fmt: skip


def document_lines(session: Session, scope: Scope, document_id: int) -> pd.DataFrame:
    """The lines of one document of the scope (empty when the feed gave none)."""
    stmt = (
        sa.select(
            LINE.c.line_no.label("Line"), LINE.c.item_code.label("Item"),
            LINE.c.description.label("Description"), LINE.c.quantity.label("Quantity"),
            LINE.c.unit_price.label("Unit price"), LINE.c.amount.label("Amount"),
        )
        .join(DOC, DOC.c.id == LINE.c.document_id)
        .where(LINE.c.document_id == document_id, in_scope(scope))
        .order_by(LINE.c.line_no, LINE.c.id)
    )
    return read_frame(session, stmt)


def pdf_file(sha256: str | None, documents_dir: Path | None = None) -> Path | None:
    """Where the PDF with this checksum is stored, if the checksum is well formed and it exists."""
    if not sha256 or not SHA256.match(sha256):
        return None
    folder = documents_dir or data_dir_from_env() / "documents"
    path = folder / sha256[:2] / f"{sha256}.pdf"
    return path if path.is_file() else None


def document_pdf(
    session: Session, scope: Scope, document_id: int, documents_dir: Path | None = None
) -> bytes | None:
    """The uploaded PDF of one document of the scope, or None when none was uploaded."""
    path = pdf_file(scoped_document(session, scope, document_id).pdf_sha256, documents_dir)
    return path.read_bytes() if path else None


def documents_with_pdf(
    session: Session, scope: Scope, document_ids: list[int], documents_dir: Path | None = None
) -> list[tuple[models.Document, Path]]:
    """The documents of the scope among these ids that have a PDF stored, with its file."""
    if not document_ids:
        return []
    query = select(models.Document).where(
        in_scope(scope), col(models.Document.id).in_(sorted(set(document_ids)))
    ).order_by(col(models.Document.issue_date).desc(), models.Document.number)
    found = []
    for row in session.exec(query).all():
        path = pdf_file(row.pdf_sha256, documents_dir)
        if path is not None:
            found.append((row, path))
    return found


def data_version(session: Session) -> str:
    """A token that changes after any write pages show: part of every cache key."""
    # The store's version (lib/versions.py): cheap, and moved by a write from any process.
    return f"v{versions.read(session.connection())}"


def latest_import_at(session: Session) -> datetime | None:
    """When the latest applied import was made: how current the records are."""
    stmt = select(func.max(models.ImportBatch.created_at)).where(
        models.ImportBatch.status == "applied"
    )
    return session.exec(stmt).one()


def accounts_frame(session: Session, who: Principal) -> pd.DataFrame:
    """Staff's list of accounts with their number of documents and contacts."""
    if not access.allowed(who, "list_accounts"):
        raise NotFound("No such page.")
    accounts = session.exec(select(models.Account).order_by(models.Account.code)).all()
    doc_counts = dict(session.exec(
        select(models.Document.account_id, func.count(col(models.Document.id)))
        .group_by(col(models.Document.account_id))
    ).all())
    contact_counts = dict(session.exec(
        select(models.Grant.account_id, func.count(col(models.Grant.contact_id)))
        .group_by(col(models.Grant.account_id))
    ).all())
    return pd.DataFrame(
        [
            {"Code": a.code, "Name": a.name, "Parent": a.parent_code or "",
             "Documents": doc_counts.get(a.id or 0, 0),
             "Contacts": contact_counts.get(a.id or 0, 0)}
            for a in accounts
        ],
        columns=["Code", "Name", "Parent", "Documents", "Contacts"],
    )
