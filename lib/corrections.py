"""Staff corrections: mark documents paid, partially paid or unpaid, with a note and an audit trail.

A correction changes the shown `paid` only; `feed_paid` keeps what the ERP last reported, so
the import can tell whether a later file really reports something new (which then supersedes
the correction) or repeats the old value (which leaves the correction in place).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from sqlmodel import Session, col, or_, select

from lib import access, audit, clock, ledger, models, money, store
from lib.access import Principal
from lib.errors import AccessDenied, NotFound, PortalError

PAID, PARTIAL, UNPAID = "paid", "partially paid", "unpaid"
STATES = (PAID, PARTIAL, UNPAID)
ACTION = "correction"
SUPERSEDED = "correction_superseded"  # a feed value replaced a correction (lib/imports/apply.py)
MAX_NOTE = 500
MAX_SELECTION = 500
FIND_LIMIT = 500
FILTERS = ("all", "unpaid or partly paid", "paid", "corrected")


@dataclass(frozen=True)
class CorrectionResult:
    """What one correction did to one document."""

    document_id: int
    kind: str
    number: str
    account_code: str
    currency: str
    paid_before: Decimal
    paid_after: Decimal

    @property
    def changed(self) -> bool:
        """True when the correction changed the paid amount."""
        return self.paid_before != self.paid_after


def _require(who: Principal | None) -> Principal:
    if who is None or not access.allowed(who, "correct"):
        raise AccessDenied("This action is not available.")
    return who


def parse_amount(text: object) -> Decimal:
    """A typed amount as Decimal ('1,234.50' or '1234.5'); PortalError when it is not a number."""
    if isinstance(text, Decimal):
        return text
    cleaned = str(text or "").strip().replace(",", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise PortalError(f"{text!r} is not an amount: type it like 1234.50.") from None
    if not value.is_finite():
        raise PortalError(f"{text!r} is not an amount: type it like 1234.50.")
    return value


def _check_note(note: str) -> str:
    cleaned = " ".join((note or "").split())
    if not cleaned:
        raise PortalError("A note is required: say why the document is corrected.")
    if len(cleaned) > MAX_NOTE:
        raise PortalError(f"The note is longer than {MAX_NOTE} characters.")
    return cleaned


def _new_paid(doc: models.Document, state: str, amount: Decimal | None) -> Decimal:
    """The paid amount a correction sets on this document, checked against its total."""
    if state == PAID:
        return doc.total
    if state == UNPAID:
        return Decimal("0")
    if amount is None:
        raise PortalError("Give the amount paid for a partial payment.")
    known = doc.currency in money.MINOR_UNITS
    digits = money.minor_units(doc.currency) if known else 4
    if amount.as_tuple().exponent < -digits:  # type: ignore[operator]  # finite: checked
        raise PortalError(f"{amount} has more decimals than {doc.currency} allows ({digits}).")
    if not Decimal("0") < amount < doc.total:
        raise PortalError(
            f"{doc.number}: a partial payment must be more than 0 and less than the total "
            f"{_money_text(doc.total, doc.currency)}; use 'paid' or 'unpaid' otherwise."
        )
    return amount


def _money_text(amount: Decimal, currency: str) -> str:
    if currency in money.MINOR_UNITS:
        return money.format_money(amount, currency)
    return f"{amount} {currency}"


def _note_text(state: str, actor: str, when: datetime, note: str, doc: models.Document,
               paid: Decimal) -> str:
    """The correction as staff read it on the document."""
    what = f"partially paid ({_money_text(paid, doc.currency)})" if state == PARTIAL else state
    return f"Marked {what} by {actor} on {when:%Y-%m-%d}: {note}"


def _load(session: Session, ids: Sequence[int]) -> list[tuple[models.Document, str]]:
    rows = session.exec(
        select(models.Document, models.Account.code)
        .join(models.Account, col(models.Account.id) == models.Document.account_id)
        .where(col(models.Document.id).in_(list(ids)))
        .order_by(models.Document.number)
    ).all()
    if len(rows) != len(set(ids)):
        raise NotFound("A chosen document no longer exists: search again.")
    return [(doc, code) for doc, code in rows]


def _apply_one(session: Session, actor: str, doc: models.Document, code: str, state: str,
               amount: Decimal | None, note: str, when: datetime) -> CorrectionResult:
    if doc.erp_status.strip().lower() in ledger.VOID_WORDS:
        raise PortalError(f"{doc.number} is void in the ERP: it counts in no balance.")
    before = {"paid": doc.paid, "correction_note": doc.correction_note}
    paid = _new_paid(doc, state, amount)
    result = CorrectionResult(doc.id or 0, doc.kind, doc.number, code, doc.currency,
                              doc.paid, paid)
    doc.paid = paid
    doc.correction_note = _note_text(state, actor, when, note, doc, paid)
    doc.updated_at = when
    session.add(doc)
    audit.record(
        session, actor, ACTION, account_code=code, target=f"{doc.kind} {doc.number}",
        document_id=doc.id, state=state, note=note, feed_paid=doc.feed_paid,
        before=before, after={"paid": paid, "correction_note": doc.correction_note},
    )
    return result


def correct_documents(
    url: str,
    who: Principal | None,
    document_ids: Sequence[int],
    state: str,
    note: str,
    amount: Decimal | None = None,
) -> list[CorrectionResult]:
    """Correct the paid amount of one or more documents in one transaction, all or none."""
    actor = _require(who).username
    if state not in STATES:
        raise PortalError(f"Unknown correction {state!r}: choose one of {', '.join(STATES)}.")
    ids = sorted({int(i) for i in document_ids})
    if not ids:
        raise PortalError("Choose at least one document to correct.")
    if len(ids) > MAX_SELECTION:
        raise PortalError(f"Correct at most {MAX_SELECTION} documents at a time.")
    cleaned = _check_note(note)

    def work() -> list[CorrectionResult]:
        # Read, check and write in one transaction; a concurrent change makes DuckDB report a
        # conflict, and the retry reads the new values again, so no update is lost.
        when = clock.now()
        with store.session_scope(url) as session:
            return [
                _apply_one(session, actor, doc, code, state, amount, cleaned, when)
                for doc, code in _load(session, ids)
            ]

    return store.with_retry(work)


def _find_query(search: str, account_code: str, status: str) -> Any:
    query = select(models.Document, models.Account.code).join(
        models.Account, col(models.Account.id) == models.Document.account_id
    )
    needle = search.strip()
    if needle:
        pattern = f"%{needle.lower()}%"
        query = query.where(or_(
            col(models.Document.number).ilike(pattern),
            col(models.Document.po_reference).ilike(pattern),
        ))
    if account_code.strip():
        query = query.where(models.Account.code == account_code.strip())
    if status == "unpaid or partly paid":
        query = query.where(col(models.Document.paid) < col(models.Document.total))
    elif status == "paid":
        query = query.where(col(models.Document.paid) >= col(models.Document.total))
    elif status == "corrected":
        query = query.where(models.Document.correction_note != "")
    return query.order_by(col(models.Document.issue_date).desc(), models.Document.number)


FIND_COLUMNS = ["id", "Number", "Kind", "Account", "Issued", "Due", "Currency", "Total", "Paid",
                "Paid per feed", "Status in ERP", "Correction"]


def find_documents(
    session: Session,
    who: Principal | None,
    *,
    search: str = "",
    account_code: str = "",
    status: str = "all",
    limit: int = FIND_LIMIT,
) -> pd.DataFrame:
    """Staff's search over documents of every account (number or PO reference, account, status)."""
    _require(who)
    rows = session.exec(_find_query(search, account_code, status).limit(limit)).all()
    return pd.DataFrame(
        [
            {"id": d.id, "Number": d.number,
             "Kind": "Credit note" if d.kind == ledger.CREDIT_NOTE else "Invoice",
             "Account": code, "Issued": d.issue_date, "Due": d.due_date,
             "Currency": d.currency, "Total": d.total, "Paid": d.paid,
             "Paid per feed": d.feed_paid, "Status in ERP": d.erp_status,
             "Correction": d.correction_note}
            for d, code in rows
        ],
        columns=FIND_COLUMNS,
    )


