"""Logins under attack: guessing from fresh sessions, telling users apart, forged cookies.

- 150 wrong passwords for one username, each from a new session of the real login form: the
  lock holds across sessions and a restart of the store, and lifts after the cool-down.
- A wrong password, an unknown user and a locked user read the same and cost the same.
- Forged and revoked login cookies never log in: through the functions the portal's cookie
  check is built from, through the check itself, and end to end in AppTest.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import bcrypt
import jwt
import pytest
from sqlmodel import select
from streamlit_authenticator.utilities import Hasher

from lib import auth, clock, logins, models, people, store, ui
from lib.settings import Settings
from lib.ui import login as ui_login
from tests import trust_pages as tp
from tests.pagetools import ENTRY, texts
from tests.trust_figures import record

PASSWORD = "the victim's own passphrase"
WRONG = "a wrong guess, long enough"
ATTEMPTS = 150
TIMING_TRIES = 50
TIMING_TOLERANCE = 0.020  # seconds between the medians
# The cookie tests need contacts with passwords, not the cost of hashing them.
CHEAP_PASSWORD_HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()


@pytest.fixture(autouse=True)
def _fresh_sessions_are_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    tp.remember_component_scan(monkeypatch)


@pytest.fixture
def victim(url: str) -> str:
    """A buyer contact with a password, and an administrator so the store is not empty."""
    with store.session_scope(url) as session:
        people.add_contact(session, "test", username="ada", name="Ada", email="", role="admin",
                           password="the admin's passphrase")  # fmt: skip
        people.add_contact(session, "test", username="victim", name="Victim", email="",
                           role="buyer", password=PASSWORD)  # fmt: skip
    return "victim"


@pytest.fixture
def cheap_bcrypt(url: str, victim: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """bcrypt at its lowest cost for the guessing test: it is about the lock, not the cost.

    The victim's hash and the decoy (used once the username is locked) are both swapped.
    """
    cheap = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    with store.session_scope(url) as session:
        contact = people.contact_by_username(session, victim)
        assert contact is not None
        contact.password_hash = cheap
        session.add(contact)
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)  # the decoy follows the cost


@pytest.fixture
def no_cookie(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, str]], None]]:
    """The browser's cookies as the app reads them (none by default; AppTest's mock has all)."""
    from streamlit.runtime.context import ContextProxy

    jar: dict[str, str] = {}
    monkeypatch.setattr(ContextProxy, "cookies", property(lambda self: jar))

    def _set(cookies: dict[str, str]) -> None:
        jar.clear()
        jar.update(cookies)

    yield _set


def _form_login(username: str, password: str) -> Any:
    """A new browser session: open the portal, fill the real form, press Login."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    by_label = {t.label: t for t in at.text_input}
    by_label["Username"].input(username)
    by_label["Password"].input(password)
    next(b for b in at.button if b.label == "Login").click()
    return at.run()


def _logged_in(at: Any) -> bool:
    return at.session_state["authentication_status"] is True and "Logged in as" in texts(at)


def _contact(url: str, username: str) -> models.Contact:
    with store.session_scope(url) as session:
        found = people.contact_by_username(session, username)
        assert found is not None
        return found


def _audit(url: str, action: str) -> int:
    with store.session_scope(url) as session:
        rows = session.exec(select(models.AuditEvent).where(models.AuditEvent.action == action))
        return len(rows.all())


