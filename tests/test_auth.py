"""Password policy, hashing, one-time secrets and cookie checks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt
import pytest

from lib import auth

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
KEY = "k" * 48


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("short pass", False),
        ("elevenchars", False),
        ("twelve chars", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("é" * 40, False),  # 80 bytes: over bcrypt's 72-byte limit, refused not crashed
        ("password1234", False),
        ("Password1234", False),  # common passwords are refused in any case
        (" leading space ok?", False),
        ("no composition rules at all", True),
    ],
)
def test_password_policy(password: str, accepted: bool) -> None:
    assert (auth.password_problem(password) is None) is accepted


def test_username_as_password_is_refused() -> None:
    assert auth.password_problem("maria.lopez.1", "Maria.Lopez.1") is not None


def test_hash_is_bcrypt_and_checks() -> None:
    hashed = auth.hash_password("correct horse battery")
    assert hashed.startswith(f"$2b${auth.BCRYPT_ROUNDS:02d}$")
    assert auth.check_password("correct horse battery", hashed)
    assert not auth.check_password("correct horse batterY", hashed)


def test_over_long_password_at_login_is_a_plain_failure() -> None:
    hashed = auth.hash_password("correct horse battery")
    assert auth.check_password("x" * 500, hashed) is False


def test_hash_refuses_a_bad_password() -> None:
    with pytest.raises(ValueError, match="at least 12"):
        auth.hash_password("short")


def test_tokens_are_random_and_only_the_hash_is_kept() -> None:
    first, first_hash = auth.new_token()
    second, _ = auth.new_token()
    assert first != second and len(first) >= 40
    assert first_hash == auth.token_hash(first) and first not in first_hash


def _cookie(**claims: object) -> str:
    body = {"username": "bea", "exp_date": (NOW + timedelta(days=7)).timestamp(), **claims}
    return jwt.encode(body, KEY, algorithm="HS256")


def test_a_valid_cookie_is_read() -> None:
    claims = auth.cookie_claims(_cookie(), KEY, NOW)
    assert claims is not None and claims["username"] == "bea"
    issued = auth.cookie_issued_at(claims, 7)
    assert abs((issued - NOW).total_seconds()) < 1


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode({"username": "bea", "exp_date": NOW.timestamp() + 99}, "other-key" * 5,
                   algorithm="HS256"),
        jwt.encode({"username": "bea", "exp_date": NOW.timestamp() + 99}, None, algorithm="none"),
        jwt.encode({"username": "bea", "exp_date": NOW.timestamp() - 1}, KEY, algorithm="HS256"),
        jwt.encode({"exp_date": NOW.timestamp() + 99}, KEY, algorithm="HS256"),
        jwt.encode({"username": "bea"}, KEY, algorithm="HS256"),
        "not.a.token",
        "",
        None,
        12345,
    ],
    ids=["wrong-key", "alg-none", "expired", "no-user", "no-expiry", "garbage", "empty", "none",
         "number"],
)
def test_forged_or_expired_cookies_are_rejected(token: object) -> None:
    assert auth.cookie_claims(token, KEY, NOW) is None


def test_outside_tests_the_cost_is_twelve_and_cannot_be_lowered() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    code = "from lib import auth; print(auth.hash_password('correct horse battery')[:7])"
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)
    assert default.stdout.strip() == "$2b$12$"
    lowered = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**env, "PORTAL_BCRYPT_ROUNDS": "4"})
    assert lowered.returncode != 0 and "between 10 and 15" in lowered.stderr
