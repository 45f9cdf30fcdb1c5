"""Bulk onboarding: contacts created or found, grants, one working link each, all or nothing."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from lib import audit_log, logins, models, onboarding, people, store
from lib.access import Principal
from lib.errors import AccessDenied, PortalError
from lib.onboarding import Invitation
from tests.conftest import TEST_DATA

NOW = datetime(2026, 3, 31, 9, 0, tzinfo=timezone.utc)
FINANCE = Principal("fin", "finance")
ADMIN = Principal("ada", "admin")
BASE = "https://portal.example"
# The feed's contact template headers, as the import's mapping would name them.
FIELDS = {"Email": "email", "Name": "name", "Account Code": "account_code", "Branch": "branch",
          "Username": "username"}


@pytest.fixture
def portal(url: str) -> str:
    """Three accounts; Ana already has a login, Tom was created without one; a finance login."""
    with store.session_scope(url) as s:
        for code in ("HARB001", "NORT002", "KEST003"):
            people.add_account(s, "t", code, f"{code} Ltd")
        ana = people.add_contact(s, "t", username="acosta", name="Ana Costa",
                                 email="ana.costa@kestrel.example", role="buyer")
        ana.password_hash = "stands-for-a-set-password"  # no bcrypt here: nobody logs in
        s.add(ana)
        people.add_contact(s, "t", username="tom", name="Tom Reilly",
                           email="tom@northgate.example", role="buyer")
        people.add_contact(s, "t", username="fin", name="Fin", email="fin@wholesaler.example",
                           role="finance")
    return url


def template_invitations() -> list[Invitation]:
    with (TEST_DATA / "erp" / "portal_contacts_template.csv").open(encoding="utf-8") as handle:
        records = [{FIELDS[k]: v for k, v in row.items()} for row in csv.DictReader(handle)]
    return onboarding.invitations_from_records(records)


def test_the_feeds_contacts_file_invites_each_contact_once(portal: str) -> None:
    with store.session_scope(portal) as s:
        links = onboarding.invite_many(s, FINANCE, template_invitations(), base_url=BASE,
                                       now=NOW, hours=72)
    by_user = {link.username: link for link in links}
    # Five rows, four people: Ana is on two rows and already has a login; Tom is found by
    # his email (the file's username treilly is new to the store) and gets a fresh link.
    assert sorted(by_user) == ["acosta", "pshah", "slowe", "tom"]
    assert by_user["acosta"].link == "" and by_user["acosta"].accounts == ("KEST003", "HARB001")
    assert by_user["tom"].note == "New link" and by_user["pshah"].note == "New login"
    for username in ("pshah", "slowe", "tom"):
        link = by_user[username]
        assert link.link.startswith(f"{BASE}/?link=")
        assert link.expires_at == NOW + timedelta(hours=72)
    with store.session_scope(portal) as s:
        for username in ("pshah", "slowe", "tom"):
            secret = by_user[username].link.split("link=")[1]
            found = logins.contact_for_link(s, secret, NOW)
            assert found is not None and found.username == username
        assert people.grant_rows(s, "slowe")[0][1:] == ("HARB001", "Clifton")
        assert sorted(code for _, code, _ in people.grant_rows(s, "acosta")) == ["HARB001",
                                                                               "KEST003"]
        invited = audit_log.events(s, ADMIN, audit_log.AuditFilter(actions=("contact_invited",)))
        assert len(invited) == 5  # one event per contact and account
        assert set(invited["Person"]) == {"fin"}


def test_the_mail_merge_csv(portal: str) -> None:
    with store.session_scope(portal) as s:
        links = onboarding.invite_many(s, FINANCE, template_invitations(), base_url=BASE,
                                       now=NOW, hours=72)
    rows = list(csv.reader(io.StringIO(onboarding.links_csv(links).decode("utf-8-sig"))))
    assert rows[0] == ["name", "email", "account", "link", "expiry", "username"]
    by_email = {row[1]: row for row in rows[1:]}
    assert len(by_email) == 4
    assert by_email["priya.shah@harbourdeli.example"][2] == "HARB001"
    assert by_email["priya.shah@harbourdeli.example"][4] == "2026-04-03 09:00 UTC"
    assert by_email["ana.costa@kestrel.example"][2:4] == ["KEST003; HARB001", ""]


def test_new_usernames_come_from_the_email_and_stay_unique(portal: str) -> None:
    invitations = [Invitation("HARB001", "Priya", "priya.shah@a.example"),
                   Invitation("NORT002", "Other Priya", "priya.shah@b.example"),
                   Invitation("KEST003", "Al", "a@b.example")]
    with store.session_scope(portal) as s:
        links = onboarding.invite_many(s, ADMIN, invitations, base_url=BASE, now=NOW, hours=24)
        assert [link.username for link in links] == ["priya.shah", "priya.shah2", "a@b.example"]
        assert onboarding.derive_username(s, "Tom@x.example") == "tom2"


def test_one_bad_row_invites_nobody_and_changes_nothing(portal: str) -> None:
    before = store.content_checksum(portal)
    invitations = [Invitation("HARB001", "Priya", "priya@harbour.example"),
                   Invitation("NOPE", "Nobody", "no@x.example"),
                   Invitation("HARB001", "Fin", "FIN@wholesaler.example"),
                   Invitation("HARB001", "", "nameless@x.example"),
                   Invitation("HARB001", "Bad", "not an email"),
                   Invitation("HARB001", "Odd", "odd@x.example", username="no spaces!")]
    with pytest.raises(PortalError) as raised, store.session_scope(portal) as s:
        onboarding.invite_many(s, FINANCE, invitations, base_url=BASE, now=NOW, hours=72)
    message = str(raised.value)
    assert "Row 2: there is no account 'NOPE'" in message
    assert "Row 3: FIN@wholesaler.example belongs to a staff login" in message.replace(
        "fin@", "FIN@")
    assert "Row 4: the name is missing" in message
    assert "Row 5: 'not an email' is not an email address" in message
    assert "Row 6: the username 'no spaces!' is not valid" in message
    assert store.content_checksum(portal) == before


def test_a_disabled_contact_is_not_invited(portal: str) -> None:
    with store.session_scope(portal) as s:
        people.set_disabled(s, "ada", "tom", True, NOW)
    with pytest.raises(PortalError, match="tom is disabled"), store.session_scope(portal) as s:
        onboarding.invite_many(s, ADMIN, [Invitation("NORT002", "Tom", "tom@northgate.example")],
                               base_url=BASE, now=NOW, hours=72)


@pytest.mark.parametrize("who", [Principal("sam", "support"), Principal("bea", "buyer"), None])
def test_only_finance_and_admins_invite(portal: str, who: Principal | None) -> None:
    with pytest.raises(AccessDenied), store.session_scope(portal) as s:
        onboarding.invite_many(s, who, [Invitation("HARB001", "P", "p@x.example")],
                               base_url=BASE, now=NOW, hours=72)


def test_contacts_from_the_feed_wait_for_an_invitation_until_they_get_one(portal: str) -> None:
    with store.session_scope(portal) as s:
        people.grant(s, "feed", "tom", "NORT002")
        people.grant(s, "feed", "acosta", "KEST003")  # has a login: nothing to send
        pending = onboarding.pending_invitations(s, NOW)
        assert pending == [Invitation("NORT002", "Tom Reilly", "tom@northgate.example", "", "tom")]
        onboarding.invite_many(s, FINANCE, pending, base_url=BASE, now=NOW, hours=72)
        assert onboarding.pending_invitations(s, NOW) == []
        # Once the link expired unused, Tom waits again.
        assert len(onboarding.pending_invitations(s, NOW + timedelta(hours=73))) == 1


def test_prefill_and_the_account_contacts(portal: str) -> None:
    with store.session_scope(portal) as s:
        people.grant(s, "t", "tom", "NORT002")
        people.grant(s, "t", "acosta", "NORT002", "Quay")
        ana = people.contact_by_username(s, "acosta")
        assert ana is not None
        ana.last_login_at = NOW
        s.add(ana)
        s.flush()
        rows = onboarding.prefill(s, ["NORT002", "HARB001"])
        assert rows == [Invitation("NORT002", "Tom Reilly", "tom@northgate.example", "", "tom"),
                        Invitation("HARB001", "", "")]
        onboarding.invite_many(s, FINANCE, rows[:1], base_url=BASE, now=NOW, hours=72)
        frame = onboarding.account_contacts(s, "NORT002", NOW)
    assert frame.drop(columns="Last login").values.tolist() == [
        ["acosta", "Ana Costa", "ana.costa@kestrel.example", "active", "branch Quay"],
        ["tom", "Tom Reilly", "tom@northgate.example", "invited, link open", "whole account"],
    ]
    assert frame.loc[0, "Last login"] == NOW and pd.isna(frame.loc[1, "Last login"])
    shown = frame.to_string()
    assert "stands-for-a-set-password" not in shown  # no password hash, ever
    assert not set(frame.columns) & {"password_hash", "token_hash"}


def test_contact_table_never_holds_a_secret_column(portal: str) -> None:
    with store.session_scope(portal) as s:
        columns = set(onboarding.account_contacts(s, "HARB001", NOW).columns)
    secret = {c.name for c in models.Contact.__table__.columns} - {  # type: ignore[attr-defined]
        "username", "name", "email", "last_login_at", "disabled"}
    assert not {c.lower().replace(" ", "_") for c in columns} & secret