def test_150_guesses_lock_across_sessions_and_restart_then_lift_after_cool_down(
    url: str, settings: Settings, victim: str, cheap_bcrypt: None, no_cookie: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    started = clock.now()
    for attempt in range(1, ATTEMPTS + 1):
        at = _form_login(victim, f"{WRONG} {attempt}")
        assert ui.LOGIN_FAILED in texts(at) and not _logged_in(at), attempt
        assert not at.exception
    locked_until = _contact(url, victim).locked_until
    assert locked_until is not None
    assert _audit(url, "login_failed") == ATTEMPTS and _audit(url, "login_locked") == 1
    # The right password, from another new session: still refused, with the same words.
    at = _form_login(victim, PASSWORD)
    assert ui.LOGIN_FAILED in texts(at) and not _logged_in(at)
    # A restart: every engine closed, caches dropped, the store opened again.
    store.close_all()
    import streamlit as st

    st.cache_resource.clear()
    at = _form_login(victim, PASSWORD)
    assert not _logged_in(at), "the lock did not survive a restart"
    with store.session_scope(url) as session:
        assert logins.is_locked(_contact(url, victim), started + timedelta(minutes=14))
        entry = logins.credential_entry(session, victim, started + timedelta(minutes=14))
        assert entry["password"] == auth.decoy_hash()
    # After the cool-down (15 minutes, moved forward rather than waited for) the lock lifts.
    later = locked_until + timedelta(seconds=1)
    with store.session_scope(url) as session:
        assert not logins.is_locked(_contact(url, victim), later)
        assert logins.credential_entry(session, victim, later)["password"] != auth.decoy_hash()
    monkeypatch.setattr(clock, "now", lambda: later)
    at = _form_login(victim, PASSWORD)
    assert _logged_in(at), "the lock did not lift after the cool-down"
    record("logins", wrong_passwords=ATTEMPTS, fresh_sessions=ATTEMPTS + 3,
           lock_held_after_restart=1, lock_lifted_after_cool_down=1)  # fmt: skip


def test_wrong_password_unknown_user_and_locked_user_read_the_same(
    url: str, victim: str, cheap_bcrypt: None, no_cookie: Any
) -> None:
    wrong = _form_login(victim, WRONG)
    unknown = _form_login("nobody-by-that-name", WRONG)
    empty_password = _form_login(victim, "")
    over_long = _form_login(victim, "x" * 500)
    for n in range(5):
        _form_login("ada", f"{WRONG} {n}")
    locked = _form_login("ada", "the admin's passphrase")  # right password, locked username
    pages = [wrong, unknown, empty_password, over_long, locked]
    shown = [texts(at) for at in pages]
    assert ui.LOGIN_FAILED in shown[0]
    assert all(text == shown[0] for text in shown), shown
    assert all(not at.exception and not _logged_in(at) for at in pages)
    assert {at.session_state["authentication_status"] for at in pages} == {False}
    record("logins", same_message_cases=len(pages))


def _login_path(url: str, username: str, password: str, now: datetime) -> tuple[float, float]:
    """Wall and CPU seconds the form's server side spends on one attempt: look the name up,
    check the password with bcrypt (as the login library does)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    with store.session_scope(url) as session:
        entry = logins.credential_entry(session, username, now)
    Hasher.check_pw(password, entry["password"])  # what the login library calls
    return time.perf_counter() - wall, time.thread_time() - cpu


def _medians(url: str, kinds: dict[str, str], now: datetime,
             rng: random.Random) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
    """Medians of wall and CPU time per kind over TIMING_TRIES rounds, in shuffled order."""
    wall: dict[str, list[float]] = {kind: [] for kind in kinds}
    cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(TIMING_TRIES):
        for kind in rng.sample(sorted(kinds), len(kinds)):
            spent = _login_path(url, kinds[kind], WRONG, now)
            wall[kind].append(spent[0])
            cpu[kind].append(spent[1])
    return ({k: statistics.median(v) for k, v in wall.items()},
            {k: statistics.median(v) for k, v in cpu.items()})


def _spread(medians: dict[str, float]) -> float:
    return max(medians.values()) - min(medians.values())


def test_wrong_password_unknown_and_locked_users_cost_the_same(
    url: str, settings: Settings, victim: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real bcrypt cost; an unknown or locked user must cost a bcrypt check too.

    Wall time is what an attacker sees; other processes on a busy machine add noise to it, so
    a noisy first measurement is taken again once (a missing bcrypt check, ~250 ms, shows in
    both). CPU time, which that noise does not touch, must agree as well.
    """
    from lib import auth

    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 12)  # the production cost, not the suite's
    now = clock.now()
    with store.session_scope(url) as session:
        for username in ("ada", victim):
            contact = people.contact_by_username(session, username)
            assert contact is not None
            contact.password_hash = auth.hash_password("the production-cost passphrase")
            session.add(contact)
        for _ in range(settings.lock_after_failures):
            logins.record_failure(session, "ada", now, settings)
    assert logins.is_locked(_contact(url, "ada"), now)
    kinds = {"wrong password": victim, "unknown user": "nobody-by-that-name",
             "locked user": "ada"}  # fmt: skip
    _login_path(url, victim, WRONG, now)  # warm the engine and the caches
    rng = random.Random(6)
    for _ in range(2):
        wall, cpu = _medians(url, kinds, now, rng)
        if _spread(wall) <= TIMING_TOLERANCE:
            break
    record("logins", timing_tries=TIMING_TRIES * len(kinds),
           timing_spread_ms=round(_spread(wall) * 1000, 1),
           timing_cpu_spread_ms=round(_spread(cpu) * 1000, 1),
           **{f"median_ms_{k.replace(' ', '_')}": round(v * 1000, 1) for k, v in wall.items()})
    assert min(cpu.values()) > 0.05, "no bcrypt check was made"
    assert _spread(cpu) <= TIMING_TOLERANCE, cpu
    assert _spread(wall) <= TIMING_TOLERANCE, wall


