"""Files a buyer downloads: built when the button is pressed, for that person, and recorded.

Each function opens its own unit of work and derives the scope again from the store, so a
download pressed after a grant was withdrawn gets nothing. Nothing here is cached: one buyer's
file is never handed to another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from sqlmodel import Session

from lib import (
    access,
    activity,
    ledger_queries,
    money,
    people,
    portal_settings,
    queries,
    render,
    store,
)
from lib.access import Principal
from lib.display import safe_filename
from lib.errors import NotFound, PortalError
from lib.render_pdf import render_pdf
from lib.statements import Statement

MAX_ZIP_DOCUMENTS = 2000
TOO_MANY_PDFS = (
    f"At most {MAX_ZIP_DOCUMENTS:,} PDFs go into one zip: narrow the filters or select documents."
)
MONEY_COLUMNS = ("Total", "Paid", "Outstanding")


@dataclass(frozen=True)
class StatementRequest:
    """What the buyer asked for: kind, currency and period (open-item uses the end date)."""

    kind: str
    currency: str
    start: date
    end: date
    statement_date: date

    def describe(self) -> str:
        """A short text for the activity record."""
        return f"{self.kind} {self.currency} {self.start.isoformat()}..{self.end.isoformat()}"


def fresh_scope(session: Session, who: Principal, account_code: str) -> queries.Scope:
    """The scope as the store has it now (grants may have changed since the page was drawn)."""
    if who.viewed_by is not None:
        # Staff viewing as a buyer: the viewer must still be staff who may do that.
        viewer = people.principal_for(session, who.viewed_by)
        if viewer is None or not access.allowed(viewer, "view_as_buyer"):
            raise NotFound("No such account.")
        return queries.scope_for(session, who, account_code)
    now = people.principal_for(session, who.username)
    if now is None or now.role != who.role:
        raise NotFound("No such account.")
    return queries.scope_for(session, now, account_code)


def _round(value: Any, currency: str) -> Any:
    try:
        return money.quantize(Decimal(value), currency)
    except (PortalError, TypeError, ArithmeticError):
        return value


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The list as a buyer downloads it: the shown columns, amounts in the currency's decimals."""
    shown = frame[queries.LIST_COLUMNS].astype(object)
    for column in MONEY_COLUMNS:
        pairs = zip(shown[column], shown["Currency"], strict=True)
        shown[column] = [_round(value, currency) for value, currency in pairs]
    return shown


def list_download(
    url: str, who: Principal, account_code: str, *, as_of: date,
    filters: queries.DocumentFilter, fmt: str,
) -> bytes:  # fmt: skip
    """The filtered list as CSV or XLSX."""
    with store.session_scope(url) as session:
        scope = fresh_scope(session, who, account_code)
        frame = export_frame(queries.document_list(session, scope, as_of=as_of, filters=filters))
        activity.record(session, who, scope.account_code, activity.DOWNLOAD_LIST, fmt)
    return render.table_to_csv(frame) if fmt == "csv" else render.table_to_xlsx(frame)


def pdf_download(
    url: str, who: Principal, account_code: str, document_id: int,
    documents_dir: Path | None = None,
) -> bytes:  # fmt: skip
    """The uploaded PDF of one document."""
    with store.session_scope(url) as session:
        scope = fresh_scope(session, who, account_code)
        data = queries.document_pdf(session, scope, document_id, documents_dir)
        if data is None:
            raise NotFound("No PDF was uploaded for this document.")
        number = queries.scoped_document(session, scope, document_id).number
        activity.record(session, who, scope.account_code, activity.DOWNLOAD_PDF, number)
    return data


def pdf_zip_download(
    url: str, who: Principal, account_code: str, document_ids: list[int],
    documents_dir: Path | None = None,
) -> bytes:  # fmt: skip
    """The PDFs of these documents (those of the scope that have one) as one zip."""
    if len(set(document_ids)) > MAX_ZIP_DOCUMENTS:
        raise PortalError(TOO_MANY_PDFS)
    with store.session_scope(url) as session:
        scope = fresh_scope(session, who, account_code)
        found = queries.documents_with_pdf(session, scope, document_ids, documents_dir)
        activity.record(session, who, scope.account_code, activity.DOWNLOAD_PDF_ZIP,
                        f"{len(found)} PDFs")  # fmt: skip
    named = ((safe_filename(f"{row.kind}-{row.number}", ".pdf"), path) for row, path in found)
    return render.zip_files((name, path.read_bytes()) for name, path in named)


def statement_for(
    session: Session, scope: queries.Scope, request: StatementRequest, data_dir: Path
) -> Statement:
    """The statement a request asks for, with the installation's wholesaler and aging buckets."""
    return ledger_queries.build_statement(
        session, scope, kind=request.kind, currency=request.currency, start=request.start,
        end=request.end, statement_date=request.statement_date,
        wholesaler=portal_settings.wholesaler(session, data_dir),
        buckets=portal_settings.buckets(session),
    )


def statement_download(
    url: str, who: Principal, account_code: str, request: StatementRequest, *,
    fmt: str, page_size: str, data_dir: Path,
) -> bytes:  # fmt: skip
    """A statement as PDF (A4 or Letter), XLSX or CSV."""
    if fmt not in render.RENDERERS:
        raise PortalError(f"Unknown format {fmt!r}.")
    with store.session_scope(url) as session:
        scope = fresh_scope(session, who, account_code)
        statement = statement_for(session, scope, request, data_dir)
        activity.record(session, who, scope.account_code, activity.DOWNLOAD_STATEMENT,
                        f"{request.describe()} {fmt}")  # fmt: skip
    if fmt == "pdf":
        return render_pdf(statement, page_size)
    return render.RENDERERS[fmt](statement)