def _paid_text(values: dict[str, Any], currency: str) -> str:
    """An audited paid amount as the portal writes money ("500.00 GBP"); as stored if odd."""
    try:
        return money.format_money(Decimal(str(values["paid"])), currency)
    except (KeyError, InvalidOperation):
        return str(values.get("paid", ""))


def correction_history(session: Session, who: Principal | None,
                       document_id: int) -> pd.DataFrame:
    """Every correction of one document, and every feed value that replaced one, newest first,
    with the paid amounts before and after."""
    _require(who)
    doc = session.get(models.Document, document_id)
    if doc is None:
        raise NotFound("No such document.")
    events = session.exec(
        select(models.AuditEvent)
        .where(col(models.AuditEvent.action).in_((ACTION, SUPERSEDED)))
        .where(models.AuditEvent.target == f"{doc.kind} {doc.number}")
        .order_by(col(models.AuditEvent.occurred_at).desc(), col(models.AuditEvent.id).desc())
    ).all()
    rows = [_history_row(event, doc.currency) for event in events]
    return pd.DataFrame(rows, columns=["When", "By", "Correction", "Paid before", "Paid after",
                                       "Note"])


def _history_row(event: models.AuditEvent, currency: str) -> dict[str, Any]:
    detail = json.loads(event.detail_json or "{}")
    before, after = detail.get("before", {}), detail.get("after", {})
    if event.action == SUPERSEDED:
        what = f"replaced by import {detail.get('import_id', '')}: the ERP reported a new amount"
        note = before.get("correction_note", "")
    else:
        what, note = detail.get("state", ""), detail.get("note", "")
    return {"When": event.occurred_at, "By": event.actor, "Correction": what,
            "Paid before": _paid_text(before, currency),
            "Paid after": _paid_text(after, currency), "Note": note}


def corrected_documents(session: Session, who: Principal | None,
                        account_code: str) -> pd.DataFrame:
    """The account's documents whose paid amount is a staff correction still in force (staff)."""
    if who is None or not access.allowed(who, "list_accounts"):
        raise AccessDenied("This action is not available.")
    docs = session.exec(
        select(models.Document).join(models.Account)
        .where(models.Account.code == account_code, models.Document.correction_note != "")
        .order_by(col(models.Document.updated_at).desc())
    ).all()
    rows = [[d.number, d.kind.replace("_", " "), money.format_money(d.paid, d.currency),
             money.format_money(d.feed_paid, d.currency), d.correction_note, d.updated_at]
            for d in docs]  # fmt: skip
    return pd.DataFrame(rows, columns=["Number", "Kind", "Paid (corrected)", "Paid (ERP)",
                                       "Note", "Last changed"])