# ---- forged cookies ----------------------------------------------------------------------


def _token(claims: dict[str, Any], key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _claims(username: str, issued: datetime, days: float = 7.0) -> dict[str, Any]:
    return {"username": username, "exp_date": (issued + timedelta(days=days)).timestamp(),
            "iat": issued.timestamp()}  # fmt: skip


def _backdate(url: str, username: str, when: datetime, password_hash: str = "") -> None:
    """Let sessions from `when` on count (as if the contact had logged in long ago)."""
    with store.session_scope(url) as session:
        contact = people.contact_by_username(session, username)
        assert contact is not None
        contact.sessions_valid_after = when
        contact.password_hash = password_hash or contact.password_hash
        session.add(contact)


def forged_cookies(url: str, settings: Settings, victim: str) -> dict[str, str]:
    """Every kind of cookie that must not log in, made against this store (some change it).

    Each is refused for its own reason only: every contact's sessions count from a day ago,
    and the cookies revoked by an event were accepted before the event (checked).
    """
    key, now = settings.cookie_key, clock.now()
    issued = now - timedelta(hours=1)
    _backdate(url, victim, now - timedelta(days=1))
    good = _claims(victim, issued)
    assert _lib_check(url, settings, _token(good, key), now)
    header, _, signature = _token(good, key).split(".")
    other_payload = _token(_claims("ada", issued), "k" * 48).split(".")[1]
    cookies = {
        "wrong key": _token(good, "another key entirely, 48 bytes long, random-ish"),
        "alg none": jwt.encode(good, None, algorithm="none"),
        "alg HS512 with the key": _token(good, key, "HS512"),
        "payload swapped": f"{header}.{other_payload}.{signature}",
        "expired": _token(_claims(victim, now - timedelta(days=8)), key),
        "expiry as text": _token({**good, "exp_date": "9999999999"}, key),
        "no username": _token({k: v for k, v in good.items() if k != "username"}, key),
        "deleted user": _token(_claims("someone-deleted", issued), key),
        "empty": "", "garbage": "not.a.token", "huge": "x" * 100_000,
    }  # fmt: skip
    events = {"before logout": "out", "before password change": "changed",
              "before disablement": "gone", "before disablement, re-enabled": "back"}
    for event, user in events.items():
        with store.session_scope(url) as session:
            people.add_contact(session, "test", username=user, name=user, email="", role="buyer")
        _backdate(url, user, now - timedelta(days=1), CHEAP_PASSWORD_HASH)
        cookies[event] = _token(_claims(user, now - timedelta(minutes=5)), key)
        assert _lib_check(url, settings, cookies[event], now), f"{event}: valid before the event"
    with store.session_scope(url) as session:
        logins.record_logout(session, "out", now - timedelta(minutes=1))
        logins.change_password(session, "changed", PASSWORD, "a brand new passphrase",
                               now - timedelta(minutes=1))  # fmt: skip
        people.set_disabled(session, "ada", "gone", True, now - timedelta(minutes=1))
        people.set_disabled(session, "ada", "back", True, now - timedelta(minutes=2))
        people.set_disabled(session, "ada", "back", False, now - timedelta(minutes=1))
    return cookies


def _lib_check(url: str, settings: Settings, token: str, now: datetime) -> bool:
    """The portal's cookie check, as ui_login._cookie_session composes it from lib functions."""
    claims = auth.cookie_claims(token, settings.cookie_key, now)
    if claims is None:
        return False
    iat = claims.get("iat")
    started = (datetime.fromtimestamp(iat, tz=now.tzinfo) if isinstance(iat, (int, float))
               else auth.cookie_issued_at(claims, settings.cookie_expiry_days))  # fmt: skip
    with store.session_scope(url) as session:
        return logins.session_valid(session, claims["username"], started)


def test_forged_cookies_are_all_rejected(
    url: str, settings: Settings, victim: str, no_cookie: Callable[[dict[str, str]], None]
) -> None:
    cookies = forged_cookies(url, settings, victim)
    now = clock.now()
    valid = _token(_claims(victim, now - timedelta(minutes=1)), settings.cookie_key)
    assert _lib_check(url, settings, valid, now)  # the control: a real cookie is accepted
    no_cookie({settings.cookie_name: valid})
    assert ui_login._cookie_session(now) is not None
    for name, token in cookies.items():
        assert not _lib_check(url, settings, token, now), name
        no_cookie({settings.cookie_name: token})
        assert ui_login._cookie_session(now) is None, name  # the portal's own check
    record("logins", forged_cookies=len(cookies), forged_cookies_accepted=0)


def test_forged_cookies_do_not_log_in_end_to_end(
    url: str, settings: Settings, victim: str, no_cookie: Callable[[dict[str, str]], None]
) -> None:
    """Fresh sessions of the real app whose browser sends the cookie: only the real one logs in."""
    from streamlit.testing.v1 import AppTest

    cookies = forged_cookies(url, settings, victim)
    valid = _token(_claims(victim, clock.now() - timedelta(minutes=1)), settings.cookie_key)
    no_cookie({settings.cookie_name: valid})
    control = AppTest.from_file(ENTRY, default_timeout=60).run()
    assert _logged_in(control), "a real cookie should log in (control)"
    for kind, token in cookies.items():
        no_cookie({settings.cookie_name: token})
        at = AppTest.from_file(ENTRY, default_timeout=60).run()
        assert not at.exception, kind
        assert not _logged_in(at), kind
        assert [t.label for t in at.text_input] == ["Username", "Password"], kind
    record("logins", forged_cookies_end_to_end=len(cookies))


def _logins_via(url: str, username: str) -> list[str]:
    with store.session_scope(url) as session:
        events = session.exec(select(models.AuditEvent).where(
            models.AuditEvent.actor == username, models.AuditEvent.action == "login")).all()
    return [json.loads(e.detail_json)["via"] for e in events]


def test_a_cookie_resumes_its_session_without_a_new_one(
    url: str, settings: Settings, victim: str, no_cookie: Callable[[dict[str, str]], None]
) -> None:
    """A reload with a valid cookie is audited as a cookie login and keeps the session's start:
    no fresh cookie is issued, so the session length is not extended by coming back."""
    from streamlit.testing.v1 import AppTest

    now = clock.now()
    _backdate(url, victim, now - timedelta(days=1))
    issued = now - timedelta(minutes=30)
    no_cookie({settings.cookie_name: _token(_claims(victim, issued), settings.cookie_key)})
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    assert _logged_in(at)
    assert _logins_via(url, victim) == ["cookie"]
    assert at.session_state["portal_session_started"] == pytest.approx(issued.timestamp())
    assert "portal_cookie_pending" not in at.session_state  # nothing new to write


def test_a_cookie_older_than_the_session_length_does_not_log_in(
    url: str, settings: Settings, victim: str, no_cookie: Callable[[dict[str, str]], None]
) -> None:
    """The administrator shortened sessions to 1 hour: a 2-hour-old cookie, still within its
    own expiry, no longer logs in."""
    from streamlit.testing.v1 import AppTest

    from lib import portal_settings

    now = clock.now()
    _backdate(url, victim, now - timedelta(days=1))
    with store.session_scope(url) as session:
        portal_settings.set_value(session, "ada", portal_settings.SESSION_HOURS, "1")
    issued = now - timedelta(hours=2)
    no_cookie({settings.cookie_name: _token(_claims(victim, issued), settings.cookie_key)})
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    assert not _logged_in(at)
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_a_session_ended_during_its_login_run_shows_the_form_once(
    url: str, victim: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The password is accepted, but the person is disabled or logged out elsewhere meanwhile:
    a notice and the login form, not an error."""
    monkeypatch.setattr(logins, "session_valid", lambda *_: False)
    at = _form_login(victim, PASSWORD)
    assert not at.exception
    assert "session has ended" in texts(at)
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not [e for e in at.get("html") if "max-age=0" in e.proto.body]  # no cookie removed


def test_a_cookie_login_does_not_reset_a_guessers_count(
    url: str, settings: Settings, victim: str, no_cookie: Callable[[dict[str, str]], None]
) -> None:
    """Someone guesses the victim's password; the victim reloads a page (a cookie login): the
    guesses still count towards the lock."""
    from streamlit.testing.v1 import AppTest

    now = clock.now()
    _backdate(url, victim, now - timedelta(days=1), CHEAP_PASSWORD_HASH)
    for _ in range(2):
        assert not _logged_in(_form_login(victim, WRONG))
    no_cookie({settings.cookie_name: _token(_claims(victim, now - timedelta(minutes=5)),
                                            settings.cookie_key)})  # fmt: skip
    assert _logged_in(AppTest.from_file(ENTRY, default_timeout=60).run())
    assert _contact(url, victim).failed_logins == 2
