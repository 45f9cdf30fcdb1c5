"""Login bookkeeping in the store: first administrator, one-time links, lockout, sessions."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from sqlmodel import Session, col, select

from lib import audit, auth, models, people
from lib.errors import NotFound, PortalError
from lib.settings import Settings

LINK_INVALID = "This link is not valid any more: ask for a new one."


def create_first_admin(
    session: Session, *, username: str, name: str, email: str, password: str
) -> models.Contact:
    """Create the first administrator; refused once any contact exists."""
    if people.count_contacts(session):
        raise PortalError("The first administrator already exists: log in instead.")
    contact = people.add_contact(
        session, username, username=username, name=name, email=email, role="admin",
        password=password,
    )
    audit.record(session, contact.username, "first_admin_created", target=contact.username)
    return contact


def issue_link(
    session: Session, actor: str, username: str, now: datetime, hours: int
) -> str:
    """A fresh one-time secret to set a password; earlier unused links stop working."""
    contact = people.contact_by_username(session, username)
    if contact is None:
        raise NotFound(f"No contact with the username {username!r}.")
    if contact.disabled:
        raise PortalError(f"{contact.username} is disabled: enable the contact first.")
    for old in _open_tokens(session, contact.id or 0):
        old.used_at = now
        session.add(old)
    secret, digest = auth.new_token()
    purpose = "reset" if contact.password_hash else "invite"
    session.add(models.LoginToken(
        contact_id=models.row_id(contact), token_hash=digest, purpose=purpose,
        created_at=now, expires_at=auth.token_expiry(now, hours),
    ))
    audit.record(session, actor, f"link_issued_{purpose}", target=contact.username)
    return secret


def _open_tokens(session: Session, contact_id: int) -> list[models.LoginToken]:
    query = select(models.LoginToken).where(
        models.LoginToken.contact_id == contact_id, col(models.LoginToken.used_at).is_(None)
    )
    return list(session.exec(query).all())


def contact_for_link(session: Session, secret: str, now: datetime) -> Optional[models.Contact]:
    """The contact a valid, unused, unexpired link belongs to, else None."""
    token = _usable_token(session, secret, now)
    return session.get(models.Contact, token.contact_id) if token else None


def _usable_token(session: Session, secret: str, now: datetime) -> Optional[models.LoginToken]:
    if not secret:
        return None
    query = select(models.LoginToken).where(
        models.LoginToken.token_hash == auth.token_hash(secret)
    )
    token = session.exec(query).first()
    if token is None or token.used_at is not None or _aware(token.expires_at) <= now:
        return None
    contact = session.get(models.Contact, token.contact_id)
    return token if contact is not None and not contact.disabled else None


def redeem_link(session: Session, secret: str, password: str, now: datetime) -> str:
    """Set the password through a one-time link; returns the username."""
    token = _usable_token(session, secret, now)
    contact = session.get(models.Contact, token.contact_id) if token else None
    if token is None or contact is None:
        raise PortalError(LINK_INVALID)
    problem = auth.password_problem(password, contact.username)
    if problem:
        raise PortalError(problem)
    token.used_at = now
    _set_password(contact, password, now)
    session.add_all([token, contact])
    audit.record(session, contact.username, "password_set", target=contact.username,
                 via=token.purpose)
    return contact.username


def _set_password(contact: models.Contact, password: str, now: datetime) -> None:
    contact.password_hash = auth.hash_password(password)
    contact.sessions_valid_after = now
    contact.failed_logins = 0
    contact.locked_until = None


def change_password(
    session: Session, username: str, current: str, new: str, now: datetime
) -> None:
    """Change one's own password; every other session and cookie of the contact ends."""
    contact = people.contact_by_username(session, username)
    if contact is None or not contact.password_hash:
        raise PortalError("The current password is not correct.")
    if not auth.check_password(current, contact.password_hash):
        raise PortalError("The current password is not correct.")
    problem = auth.password_problem(new, contact.username)
    if problem:
        raise PortalError(problem)
    _set_password(contact, new, now)
    session.add(contact)
    audit.record(session, contact.username, "password_changed", target=contact.username)


def _aware(moment: datetime) -> datetime:
    """DuckDB may hand back timestamps in the session time zone; compare them as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def is_locked(contact: models.Contact, now: datetime) -> bool:
    """True while the contact is in a lockout cool-down."""
    return contact.locked_until is not None and _aware(contact.locked_until) > now


def credential_entry(session: Session, username: str, now: datetime) -> dict[str, Any]:
    """What the login library checks for a typed username.

    Unknown, disabled, locked and password-less contacts get the decoy hash, so every
    attempt costs one bcrypt check and fails the same way.
    """
    contact = people.contact_by_username(session, username)
    usable = (
        contact is not None and not contact.disabled and contact.password_hash
        and not is_locked(contact, now)
    )
    entry: dict[str, Any] = {"password": auth.decoy_hash(), "email": "", "roles": [],
                             "first_name": "", "last_name": ""}
    if usable and contact is not None:
        entry.update(password=contact.password_hash, email=contact.email, roles=[contact.role],
                     first_name=contact.name)
    return entry


def record_failure(session: Session, username: str, now: datetime, settings: Settings) -> None:
    """Count a failed login; the fifth in a row locks the username for the cool-down."""
    contact = people.contact_by_username(session, username)
    if contact is None:
        # What was typed may be a password in the wrong box: keep only a fingerprint of it,
        # enough to see repeated attempts with the same name.
        typed = hashlib.sha256(people.normalise_username(username).encode()).hexdigest()[:12]
        audit.record(session, "(unknown user)", "login_failed", reason="unknown user",
                     typed_fingerprint=typed)
        return
    if is_locked(contact, now):
        audit.record(session, contact.username, "login_failed", reason="locked")
        return
    contact.failed_logins += 1
    audit.record(session, contact.username, "login_failed", reason="wrong password",
                 failures=contact.failed_logins)
    if contact.failed_logins >= settings.lock_after_failures:
        contact.locked_until = now + timedelta(minutes=settings.lock_minutes)
        contact.failed_logins = 0
        audit.record(session, contact.username, "login_locked",
                     until=contact.locked_until.isoformat())
    session.add(contact)


def record_success(session: Session, username: str, now: datetime, *, via: str) -> None:
    """Note the login; a typed password also resets the failure count and lock (a cookie
    login does not: someone who reloads a page must not reset a guesser's count)."""
    contact = people.contact_by_username(session, username)
    if contact is None:
        return
    if via == "password":
        contact.failed_logins = 0
        contact.locked_until = None
    contact.last_login_at = now
    session.add(contact)
    audit.record(session, contact.username, "login", via=via)


def record_logout(session: Session, username: str, now: datetime) -> None:
    """End every session and login cookie of the contact issued before now."""
    contact = people.contact_by_username(session, username)
    if contact is None:
        return
    contact.sessions_valid_after = now
    session.add(contact)
    audit.record(session, contact.username, "logout")


def session_valid(session: Session, username: str, started_at: datetime) -> bool:
    """True if a session (or cookie) started at `started_at` may still act for the user."""
    contact = people.contact_by_username(session, username)
    if contact is None or contact.disabled or not contact.password_hash:
        return False
    return started_at >= _aware(contact.sessions_valid_after)
