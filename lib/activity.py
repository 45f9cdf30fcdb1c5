"""Buyer activity: what a contact viewed or downloaded themselves, never staff in their place."""

from __future__ import annotations

from sqlmodel import Session

from lib import audit
from lib.access import Principal

VIEW_DOCUMENT = "view_document"
DOWNLOAD_PDF = "download_pdf"
DOWNLOAD_PDF_ZIP = "download_pdf_zip"
DOWNLOAD_LIST = "download_list"
VIEW_STATEMENT = "view_statement"
DOWNLOAD_STATEMENT = "download_statement"
ACTIONS = (VIEW_DOCUMENT, DOWNLOAD_PDF, DOWNLOAD_PDF_ZIP, DOWNLOAD_LIST, VIEW_STATEMENT,
           DOWNLOAD_STATEMENT)  # fmt: skip


def counts(who: Principal) -> bool:
    """Whether what this person does is the buyer's own activity (not staff viewing as them)."""
    return who.role == "buyer" and who.viewed_by is None


def record(
    session: Session, who: Principal, account_code: str, action: str, target: str = ""
) -> bool:
    """Record a buyer's view or download; staff and staff viewing as a buyer are never counted."""
    if action not in ACTIONS:
        raise ValueError(f"unknown activity {action!r}")
    if not counts(who):
        return False
    audit.record_activity(session, who.username, account_code, action, target)
    return True
