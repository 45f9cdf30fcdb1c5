"""Contacts, accounts and grants: who has a login and which accounts they may see."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

import pandas as pd
from sqlmodel import Session, col, func, select

from lib import audit, auth, models
from lib.access import AccountGrant, Principal
from lib.errors import NotFound, PortalError

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


def normalise_username(username: str) -> str:
    """Usernames are lower case (the login library lower-cases what is typed)."""
    return username.strip().lower()


def contact_by_username(session: Session, username: str) -> Optional[models.Contact]:
    """The contact with this username, or None."""
    name = normalise_username(username)
    return session.exec(select(models.Contact).where(models.Contact.username == name)).first()


def account_by_code(session: Session, code: str) -> Optional[models.Account]:
    """The account with this code, or None."""
    return session.exec(select(models.Account).where(models.Account.code == code)).first()


def _require_contact(session: Session, username: str) -> models.Contact:
    contact = contact_by_username(session, username)
    if contact is None:
        raise NotFound(f"No contact with the username {username!r}.")
    return contact


def count_contacts(session: Session) -> int:
    """How many contacts exist (zero means the first administrator is still to be made)."""
    return int(session.exec(select(func.count()).select_from(models.Contact)).one())


def add_account(
    session: Session, actor: str, code: str, name: str, parent_code: Optional[str] = None
) -> models.Account:
    """Create a buyer account by hand."""
    code = code.strip()
    if not CODE_PATTERN.match(code):
        raise PortalError(
            f"Account code {code!r} is not valid: use 1-40 letters, digits, '.', '_', '/' or '-'."
        )
    if account_by_code(session, code):
        raise PortalError(f"An account with the code {code!r} already exists.")
    if parent_code and not account_by_code(session, parent_code):
        raise PortalError(f"The parent account {parent_code!r} does not exist.")
    account = models.Account(code=code, name=name.strip(), parent_code=parent_code or None)
    session.add(account)
    session.flush()
    audit.record(session, actor, "account_added", account_code=code, name=account.name)
    return account


def add_contact(
    session: Session,
    actor: str,
    *,
    username: str,
    name: str,
    email: str,
    role: str,
    password: Optional[str] = None,
) -> models.Contact:
    """Create a contact; without a password they set one through a one-time link."""
    username = normalise_username(username)
    if not USERNAME_PATTERN.match(username):
        raise PortalError(
            "The username must be 2-64 characters: letters, digits, '.', '_', '@' or '-'."
        )
    if role not in models.ROLES:
        raise PortalError(f"Unknown role {role!r}: choose one of {', '.join(models.ROLES)}.")
    if not name.strip():
        raise PortalError("The contact needs a name.")
    if contact_by_username(session, username):
        raise PortalError(f"The username {username!r} is taken.")
    contact = models.Contact(username=username, name=name.strip(), email=email.strip(), role=role)
    if password is not None:
        _check_policy(password, username)
        contact.password_hash = auth.hash_password(password)
    session.add(contact)
    session.flush()
    audit.record(session, actor, "contact_added", target=username, role=role, email=contact.email)
    return contact


def _check_policy(password: str, username: str) -> None:
    problem = auth.password_problem(password, username)
    if problem:
        raise PortalError(problem)


def grant(
    session: Session, actor: str, username: str, account_code: str, branch: Optional[str] = None
) -> models.Grant:
    """Let a buyer see an account, or only one branch of it."""
    contact = _require_contact(session, username)
    if contact.role != "buyer":
        raise PortalError("Only buyer contacts are granted accounts; staff see every account.")
    account = account_by_code(session, account_code)
    if account is None:
        raise NotFound(f"No account with the code {account_code!r}.")
    branch = (branch or "").strip() or None
    for existing in grants_of(session, contact):
        if existing.account_id == account.id and existing.branch == branch:
            return existing
    row = models.Grant(
        contact_id=models.row_id(contact), account_id=models.row_id(account), branch=branch
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "grant_added", account_code=account.code, target=contact.username,
        branch=branch or "(whole account)",
    )
    return row


def revoke(session: Session, actor: str, grant_id: int) -> None:
    """Remove one grant."""
    row = session.get(models.Grant, grant_id)
    if row is None:
        raise NotFound("No such grant.")
    contact = session.get(models.Contact, row.contact_id)
    account = session.get(models.Account, row.account_id)
    session.delete(row)
    audit.record(
        session, actor, "grant_removed", account_code=account.code if account else "",
        target=contact.username if contact else "", branch=row.branch or "(whole account)",
    )


def grants_of(session: Session, contact: models.Contact) -> list[models.Grant]:
    """The grants of one contact."""
    query = select(models.Grant).where(models.Grant.contact_id == contact.id)
    return list(session.exec(query).all())


def set_disabled(
    session: Session, actor: str, username: str, disabled: bool, now: datetime
) -> None:
    """Disable (ending every session at once) or re-enable a contact."""
    contact = _require_contact(session, username)
    if disabled and contact.role == "admin" and _active_admins(session) <= 1:
        raise PortalError("This is the last active administrator: add another one first.")
    contact.disabled = disabled
    if disabled:
        contact.sessions_valid_after = now
    session.add(contact)
    audit.record(session, actor, "contact_disabled" if disabled else "contact_enabled",
                 target=contact.username)


def _active_admins(session: Session) -> int:
    query = select(func.count()).select_from(models.Contact).where(
        models.Contact.role == "admin", col(models.Contact.disabled).is_(False)
    )
    return int(session.exec(query).one())


def principal_for(session: Session, username: str) -> Optional[Principal]:
    """The access principal of an active contact, or None."""
    contact = contact_by_username(session, username)
    if contact is None or contact.disabled:
        return None
    query = (
        select(models.Account.code, models.Grant.branch)
        .join(models.Grant, col(models.Grant.account_id) == models.Account.id)
        .where(models.Grant.contact_id == contact.id)
    )
    grants = frozenset(AccountGrant(code, branch) for code, branch in session.exec(query).all())
    return Principal(username=contact.username, role=contact.role, grants=grants)


def contacts_frame(session: Session) -> pd.DataFrame:
    """Every contact with their role, state, accounts and last login (never a secret)."""
    grants: dict[int, list[str]] = {}
    query = select(models.Grant.contact_id, models.Account.code, models.Grant.branch).join(
        models.Account, col(models.Account.id) == models.Grant.account_id
    )
    for contact_id, code, branch in session.exec(query).all():
        grants.setdefault(contact_id, []).append(f"{code} ({branch})" if branch else code)
    contacts = session.exec(select(models.Contact).order_by(models.Contact.username)).all()
    rows = [
        {
            "Username": c.username, "Name": c.name, "Email": c.email, "Role": c.role,
            "State": _state(c), "Accounts": ", ".join(sorted(grants.get(c.id or 0, []))),
            "Last login": c.last_login_at,
        }
        for c in contacts
    ]
    return pd.DataFrame(rows, columns=["Username", "Name", "Email", "Role", "State", "Accounts",
                                       "Last login"])


def _state(contact: models.Contact) -> str:
    if contact.disabled:
        return "disabled"
    return "active" if contact.password_hash else "invited"


def grant_rows(session: Session, username: str) -> list[tuple[int, str, str]]:
    """(grant id, account code, branch or '') of one contact, for revoking."""
    contact = _require_contact(session, username)
    query = select(models.Grant.id, models.Account.code, models.Grant.branch).join(
        models.Account, col(models.Account.id) == models.Grant.account_id
    ).where(models.Grant.contact_id == contact.id)
    return [(int(gid or 0), code, branch or "") for gid, code, branch in session.exec(query).all()]


def account_branches(session: Session, account_code: str) -> list[str]:
    """The branches that documents of an account name, sorted."""
    account = account_by_code(session, account_code)
    if account is None:
        return []
    query = select(models.Document.branch).where(
        models.Document.account_id == account.id, models.Document.branch != ""
    ).distinct()
    return sorted(session.exec(query).all())


def link_url(base_url: str, secret: str) -> str:
    """The set-password address a contact opens."""
    return f"{base_url.rstrip('/')}/?link={secret}"
