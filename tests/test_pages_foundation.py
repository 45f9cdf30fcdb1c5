"""Page tests of the foundation: first start, login, roles, scoping, links, logout."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import clock, logins, people, store
from lib.ui import LOGIN_FAILED
from lib.ui import login as ui_login
from tests import factories
from tests.pagetools import log_in, new_app, texts

PASSWORD = "correct horse battery"
PAGES = Path(__file__).resolve().parent.parent / "app_pages"


@pytest.fixture
def portal(url: str) -> str:
    """Two accounts with documents, a buyer on each, a buyer holding both, and staff."""
    with store.session_scope(url) as session:
        for code in ("A1", "B2"):
            people.add_account(session, "t", code, f"{code} Trading")
        a1 = people.account_by_code(session, "A1")
        b2 = people.account_by_code(session, "B2")
        factories.document(session, "INV-A1-001", account=a1)
        factories.document(session, "INV-A1-002", account=a1, branch="North")
        factories.document(session, "INV-B2-001", account=b2)
        for username, role, grants in [
            ("ada", "admin", []), ("fin", "finance", []), ("sam", "support", []),
            ("bea", "buyer", [("A1", None)]), ("bob", "buyer", [("B2", None)]),
            ("gus", "buyer", [("A1", None), ("B2", None)]), ("nina", "buyer", [("A1", "North")]),
        ]:
            people.add_contact(session, "t", username=username, name=username.title(),
                               email=f"{username}@x.com", role=role, password=PASSWORD)
            for code, branch in grants:
                people.grant(session, "t", username, code, branch)
    return url


def test_first_start_asks_for_the_first_administrator(url: str) -> None:
    at = new_app()
    assert at.title[0].value == "Create the first administrator"
    labels = [t.label for t in at.text_input]
    assert labels == ["Username", "Display name", "Email", "Password", "Password again"]
    for label, value in zip(labels, ["ada", "Ada", "ada@x.com", PASSWORD, PASSWORD + "!"]):
        next(t for t in at.text_input if t.label == label).input(value)
    at.button[0].click().run()
    assert "not the same" in texts(at)
    next(t for t in at.text_input if t.label == "Password again").input(PASSWORD)
    at.button[0].click().run()
    assert "Administrator created" in texts(at)
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    log_in(at, "ada", PASSWORD)
    assert not at.exception
    assert at.session_state["authentication_status"] is True


def test_weak_first_password_is_refused_with_a_message(url: str) -> None:
    at = new_app()
    for t, value in zip(at.text_input, ["ada", "Ada", "", "short", "short"]):
        t.input(value)
    at.button[0].click().run()
    assert "at least 12 characters" in texts(at)
    assert not at.exception


@pytest.mark.parametrize(
    ("username", "password"),
    [("bea", "wrong password!!"), ("nobody", PASSWORD), ("bea", "x" * 200), ("", "")],
)
def test_failed_logins_all_read_the_same(portal: str, username: str, password: str) -> None:
    at = log_in(new_app(), username, password) if username else new_app()
    if username:
        assert LOGIN_FAILED in texts(at)
    assert at.session_state["authentication_status"] is not True
    assert not at.exception


def test_locked_user_sees_the_same_message_even_with_the_right_password(portal: str) -> None:
    at = new_app()
    for _ in range(5):
        log_in(at, "bea", "wrong password!!")
    log_in(at, "bea", PASSWORD)
    assert LOGIN_FAILED in texts(at)
    assert at.session_state["authentication_status"] is not True
    fresh = log_in(new_app(), "bea", PASSWORD)  # another session: the lock is in the store
    assert fresh.session_state["authentication_status"] is not True


def test_buyer_sees_only_their_account(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    shown = texts(at)
    assert "INV-A1-001" in shown and "INV-A1-002" in shown
    assert "INV-B2-001" not in shown
    assert not at.exception


def test_branch_buyer_sees_only_that_branch_and_is_told(portal: str) -> None:
    at = log_in(new_app(), "nina", PASSWORD)
    shown = texts(at)
    assert "INV-A1-002" in shown and "INV-A1-001" not in shown
    assert "North" in shown


def test_contact_with_two_accounts_switches(portal: str) -> None:
    at = log_in(new_app(), "gus", PASSWORD)
    switcher = at.sidebar.selectbox[0]
    assert switcher.options == ["A1 · A1 Trading", "B2 · B2 Trading"]
    assert "INV-A1-001" in texts(at)
    switcher.select("B2").run()
    assert "INV-B2-001" in texts(at) and "INV-A1-001" not in texts(at)


def test_forged_account_in_session_state_shows_nothing(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    at.session_state["portal_account"] = "B2"
    at.run()
    assert "INV-B2-001" not in texts(at)
    assert not at.exception


@pytest.mark.parametrize(
    ("username", "reachable", "unreachable"),
    [
        ("bea", ["app_pages/documents.py", "app_pages/my_login.py"],
         ["app_pages/people.py", "app_pages/accounts.py"]),
        ("sam", ["app_pages/accounts.py", "app_pages/my_login.py"],
         ["app_pages/people.py", "app_pages/documents.py"]),
        ("fin", ["app_pages/accounts.py"], ["app_pages/people.py", "app_pages/documents.py"]),
        ("ada", ["app_pages/accounts.py", "app_pages/people.py", "app_pages/my_login.py"],
         ["app_pages/documents.py"]),
    ],
)
def test_roles_reach_only_their_pages(
    portal: str, username: str, reachable: list[str], unreachable: list[str]
) -> None:
    at = log_in(new_app(), username, PASSWORD)
    for page in reachable:
        at.switch_page(page).run()
        assert not at.exception, page
        assert "This page is not available" not in texts(at)
    for page in unreachable:
        with pytest.raises(ValueError):
            at.switch_page(page)


@pytest.mark.parametrize("page_file", sorted(p.name for p in PAGES.glob("*.py")))
def test_every_page_run_directly_without_login_shows_nothing(portal: str, page_file: str) -> None:
    at = AppTest.from_file(str(PAGES / page_file), default_timeout=60).run()
    assert not at.exception
    shown = texts(at)
    for secret in ("INV-A1", "INV-B2", "bea@x.com"):
        assert secret not in shown


def test_admin_adds_a_buyer_and_the_link_sets_a_password(portal: str) -> None:
    at = log_in(new_app(), "ada", PASSWORD)
    at.switch_page("app_pages/people.py").run()
    form = {t.label: t for t in at.text_input}
    form["New username"].input("carla")
    form["Name"].input("Carla Buyer")
    form["Email"].input("carla@x.com")
    next(s for s in at.selectbox if s.label == "Role").select("buyer")
    next(m for m in at.multiselect if m.label == "Accounts (buyers)").select("B2")
    next(b for b in at.button if b.label == "Add contact").click().run()
    assert not at.exception
    link = next(c.value for c in at.code if "?link=" in c.value)
    secret = link.split("link=")[1]
    setter = AppTest.from_file(str(Path(__file__).parent.parent / "portal_app.py"),
                               default_timeout=60)
    setter.query_params["link"] = secret
    setter.run()
    assert "carla" in texts(setter)
    for t in setter.text_input:
        t.input("carla's long passphrase")
    setter.button[0].click().run()
    assert "Your password is set" in texts(setter)
    buyer = log_in(new_app(), "carla", "carla's long passphrase")
    assert "INV-B2-001" in texts(buyer) and "INV-A1-001" not in texts(buyer)


def cookie_scripts(at: AppTest) -> list[str]:
    """The bodies of the page scripts the sidebar runs (the login cookie's writer)."""
    return [e.proto.body for e in at.sidebar.get("html") if e.proto.unsafe_allow_javascript]


def test_the_login_cookie_is_written_by_a_script_on_every_run_until_logout(portal: str) -> None:
    """A busy browser may run the page after the next run: the writer must still be there.
    It is a plain script, not a component: nothing reports back, so nothing reruns."""
    at = log_in(new_app(), "bea", PASSWORD)
    token = at.session_state["portal_cookie_pending"][0]
    for _ in range(2):
        [script] = cookie_scripts(at)
        assert f'"portal_session" + \'=\' + "{token}"' in script
        assert "samesite=strict" in script and f"max-age={168 * 3600};" in script
        at.run()
    assert not [e for e in at.get("component_instance") if token in str(e.proto)]
    next(b for b in at.sidebar.button if b.label == "Log out").click().run()
    at.run()
    assert cookie_scripts(at) == []


def test_the_login_page_draws_no_cookie_component(portal: str) -> None:
    """The login library's cookie component reported the browser's cookies once loaded, which
    reran the script and lost a Login click made meanwhile; the portal has no use for it."""
    at = new_app().run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.get("component_instance")
    at = log_in(new_app(), "bea", PASSWORD)
    assert not at.get("component_instance")


def test_the_cookie_script_keeps_its_values_as_javascript_strings() -> None:
    script = ui_login.cookie_script('a"</script><b>', "tok", "Mon, 07 Dec 2026 10:00:00 GMT", 60)
    assert "</script><b>" not in script and "\\u003c/script>" in script
    assert script.count("<script>") == 1 and script.endswith("</script>")


def test_a_login_run_stopped_by_a_rerun_still_writes_the_cookie(
    portal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rerun asked for during the login run (a click, or a component reporting as it loads)
    stops that run at its next element; the cookie must already be minted by then."""
    import streamlit as st
    from streamlit.delta_generator import DeltaGenerator
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

    drawn = DeltaGenerator.empty
    stopped: list[bool] = []

    def empty_or_stop(self: DeltaGenerator) -> DeltaGenerator:
        if st.session_state.get("portal_session_started") and not stopped:
            stopped.append(True)  # the first element drawn once the password was accepted
            raise RerunException(RerunData())
        return drawn(self)

    monkeypatch.setattr(DeltaGenerator, "empty", empty_or_stop)
    at = log_in(new_app(), "bea", PASSWORD)
    assert stopped, "the login run was not stopped: the test proves nothing"
    assert at.session_state["authentication_status"] is True
    token = at.session_state["portal_cookie_pending"][0]
    assert token in "".join(cookie_scripts(at))


def removal_scripts(at: AppTest) -> list[str]:
    """The scripts that remove the login cookie from the browser."""
    return [e.proto.body for e in at.get("html") if "max-age=0" in e.proto.body]


def test_logout_ends_the_session(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    next(b for b in at.sidebar.button if b.label == "Log out").click().run()
    assert len(removal_scripts(at)) == 1  # the browser forgets the ended login's cookie
    at.run()
    assert removal_scripts(at) == []  # once: later it could remove another tab's new login
    assert at.session_state["authentication_status"] is not True
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert "INV-A1-001" not in texts(at)


def test_disabling_a_contact_ends_their_open_session(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    assert "INV-A1-001" in texts(at)
    with store.session_scope(portal) as session:
        people.set_disabled(session, "ada", "bea", True, clock.now())
    at.run()
    assert "INV-A1-001" not in texts(at)
    assert "session has ended" in texts(at)


def test_a_used_link_shows_a_clear_message(portal: str) -> None:
    with store.session_scope(portal) as session:
        secret = logins.issue_link(session, "ada", "bea", clock.now(), 72)
        logins.redeem_link(session, secret, "a brand new passphrase", clock.now())
    at = AppTest.from_file(str(Path(__file__).parent.parent / "portal_app.py"), default_timeout=60)
    at.query_params["link"] = secret
    at.run()
    assert "not valid any more" in texts(at)
    assert not at.exception


def test_a_session_older_than_the_session_length_ends(portal: str) -> None:
    from lib import portal_settings

    with store.session_scope(portal) as session:
        portal_settings.set_value(session, "ada", portal_settings.SESSION_HOURS, "2")
    at = log_in(new_app(), "bea", PASSWORD)
    assert "INV-A1-001" in texts(at)
    at.session_state["portal_session_started"] = clock.now().timestamp() - 2 * 3600 - 60
    at.run()
    assert "session has ended" in texts(at)
    assert "INV-A1-001" not in texts(at)


def test_failed_logins_of_unknown_names_keep_no_typed_text(portal: str) -> None:
    from sqlmodel import select

    from lib import models

    log_in(new_app(), "my secret password", "whatever it is")
    with store.session_scope(portal) as session:
        events = session.exec(
            select(models.AuditEvent).where(models.AuditEvent.action == "login_failed")
        ).all()
    assert events and all("secret" not in e.actor + e.detail_json for e in events)
