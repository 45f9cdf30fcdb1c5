"""Contacts, grants, one-time links, lockout and session ending, on the real store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from lib import auth, clock, logins, models, people, store
from lib.errors import PortalError
from lib.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def bea(url: str) -> str:
    with store.session_scope(url) as session:
        people.add_account(session, "test", "A1", "Alpha Ltd")
        people.add_contact(session, "test", username="Bea", name="Bea", email="b@x.com",
                           role="buyer", password=PASSWORD)
        people.grant(session, "test", "bea", "A1")
    return "bea"


def _audit_actions(url: str) -> list[str]:
    with store.session_scope(url) as session:
        return [e.action for e in session.exec(select(models.AuditEvent)).all()]


def test_first_admin_only_once(url: str) -> None:
    with store.session_scope(url) as session:
        logins.create_first_admin(session, username="ada", name="Ada", email="", password=PASSWORD)
    with pytest.raises(PortalError, match="already exists"), store.session_scope(url) as session:
        logins.create_first_admin(session, username="eve", name="Eve", email="",
                                  password=PASSWORD)
    assert "first_admin_created" in _audit_actions(url)


def test_first_admin_password_policy(url: str) -> None:
    with pytest.raises(PortalError, match="at least 12"), store.session_scope(url) as session:
        logins.create_first_admin(session, username="ada", name="Ada", email="", password="short")
    with store.session_scope(url) as session:
        assert people.count_contacts(session) == 0  # nothing half-written


def test_link_sets_password_once(url: str, settings: Settings) -> None:
    now = clock.now()
    with store.session_scope(url) as session:
        people.add_contact(session, "ada", username="new", name="New", email="", role="buyer")
        secret = logins.issue_link(session, "ada", "new", now, settings.token_hours)
    with store.session_scope(url) as session:
        token = session.exec(select(models.LoginToken)).one()
        assert token.token_hash == auth.token_hash(secret) and secret not in token.token_hash
        assert logins.redeem_link(session, secret, PASSWORD, now) == "new"
    with pytest.raises(PortalError, match="not valid"), store.session_scope(url) as session:
        logins.redeem_link(session, secret, "another good password", now)
    with store.session_scope(url) as session:
        entry = logins.credential_entry(session, "new", now)
    assert auth.check_password(PASSWORD, entry["password"])


def test_link_expires_after_72_hours(url: str, settings: Settings) -> None:
    now = clock.now()
    with store.session_scope(url) as session:
        people.add_contact(session, "ada", username="new", name="New", email="", role="buyer")
        secret = logins.issue_link(session, "ada", "new", now, settings.token_hours)
        assert logins.contact_for_link(session, secret, now + timedelta(hours=71)) is not None
        assert logins.contact_for_link(session, secret, now + timedelta(hours=72)) is None


def test_a_new_link_cancels_the_old_one(url: str, settings: Settings) -> None:
    now = clock.now()
    with store.session_scope(url) as session:
        people.add_contact(session, "ada", username="new", name="New", email="", role="buyer")
        old = logins.issue_link(session, "ada", "new", now, settings.token_hours)
        new = logins.issue_link(session, "ada", "new", now, settings.token_hours)
        assert logins.contact_for_link(session, old, now) is None
        assert logins.contact_for_link(session, new, now) is not None


def test_five_failures_lock_for_fifteen_minutes(url: str, settings: Settings, bea: str) -> None:
    now = clock.now()
    for _ in range(5):
        with store.session_scope(url) as session:
            logins.record_failure(session, bea, now, settings)
    with store.session_scope(url) as session:
        locked = logins.credential_entry(session, bea, now + timedelta(minutes=14))
        unlocked = logins.credential_entry(session, bea, now + timedelta(minutes=15, seconds=1))
    assert locked["password"] == auth.decoy_hash()  # even the right password fails
    assert auth.check_password(PASSWORD, unlocked["password"])
    assert "login_locked" in _audit_actions(url)


def test_unknown_disabled_and_locked_users_all_get_the_decoy(url: str, bea: str) -> None:
    now = clock.now()
    with store.session_scope(url) as session:
        people.add_contact(session, "t", username="off", name="Off", email="", role="buyer",
                           password=PASSWORD)
        people.set_disabled(session, "t", "off", True, now)
        for name in ("nobody", "off"):
            assert logins.credential_entry(session, name, now)["password"] == auth.decoy_hash()


@pytest.mark.parametrize("ending", ["logout", "password", "disable"])
def test_sessions_started_before_an_ending_event_are_invalid(
    url: str, bea: str, ending: str
) -> None:
    started = clock.now()
    later = started + timedelta(seconds=5)
    with store.session_scope(url) as session:
        assert logins.session_valid(session, bea, started)
        if ending == "logout":
            logins.record_logout(session, bea, later)
        elif ending == "password":
            logins.change_password(session, bea, PASSWORD, "a different good one", later)
        else:
            people.set_disabled(session, "admin", bea, True, later)
    with store.session_scope(url) as session:
        assert not logins.session_valid(session, bea, started)
        assert logins.session_valid(session, bea, later + timedelta(seconds=1)) is (
            ending != "disable"
        )


def test_grants_are_for_buyers_and_known_accounts(url: str, bea: str) -> None:
    with store.session_scope(url) as session:
        people.add_contact(session, "t", username="fin", name="Fin", email="", role="finance")
        with pytest.raises(PortalError, match="Only buyer"):
            people.grant(session, "t", "fin", "A1")
        with pytest.raises(PortalError, match="No account"):
            people.grant(session, "t", bea, "ZZ")
        people.grant(session, "t", bea, "A1")  # granting twice keeps one grant
        assert len(people.grant_rows(session, bea)) == 1


def test_principal_carries_branch_grants(url: str, bea: str) -> None:
    with store.session_scope(url) as session:
        people.add_account(session, "t", "B2", "Beta")
        people.grant(session, "t", bea, "B2", "North")
        who = people.principal_for(session, bea)
    assert who is not None
    assert {(g.account_code, g.branch) for g in who.grants} == {("A1", None), ("B2", "North")}


def test_the_last_admin_cannot_be_disabled(url: str) -> None:
    with store.session_scope(url) as session:
        logins.create_first_admin(session, username="ada", name="Ada", email="", password=PASSWORD)
    with pytest.raises(PortalError, match="last active administrator"), \
            store.session_scope(url) as session:
        people.set_disabled(session, "ada", "ada", True, clock.now())


@pytest.mark.parametrize(
    ("username", "problem"),
    [("a", "2-64"), ("has space", "2-64"), ("<script>", "2-64"), ("bea", "taken")],
)
def test_bad_usernames_are_refused(url: str, bea: str, username: str, problem: str) -> None:
    with pytest.raises(PortalError, match=problem), store.session_scope(url) as session:
        people.add_contact(session, "t", username=username, name="N", email="", role="buyer")


def test_changes_are_audited(url: str, bea: str) -> None:
    with store.session_scope(url) as session:
        people.set_disabled(session, "ada", bea, True, clock.now())
        people.set_disabled(session, "ada", bea, False, clock.now())
    actions = _audit_actions(url)
    for expected in ("account_added", "contact_added", "grant_added", "contact_disabled",
                     "contact_enabled"):
        assert expected in actions
