"""Account-scoped reads: the only way pages get accounts and documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pandas as pd
from sqlmodel import Session, col, func, select

from lib import access, models
from lib.access import Principal
from lib.errors import NotFound

NO_SUCH_DOCUMENT = "No such document."


@dataclass(frozen=True)
class Scope:
    """What one person may read of one account: all branches (None) or only some."""

    account_id: int
    account_code: str
    account_name: str
    branches: Optional[frozenset[str]]


def scope_for(session: Session, who: Principal, account_code: str) -> Scope:
    """The person's scope in an account; NotFound (never 'forbidden') when they have none."""
    if not access.may_view_any_part(who, account_code):
        raise NotFound("No such account.")
    account = session.exec(
        select(models.Account).where(models.Account.code == account_code)
    ).first()
    if account is None or account.id is None:
        raise NotFound("No such account.")
    return Scope(account.id, account.code, account.name, access.branch_limit(who, account_code))


def visible_accounts(session: Session, who: Principal) -> list[tuple[str, str]]:
    """(code, name) of every account the person may see, sorted by code."""
    query = select(models.Account.code, models.Account.name).order_by(models.Account.code)
    if not who.is_staff:
        codes = who.account_codes()
        if not codes:
            return []
        query = query.where(col(models.Account.code).in_(codes))
    return [(code, name) for code, name in session.exec(query).all()]


def scoped_documents(session: Session, scope: Scope) -> list[models.Document]:
    """Every document of the scope (its branches only, when limited), newest first."""
    query = select(models.Document).where(models.Document.account_id == scope.account_id)
    if scope.branches is not None:
        if not scope.branches:
            return []
        query = query.where(col(models.Document.branch).in_(sorted(scope.branches)))
    query = query.order_by(col(models.Document.issue_date).desc(), models.Document.number)
    return list(session.exec(query).all())


def documents_frame(session: Session, scope: Scope) -> pd.DataFrame:
    """The scope's documents as a table for display."""
    rows = [
        {
            "Number": d.number,
            "Kind": "Credit note" if d.kind == "credit_note" else "Invoice",
            "Issued": d.issue_date,
            "Due": d.due_date,
            "Currency": d.currency,
            "Total": d.total,
            "Paid": d.paid,
            "Reference": d.po_reference,
            "Branch": d.branch,
        }
        for d in scoped_documents(session, scope)
    ]
    return pd.DataFrame(rows, columns=["Number", "Kind", "Issued", "Due", "Currency", "Total",
                                       "Paid", "Reference", "Branch"])


def accounts_frame(session: Session, who: Principal) -> pd.DataFrame:
    """Staff's list of accounts with their number of documents and contacts."""
    if not access.allowed(who, "list_accounts"):
        raise NotFound("No such page.")
    accounts = session.exec(select(models.Account).order_by(models.Account.code)).all()
    doc_counts = dict(session.exec(
        select(models.Document.account_id, func.count(col(models.Document.id)))
        .group_by(models.Document.account_id)
    ).all())
    contact_counts = dict(session.exec(
        select(models.Grant.account_id, func.count(col(models.Grant.contact_id)))
        .group_by(models.Grant.account_id)
    ).all())
    return pd.DataFrame(
        [
            {"Code": a.code, "Name": a.name, "Parent": a.parent_code or "",
             "Documents": doc_counts.get(a.id, 0), "Contacts": contact_counts.get(a.id, 0)}
            for a in accounts
        ],
        columns=["Code", "Name", "Parent", "Documents", "Contacts"],
    )
