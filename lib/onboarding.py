"""Bulk onboarding: invite many buyer contacts at once, one one-time link per contact, audited.

An invitation names an account, a person and an email (and, from the feed's contacts file,
perhaps a branch and a username). The contact is found by username, else by email among buyer
contacts, else created with a username derived from the email. Every row is checked before
anything is written; the writes share the caller's unit of work, so it is all or nothing.
A contact invited to several accounts gets one link (a new link ends the earlier ones).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd
from sqlmodel import Session, col, func, select

from lib import access, audit, auth, logins, models, people, render
from lib.access import Principal
from lib.errors import AccessDenied, PortalError

INVITED = "contact_invited"
MAX_INVITATIONS = 1000
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
LINK_COLUMNS = ["name", "email", "account", "link", "expiry", "username"]
CONTACT_COLUMNS = ["Username", "Name", "Email", "State", "Access", "Last login"]
HAS_LOGIN = "Already has a login: access granted, no link needed."
# The editable table's columns and the invitation fields they hold.
EDIT_COLUMNS = {"Account": "account_code", "Name": "name", "Email": "email", "Branch": "branch",
                "Username": "username"}


@dataclass(frozen=True)
class Invitation:
    """One person to invite to one account (a branch of it when branch is set)."""

    account_code: str
    name: str
    email: str
    branch: str = ""
    username: str = ""


@dataclass(frozen=True)
class InvitationLink:
    """What to send one contact: their one-time link (empty when they already have a login)."""

    name: str
    email: str
    accounts: tuple[str, ...]
    username: str
    link: str
    expires_at: datetime | None
    note: str = ""


@dataclass
class _Person:
    """The invitations of one contact, grouped so that they get one link."""

    contact: models.Contact | None
    name: str
    email: str
    username: str
    grants: list[tuple[str, str]] = field(default_factory=list)


def _clean(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def invitations_from_records(records: Iterable[Mapping[str, Any]]) -> list[Invitation]:
    """Invitations from rows keyed by the feed's contact fields (account_code, name, email ...)."""
    return [
        Invitation(_clean(r.get("account_code")), _clean(r.get("name")),
                   _clean(r.get("email")).lower(), _clean(r.get("branch")),
                   people.normalise_username(_clean(r.get("username"))))  # fmt: skip
        for r in records
    ]


def invitations_frame(invitations: Sequence[Invitation]) -> pd.DataFrame:
    """Invitations as the table a page lets staff complete (EDIT_COLUMNS)."""
    rows = [[i.account_code, i.name, i.email, i.branch, i.username] for i in invitations]
    return pd.DataFrame(rows, columns=list(EDIT_COLUMNS))


def invitations_from_frame(frame: pd.DataFrame) -> list[Invitation]:
    """Invitations from that table, rows without a name and an email left out."""
    records = frame.rename(columns=EDIT_COLUMNS).fillna("").to_dict("records")
    return [inv for inv in invitations_from_records(records) if inv.name or inv.email]


def derive_username(session: Session, email: str, taken: Iterable[str] = ()) -> str:
    """A free username from an email: its local part ('priya.shah'), numbered when taken."""
    address = email.strip().lower()
    base = re.sub(r"[^a-z0-9._-]+", ".", address.split("@")[0]).strip("._-")[:60]
    if len(base) < 2:
        base = re.sub(r"[^a-z0-9._@-]+", ".", address).strip("._-@")[:60] or "buyer"
    reserved, candidate, number = set(taken), base, 1
    while candidate in reserved or people.contact_by_username(session, candidate):
        number += 1
        candidate = f"{base}{number}"
    return candidate


def _by_email(session: Session, email: str) -> list[models.Contact]:
    query = select(models.Contact).where(func.lower(models.Contact.email) == email.lower())
    return list(session.exec(query).all())


