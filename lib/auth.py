"""Passwords, one-time links and login cookies: pure checks with no database access."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import bcrypt
import jwt

MIN_PASSWORD = 12
MAX_PASSWORD = 64
# bcrypt's cost. The test suite lowers it (PORTAL_BCRYPT_ROUNDS=4) to run in minutes; the
# same code then runs, only cheaper. Below 10 is refused outside tests.
BCRYPT_ROUNDS = int(os.environ.get("PORTAL_BCRYPT_ROUNDS", "12"))
if not (10 <= BCRYPT_ROUNDS <= 15 or os.environ.get("PORTAL_TESTING") == "1"):
    raise RuntimeError("PORTAL_BCRYPT_ROUNDS must be between 10 and 15.")
# The most common passwords of at least 12 characters, from public breach lists.
COMMON_PASSWORDS = frozenset(
    {
        "123456789012", "1234567890123", "12345678910", "123456123456", "qwertyuiopas",
        "qwerty123456", "password1234", "password12345", "passwordpassword", "111111111111",
        "000000000000", "iloveyou1234", "1q2w3e4r5t6y", "qwertyuiop123", "abcdefghijkl",
        "abc123abc123", "aaaaaaaaaaaa", "letmein12345", "welcome12345", "administrator",
        "changeme1234", "trustno11234", "football1234", "baseball1234", "superman1234",
        "monkey123456", "dragon123456", "princess1234", "sunshine1234", "1qaz2wsx3edc",
        "zaq12wsxcde3", "qwertyqwerty", "asdfghjkl123", "password123!", "p@ssw0rd1234",
        "welcome123456", "invoiceportal", "passw0rd1234", "letmeinletmein", "computer1234",
    }
)


def password_problem(password: str, username: str = "") -> Optional[str]:
    """Why this password is refused, or None when it is acceptable."""
    if password != password.strip():
        return "The password must not start or end with a space."
    if len(password) < MIN_PASSWORD:
        return f"The password must be at least {MIN_PASSWORD} characters long."
    if len(password) > MAX_PASSWORD or len(password.encode()) > 72:
        return f"The password must be at most {MAX_PASSWORD} characters long."
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (username and lowered == username.lower()):
        return "This password is too common or too easy to guess: choose another."
    return None


def hash_password(password: str) -> str:
    """A bcrypt hash of an accepted password."""
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()


def check_password(password: str, password_hash: str) -> bool:
    """True if the password matches; never raises for over-long input."""
    data = password.encode()
    if len(data) > 72:
        data = data[:72]  # bcrypt ignores bytes past 72; the policy never stores such a password
        password_hash = decoy_hash()
    try:
        return bcrypt.checkpw(data, password_hash.encode())
    except ValueError:
        return False


def decoy_hash() -> str:
    """The hash used for unknown, locked and disabled users, so every login costs one bcrypt."""
    return _decoy_for(BCRYPT_ROUNDS)


@functools.lru_cache(maxsize=4)
def _decoy_for(rounds: int) -> str:
    # A hash of a random secret nobody knows: checking it costs as much as a real check.
    return bcrypt.hashpw(secrets.token_bytes(32), bcrypt.gensalt(rounds)).decode()


def new_token() -> tuple[str, str]:
    """A fresh one-time secret for a link, and the hash that is stored instead of it."""
    secret = secrets.token_urlsafe(32)
    return secret, token_hash(secret)


def token_hash(secret: str) -> str:
    """The stored form of a one-time secret (SHA-256: the secret has 256 random bits)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def token_expiry(now: datetime, hours: int) -> datetime:
    """When a link made now stops working."""
    return now + timedelta(hours=hours)


def cookie_claims(token: Any, key: str, now: datetime) -> Optional[dict[str, Any]]:
    """The claims of a login cookie signed with our key and not expired, else None."""
    if not isinstance(token, str) or not token:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    if not isinstance(claims.get("username"), str):
        return None
    exp = claims.get("exp_date")
    if not isinstance(exp, (int, float)) or exp <= now.timestamp():
        return None
    return claims


def cookie_issued_at(claims: dict[str, Any], expiry_days: float) -> datetime:
    """When a cookie was issued: the library sets its expiry to issue time + expiry days."""
    issued = float(claims["exp_date"]) - expiry_days * 86400
    return datetime.fromtimestamp(issued, tz=timezone.utc)


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(a.encode(), b.encode())
