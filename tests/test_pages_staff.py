"""Page tests of the staff workspace: overview, account and view as buyer, audit log, adoption.

Every test logs in through the real form and reads what the person sees. Amounts are chosen so
the figures do not depend on today's date: overdue documents fell due in 2020, the others in 2099.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from lib import access, auth, clock, corrections, logins, models, people, store
from lib.access import Principal
from lib.ui import NOT_AVAILABLE
from tests import factories
from tests.pagetools import log_in, new_app, texts

PASSWORD = "correct horse battery"
PAGES = Path(__file__).resolve().parent.parent / "app_pages"
STAFF_PAGES = ["app_pages/overview.py", "app_pages/account.py", "app_pages/adoption.py",
               "app_pages/audit_log.py"]
# Pages that change data: finance and administrators only.
WRITING_PAGES = ["app_pages/imports.py", "app_pages/import_history.py",
                 "app_pages/pdf_upload.py", "app_pages/corrections.py", "app_pages/adoption.py"]
D = Decimal


@cache
def password_hash() -> str:
    """One bcrypt hash for every login of this module (hashing costs a quarter second)."""
    return auth.hash_password(PASSWORD)


def _person(s, username: str, role: str, grants: list[str], *, login: bool = True) -> None:  # type: ignore[no-untyped-def]
    row = people.add_contact(s, "t", username=username, name=username.title(),
                             email=f"{username}@x.com", role=role)
    row.password_hash = password_hash() if login else None
    s.add(row)
    for code in grants:
        people.grant(s, "t", username, code)


@pytest.fixture
def portal(url: str) -> str:
    """A1 (GBP, its buyer active), B2 (EUR, its contact invited only), C3 (nothing), and staff."""
    today = clock.today()
    with store.session_scope(url) as s:
        a1, b2 = factories.account(s, "A1", name="A1 Trading"), factories.account(s, "B2")
        factories.account(s, "C3")
        doc = factories.document
        doc(s, "INV-A1-1", account=a1, issue_date=date(2020, 1, 1), due_date=date(2020, 2, 1),
            total=D("1000.00"))
        doc(s, "INV-A1-2", account=a1, issue_date=date(2020, 3, 1), due_date=date(2099, 1, 1),
            total=D("250.00"))
        doc(s, "CN-A1-1", account=a1, kind="credit_note", issue_date=date(2020, 3, 2),
            due_date=date(2020, 3, 2), total=D("50.00"))
        doc(s, "INV-B2-1", account=b2, issue_date=today - timedelta(days=10),
            due_date=date(2099, 1, 1), total=D("400.00"), currency="EUR")
        doc(s, "INV-B2-2", account=b2, issue_date=today - timedelta(days=5),
            due_date=date(2020, 6, 1), total=D("100.00"), currency="EUR")
        for username, role, grants in [("ada", "admin", []), ("fin", "finance", []),
                                       ("sam", "support", []), ("bea", "buyer", ["A1"])]:
            _person(s, username, role, grants)
        _person(s, "cal", "buyer", ["B2"], login=False)  # from the feed: no login yet
        bea = people.contact_by_username(s, "bea")
        bea.last_login_at = clock.now()  # type: ignore[union-attr]
        s.add(models.ImportBatch(actor="fin", file_name="erp-export.csv", sha256="0" * 64,
                                 kind="documents", inserted=5))
        s.add(models.AuditEvent(actor="fin", action="correction", account_code="A1",
                                target="invoice INV-A1-1", detail_json=json.dumps({"note": "x"})))
        for _ in range(2):
            s.add(models.ActivityEvent(username="bea", account_code="A1",
                                       action="download_pdf", target="INV-A1-1"))
    return url


def _activity_count(url: str) -> int:
    with store.session_scope(url) as s:
        return int(s.exec(select(func.count()).select_from(models.ActivityEvent)).one())


def _plotly(at: AppTest) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_finance_sees_the_overview_adoption_and_their_part_of_the_audit_log(portal: str) -> None:
    at = log_in(new_app(), "fin", PASSWORD)
    assert at.title[0].value == "Receivables overview"  # finance's first page
    metrics = {(m.label, m.value) for m in at.metric}
    # GBP: 1000 overdue + 250 not yet due - 50 credit; EUR: 400 not yet due + 100 overdue.
    assert {("Total outstanding", "1,200.00 GBP"), ("Overdue", "1,000.00 GBP"),
            ("Credit available", "50.00 GBP"), ("Total outstanding", "500.00 EUR"),
            ("Overdue", "100.00 EUR")} <= metrics
    gbp = next(c for c in _plotly(at) if "GBP" in c["layout"]["title"]["text"])
    assert gbp["data"][0]["y"] == [250.0, 0.0, 0.0, 0.0, 1000.0, -50.0]
    shown = texts(at)
    assert "Latest import today" in shown and "erp-export.csv" in shown
    assert "3 documents in 1 accounts; 1 overdue, in 1 accounts." in shown  # GBP
    assert "INV-A1-1" in shown  # among the documents without a PDF
    metrics = {(m.label, m.value) for m in at.metric}
    assert ("Invoices and credit notes without a PDF", "5") in metrics

    at.switch_page("app_pages/adoption.py").run()
    assert not at.exception
    assert ("Requests saved (estimate)", "2") in {(m.label, m.value) for m in at.metric}
    assert "counts as one request" in texts(at)
    chart = _plotly(at)[0]
    assert chart["data"][-1]["y"][-1] == 2  # this month's requests saved
    onboard = next(f.value for f in at.dataframe if "Rank" in f.value.columns)
    assert onboard["Account"].tolist() == ["B2", "C3"]  # A1 has an active contact

    at.switch_page("app_pages/audit_log.py").run()
    actions = set(at.dataframe[0].value["Action"])
    assert actions == {"correction"}  # not the logins, not the invitations
    assert "imports and corrections" in texts(at)


def test_admin_reads_and_filters_the_whole_audit_log(portal: str) -> None:
    at = log_in(new_app(), "ada", PASSWORD)
    at.switch_page("app_pages/audit_log.py").run()
    assert {"login", "correction", "contact_added"} <= set(at.dataframe[0].value["Action"])
    next(s for s in at.selectbox if s.label == "Person").select("fin").run()
    assert set(at.dataframe[0].value["Person"]) == {"fin"}
    before = len(at.dataframe[0].value)
    next(b for b in at.button if b.label == "Prepare a CSV of these events").click().run()
    assert not at.exception
    assert len(at.get("download_button")) == 1
    assert len(at.dataframe[0].value) == before  # preparing the export changed nothing


def _link_secret(at: AppTest) -> str:
    links = next(f.value for f in at.dataframe if "link" in f.value.columns)
    assert links["username"].tolist() == ["cal"] and links["account"].tolist() == ["B2"]
    return str(links.loc[0, "link"]).split("link=")[1]


def test_finance_invites_contacts_and_gets_links(portal: str) -> None:
    at = log_in(new_app(), "fin", PASSWORD)
    at.switch_page("app_pages/adoption.py").run()
    # From the feed: cal was given B2 and has no login yet.
    next(b for b in at.button if b.label == "Invite these 1 contacts").click().run()
    assert not at.exception
    assert "Invitations created" in texts(at)
    first = _link_secret(at)
    assert len(at.get("download_button")) == 1
    assert next(b for b in at.button if b.label.startswith("Invite these")).disabled
    # From the Onboard next list (B2 and C3 chosen): cal's row is filled in, C3's is blank.
    next(b for b in at.button if b.label == "Create the links").click().run()
    second = _link_secret(at)
    with store.session_scope(portal) as s:
        found = logins.contact_for_link(s, second, clock.now())
        assert found is not None and found.username == "cal"
        assert logins.contact_for_link(s, first, clock.now()) is None  # one link per contact


def test_support_opens_an_account_and_views_it_as_the_buyer(portal: str) -> None:
    activity_before = _activity_count(portal)
    at = log_in(new_app(), "sam", PASSWORD)
    at.switch_page("app_pages/account.py").run()
    assert not at.exception
    assert "bea@x.com" in texts(at) and "1,200.00 GBP" in {m.value for m in at.metric}
    assert "stands" not in texts(at) and password_hash() not in texts(at)
    next(s for s in at.selectbox if s.label == "View as").select("bea").run()
    next(b for b in at.button if b.label == "View as buyer").click().run()
    assert not at.exception
    assert "Viewing as the contact bea, read-only" in texts(at)
    assert at.title[0].value == "Home"
    assert "1,200.00 GBP" in {m.value for m in at.metric}  # the buyer's balance
    at.switch_page("app_pages/documents.py").run()
    assert "INV-A1-1" in texts(at) and "INV-B2-1" not in texts(at)
    at.switch_page("app_pages/statements.py").run()  # a buyer opening it is counted
    assert not at.exception and "lines." in texts(at)
    assert _activity_count(portal) == activity_before  # the buyer's activity did not move
    buyer = log_in(new_app(), "bea", PASSWORD)
    buyer.switch_page("app_pages/statements.py").run()
    assert _activity_count(portal) == activity_before + 1  # bea herself: counted
    with store.session_scope(portal) as s:
        viewed = s.exec(select(models.AuditEvent).where(
            models.AuditEvent.action == "view_as_buyer")).all()
    assert [(e.actor, e.account_code, e.target) for e in viewed] == [("sam", "A1", "bea")]


def test_account_details_show_corrections_in_force(portal: str) -> None:
    at = log_in(new_app(), "sam", PASSWORD)
    at.switch_page("app_pages/account.py").run()
    assert "Corrected by staff" not in [s.value for s in at.subheader]
    with store.session_scope(portal) as s:
        doc_id = s.exec(select(models.Document.id).where(
            models.Document.number == "INV-A1-1")).one()
    corrections.correct_documents(portal, Principal("fin", "finance"), [int(doc_id or 0)],
                                  corrections.PAID, "paid at the trade counter")
    at.run()
    assert not at.exception
    assert "Corrected by staff" in [s.value for s in at.subheader]
    shown = next(f.value for f in at.dataframe if "Paid (corrected)" in f.value)
    assert shown["Number"].tolist() == ["INV-A1-1"]
    assert "trade counter" in shown["Note"][0]


def test_support_cannot_correct_import_invite_or_read_figures(portal: str) -> None:
    at = log_in(new_app(), "sam", PASSWORD)
    for page in ["app_pages/overview.py", "app_pages/audit_log.py", *WRITING_PAGES]:
        with pytest.raises(ValueError):
            at.switch_page(page)
    support = people_principal(portal, "sam")
    assert not any(access.allowed(support, a) for a in ("import", "correct", "invite"))
    # Even reached directly, the invitation page shows nothing to support.
    direct = AppTest.from_file(str(PAGES / "adoption.py"), default_timeout=60)
    direct.session_state["portal_principal"] = support
    direct.run()
    assert NOT_AVAILABLE in texts(direct) and not direct.button


def people_principal(url: str, username: str):  # type: ignore[no-untyped-def]
    with store.session_scope(url) as s:
        return people.principal_for(s, username)


def test_buyers_reach_none_of_the_staff_pages(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    for page in [*STAFF_PAGES, *WRITING_PAGES]:
        with pytest.raises(ValueError):
            at.switch_page(page)
    buyer = people_principal(portal, "bea")
    for name in ("overview.py", "account.py", "adoption.py", "audit_log.py"):
        direct = AppTest.from_file(str(PAGES / name), default_timeout=60)
        direct.session_state["portal_principal"] = buyer
        direct.run()
        assert not direct.exception, name
        assert NOT_AVAILABLE in texts(direct), name
        assert "INV-A1" not in texts(direct) and "cal@x.com" not in texts(direct), name