def _find(session: Session, inv: Invitation) -> tuple[models.Contact | None, str]:
    """The existing contact this invitation is for, or None; with a problem text when wrong."""
    found = people.contact_by_username(session, inv.username) if inv.username else None
    if found is not None and found.email and found.email.lower() != inv.email.lower():
        return None, f"the username {inv.username} belongs to a contact with another email"
    # A username the store does not know yet: the person may exist under another one.
    matches = [found] if found is not None else _by_email(session, inv.email)
    if any(c.role != "buyer" for c in matches):
        return None, f"{inv.email} belongs to a staff login"
    if len(matches) > 1:
        return None, f"several contacts have the email {inv.email}: give the username"
    contact = matches[0] if matches else None
    if contact is not None and contact.disabled:
        return None, f"{contact.username} is disabled: enable the contact first"
    return contact, ""


def _problem(session: Session, inv: Invitation) -> tuple[models.Contact | None, str]:
    if people.account_by_code(session, inv.account_code) is None:
        return None, f"there is no account {inv.account_code!r}"
    if not EMAIL.match(inv.email):
        return None, f"{inv.email!r} is not an email address"
    if inv.username and not people.USERNAME_PATTERN.match(inv.username):
        return None, f"the username {inv.username!r} is not valid (letters, digits, . _ @ -)"
    contact, problem = _find(session, inv)
    if not problem and contact is None and not inv.name:
        problem = "the name is missing"
    return contact, problem


def _plan(session: Session, invitations: Sequence[Invitation]) -> list[_Person]:
    """Check every invitation and group them per contact; PortalError listing every problem."""
    problems: list[str] = []
    persons: dict[str, _Person] = {}
    for row, inv in enumerate(invitations, start=1):
        contact, problem = _problem(session, inv)
        if problem:
            problems.append(f"Row {row}: {problem}.")
            continue
        key = contact.username if contact else inv.username or inv.email.lower()
        person = persons.setdefault(key, _Person(contact, inv.name, inv.email, inv.username))
        if (inv.account_code, inv.branch) not in person.grants:
            person.grants.append((inv.account_code, inv.branch))
    if problems:
        raise PortalError("Nobody was invited. " + " ".join(problems))
    return list(persons.values())


def _invite(session: Session, actor: str, person: _Person, base_url: str, now: datetime,
            hours: int) -> InvitationLink:  # fmt: skip
    contact = person.contact or people.add_contact(
        session, actor, username=person.username or derive_username(session, person.email),
        name=person.name, email=person.email, role="buyer")  # fmt: skip
    has_login = bool(contact.password_hash)
    for code, branch in person.grants:
        people.grant(session, actor, contact.username, code, branch or None)
        audit.record(session, actor, INVITED, account_code=code, target=contact.username,
                     branch=branch or "(whole account)", link_issued=not has_login)
    accounts = tuple(code for code, _ in person.grants)
    if has_login:
        return InvitationLink(contact.name, contact.email, accounts, contact.username, "", None,
                              HAS_LOGIN)  # fmt: skip
    secret = logins.issue_link(session, actor, contact.username, now, hours)
    return InvitationLink(contact.name, contact.email, accounts, contact.username,
                          people.link_url(base_url, secret), auth.token_expiry(now, hours),
                          "New login" if person.contact is None else "New link")  # fmt: skip


def invite_many(
    session: Session, who: Principal | None, invitations: Sequence[Invitation], *,
    base_url: str, now: datetime, hours: int,
) -> list[InvitationLink]:  # fmt: skip
    """Create missing contacts, grant the accounts and issue one link per contact; all or none."""
    if who is None or not access.allowed(who, "invite"):
        raise AccessDenied("This action is not available.")
    if not invitations:
        raise PortalError("Add at least one contact to invite.")
    if len(invitations) > MAX_INVITATIONS:
        raise PortalError(f"Invite at most {MAX_INVITATIONS} contacts at a time.")
    return [_invite(session, who.username, person, base_url, now, hours)
            for person in _plan(session, invitations)]  # fmt: skip


