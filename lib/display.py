"""Text for pages: feed values made safe for markdown, money, status explanations, file names."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import pandas as pd

from lib import ledger, money
from lib.errors import PortalError
from lib.ledger import LedgerDoc
from lib.statements import long_date

_MARKDOWN_SPECIAL = frozenset(string.punctuation)
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def escape_markdown(text: object) -> str:
    """A feed value as literal text inside markdown: every punctuation mark escaped, one line."""
    flat = " ".join(str(text).split())
    return "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in flat)


def money_text(amount: Decimal, currency: str) -> str:
    """'1,234.50 GBP'; a currency the table of minor units lacks is written as stored."""
    try:
        return money.format_money(amount, currency)
    except PortalError:
        return f"{amount} {currency}"


def amount_format(currencies: Iterable[str]) -> str:
    """A table column's number format: thousands separators, the most decimals needed."""
    # A table column (pandas) has unique(): a 50,000-row list holds a few currencies.
    unique = getattr(currencies, "unique", None)
    distinct = set(unique()) if callable(unique) else set(currencies)
    known = [money.MINOR_UNITS[c] for c in distinct if c in money.MINOR_UNITS]
    return f"%,.{max(known, default=2)}f"


def scope_note(branches: frozenset[str] | None) -> str | None:
    """What a branch-limited contact is told on every page (None when not limited)."""
    if branches is None:
        return None
    names = sorted(branches)
    if len(names) == 1:
        return f"You see only the branch {names[0]} of this account."
    return f"You see only the branches {', '.join(names)} of this account."


def safe_filename(text: str, suffix: str = "") -> str:
    """A file name from a feed value: letters, digits, '.', '_' and '-' only."""
    stem = _UNSAFE_FILENAME.sub("_", text).strip("._") or "document"
    return f"{stem[:100]}{suffix}"


def explain_status(doc: LedgerDoc, as_of: date) -> str:
    """How the document's status follows from its total, its paid amount and its due date."""
    state = ledger.status(doc, as_of)
    total, paid = money_text(doc.total, doc.currency), money_text(doc.paid, doc.currency)
    left = money_text(ledger.outstanding(doc), doc.currency)
    if state == ledger.VOID:
        return f"The ERP marked this document \"{doc.erp_status}\": it counts in no balance."
    if doc.kind == ledger.CREDIT_NOTE:
        if state == ledger.PAID:
            return f"Credit of {total}, {paid} of it used: none left. Status: paid."
        return f"Credit of {total}, {paid} of it used: {left} of credit available. Status: {state}."
    if doc.paid > doc.total:
        extra = money_text(doc.paid - doc.total, doc.currency)
        return f"Paid {paid} of {total}: {extra} more than the total, held as credit. Status: paid."
    if state == ledger.PAID:
        return f"Paid {paid} of {total}: paid in full. Status: paid."
    due = long_date(doc.due_date)
    start = f"Paid {paid} of {total}, so {left} is outstanding" if doc.paid > 0 else (
        f"Nothing of {total} is paid yet")
    if state == ledger.OVERDUE:
        days = ledger.days_past_due(doc, as_of)
        late = "1 day ago" if days == 1 else f"{days} days ago"
        return f"{start}; it was due on {due}, {late}. Status: overdue."
    return f"{start}; it is due on {due}. Status: {state}."


def document_fields(doc: LedgerDoc, as_of: date) -> pd.DataFrame:
    """The document's fields as text, one row each (shown as a table, never as markdown)."""
    fields = [
        ("Number", doc.number),
        ("Kind", "Credit note" if doc.kind == ledger.CREDIT_NOTE else "Invoice"),
        ("Status", ledger.status(doc, as_of)),
        ("Issued", long_date(doc.issue_date)),
        ("Due", long_date(doc.due_date)),
        ("Total", money_text(doc.total, doc.currency)),
        ("Paid", money_text(doc.paid, doc.currency)),
        ("Outstanding", money_text(ledger.outstanding(doc), doc.currency)),
        ("Reference", doc.po_reference),
        ("Branch", doc.branch),
        ("Description", doc.description),
        ("Status in the ERP", doc.erp_status),
    ]
    return pd.DataFrame([(k, v) for k, v in fields if v], columns=["Field", "Value"])