def links_frame(links: Sequence[InvitationLink]) -> pd.DataFrame:
    """The links as the mail-merge table: name, email, account, link, expiry (UTC), username."""
    rows = [[ln.name, ln.email, "; ".join(ln.accounts), ln.link,
             ln.expires_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
             if ln.expires_at else "", ln.username] for ln in links]  # fmt: skip
    return pd.DataFrame(rows, columns=LINK_COLUMNS)


def links_csv(links: Sequence[InvitationLink]) -> bytes:
    """The mail-merge CSV (UTF-8, spreadsheet formulas neutralised)."""
    return render.table_to_csv(links_frame(links))


def _buyers_of(session: Session, account_codes: Sequence[str] | None) -> list[tuple[Any, ...]]:
    """(code, branch, contact) of enabled buyer contacts granted these accounts (all if None)."""
    query = (select(models.Account.code, models.Grant.branch, models.Contact)
             .join(models.Grant, col(models.Grant.account_id) == models.Account.id)
             .join(models.Contact, col(models.Contact.id) == models.Grant.contact_id)
             .where(models.Contact.role == "buyer", col(models.Contact.disabled).is_(False))
             .order_by(models.Account.code, models.Contact.username))  # fmt: skip
    if account_codes is not None:
        query = query.where(col(models.Account.code).in_(list(account_codes)))
    return list(session.exec(query).all())


def _open_links(session: Session, now: datetime) -> set[int]:
    """Contacts holding a one-time link that is unused and unexpired."""
    query = select(models.LoginToken.contact_id, models.LoginToken.expires_at).where(
        col(models.LoginToken.used_at).is_(None))
    return {cid for cid, expires in session.exec(query).all() if _utc(expires) > now}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def pending_invitations(session: Session, now: datetime) -> list[Invitation]:
    """Buyer contacts given accounts (e.g. by the feed's contacts file) who have no login yet
    and no open link: ready to invite."""
    open_links = _open_links(session, now)
    return [
        Invitation(code, c.name, c.email, branch or "", c.username)
        for code, branch, c in _buyers_of(session, None)
        if not c.password_hash and c.id not in open_links
    ]


def prefill(session: Session, account_codes: Sequence[str]) -> list[Invitation]:
    """Rows to complete for these accounts: their contacts who never logged in, else a blank."""
    waiting: dict[str, list[Invitation]] = {code: [] for code in account_codes}
    for code, branch, c in _buyers_of(session, account_codes):
        if c.last_login_at is None:
            waiting[code].append(Invitation(code, c.name, c.email, branch or "", c.username))
    return [inv for code in account_codes for inv in waiting[code] or [Invitation(code, "", "")]]


def _state(contact: models.Contact, open_links: set[int]) -> str:
    if contact.disabled:
        return "disabled"
    if contact.last_login_at is not None:
        return "active"
    if contact.id in open_links:
        return "invited, link open"
    return "password set, not logged in yet" if contact.password_hash else "invited, no open link"


def account_contacts(session: Session, account_code: str, now: datetime) -> pd.DataFrame:
    """The buyer contacts of one account: state, access and last login (never a secret)."""
    open_links = _open_links(session, now)
    query = (select(models.Grant.branch, models.Contact)
             .join(models.Account, col(models.Account.id) == models.Grant.account_id)
             .join(models.Contact, col(models.Contact.id) == models.Grant.contact_id)
             .where(models.Account.code == account_code).order_by(models.Contact.username))
    rows = [[c.username, c.name, c.email, _state(c, open_links),
             f"branch {branch}" if branch else "whole account",
             _utc(c.last_login_at) if c.last_login_at else None]
            for branch, c in session.exec(query).all()]  # fmt: skip
    return pd.DataFrame(rows, columns=CONTACT_COLUMNS)
