"""Adoption and self-service figures and the "Onboard next" order, on data with known answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal

import pandas as pd
import pytest
from sqlmodel import Session

from lib import activity, adoption, models, people, store
from lib.access import AccountGrant, Principal
from tests import factories

AS_OF = date(2026, 3, 31)
MONTHS = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
D = Decimal
UTC = timezone.utc


def at(day: str, clock: str = "12:00:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


def contact(s: Session, username: str, role: str, grants: list[tuple[str, str | None]],
            created: str, last_login: str | None = None, disabled: bool = False) -> None:
    row = people.add_contact(s, "t", username=username, name=username.title(),
                             email=f"{username}@x.com", role=role, password=None)
    for code, branch in grants:
        people.grant(s, "t", username, code, branch)
    row.created_at, row.disabled = at(created), disabled
    row.last_login_at = at(last_login) if last_login else None
    s.add(row)


def login(s: Session, username: str, when: str) -> None:
    s.add(models.AuditEvent(occurred_at=at(when), actor=username, action="login"))


def event(s: Session, username: str, code: str, action: str, when: datetime,
          target: str = "") -> None:
    s.add(models.ActivityEvent(occurred_at=when, username=username, account_code=code,
                               action=action, target=target))


def build_people(s: Session) -> None:
    """Contacts, logins and activity of AAA and BBB; the expected counts are in the tests."""
    for code in ("AAA", "BBB", "DDD", "EEE"):
        factories.account(s, code)
    contact(s, "ann", "buyer", [("AAA", None)], "2026-01-10", last_login="2026-03-20")
    contact(s, "abe", "buyer", [("AAA", "North")], "2026-02-05")
    contact(s, "bob", "buyer", [("BBB", None)], "2026-02-10", last_login="2026-02-11")
    contact(s, "gus", "buyer", [("AAA", None), ("BBB", None)], "2025-12-20",
            last_login="2026-03-05")
    contact(s, "dan", "buyer", [("DDD", None)], "2026-03-01", last_login="2026-03-02",
            disabled=True)
    contact(s, "eve", "buyer", [("EEE", None)], "2026-03-15")
    contact(s, "fin", "finance", [], "2026-01-02", last_login="2026-01-03")
    for username, when in [("ann", "2026-01-15"), ("ann", "2026-03-02"), ("ann", "2026-03-20"),
                           ("bob", "2026-02-11"), ("gus", "2026-03-05"), ("dan", "2026-03-02"),
                           ("fin", "2026-01-03")]:
        login(s, username, when)
    a = activity
    event(s, "ann", "AAA", a.VIEW_DOCUMENT, at("2026-01-15"), "INV-1")
    event(s, "ann", "AAA", a.DOWNLOAD_PDF, at("2026-01-15"), "INV-1")
    event(s, "ann", "AAA", a.DOWNLOAD_PDF_ZIP, at("2026-03-20"), "3 PDFs")
    event(s, "ann", "AAA", a.DOWNLOAD_STATEMENT, at("2026-03-20"), "open_item GBP pdf")
    event(s, "ann", "AAA", a.VIEW_STATEMENT, at("2026-03-20"), "open_item GBP")
    event(s, "ann", "AAA", a.VIEW_DOCUMENT, at("2026-03-31", "23:59:59"), "INV-9")
    event(s, "gus", "AAA", a.DOWNLOAD_LIST, at("2026-03-05"), "csv")
    event(s, "gus", "AAA", a.VIEW_DOCUMENT, at("2026-03-05"), "INV-2")
    event(s, "gus", "AAA", a.VIEW_DOCUMENT, at("2026-03-05"), "INV-3")
    event(s, "bob", "BBB", a.VIEW_STATEMENT, at("2026-01-01", "00:00:00"), "activity GBP")
    event(s, "bob", "BBB", a.DOWNLOAD_PDF, at("2026-02-11"), "B-1")
    event(s, "bob", "BBB", a.DOWNLOAD_STATEMENT, at("2026-02-11"), "open_item GBP csv")
    event(s, "gus", "BBB", a.DOWNLOAD_PDF, at("2026-03-05"), "B-2")
    event(s, "gus", "BBB", a.DOWNLOAD_PDF, at("2025-12-31", "23:59:59"), "B-0")  # before Jan
    event(s, "bob", "BBB", a.DOWNLOAD_PDF, at("2026-04-01", "00:00:00"), "B-3")  # after Mar
    s.flush()


@pytest.fixture
def session(url: str) -> Iterator[Session]:
    with store.session_scope(url) as s:
        build_people(s)
        yield s


def test_self_service_per_month_portal_wide(session: Session) -> None:
    frame = adoption.monthly(session, MONTHS).set_index("Month")
    # Jan: ann views and downloads INV-1, bob views a statement at 00:00 on 1 January.
    # Feb: bob downloads a PDF and a statement. Mar: ann's zip of 3 PDFs, a statement
    # downloaded and one viewed, ann's view at 23:59:59 on the 31st, gus views two documents,
    # downloads a list (never counted as self-served) and a PDF of BBB.
    expected = {
        date(2026, 1, 1): [1, 1, 1, 0, 0, 3, 1],
        date(2026, 2, 1): [0, 1, 0, 1, 0, 2, 2],
        date(2026, 3, 1): [3, 4, 1, 1, 1, 9, 5],
    }
    for month, values in expected.items():
        assert frame.loc[month, list(adoption.METRICS)].tolist() == values, month
    # Buyers created: Jan ann; Feb abe, bob; Mar dan, eve. Buyers who logged in: Jan ann
    # (the finance login is not a buyer's); Feb bob; Mar ann (twice, counted once), gus, dan.
    assert frame["Contacts invited"].tolist() == [1, 2, 2]
    assert frame["Contacts active"].tolist() == [1, 1, 3]


def test_self_service_per_month_for_one_account(session: Session) -> None:
    frame = adoption.monthly(session, MONTHS, account_code="AAA").set_index("Month")
    assert frame[adoption.SAVED].tolist() == [1, 0, 4]  # INV-1; nothing; 3 PDFs + 1 statement
    assert frame[adoption.SELF_SERVED].tolist() == [2, 0, 8]
    assert frame["Contacts invited"].tolist() == [1, 1, 0]  # ann, abe
    assert frame["Contacts active"].tolist() == [1, 0, 2]  # ann; -; ann and gus


def test_adoption_per_account(session: Session) -> None:
    frame = adoption.account_adoption(session).set_index("Account")
    aaa, bbb = frame.loc["AAA"], frame.loc["BBB"]
    # AAA: ann, abe (a branch) and gus; ann and gus have logged in, ann last on 20 March.
    assert (aaa["Contacts invited"], aaa["Contacts active"]) == (3, 2)
    assert aaa["Last login"] == at("2026-03-20")
    assert [aaa[m] for m in adoption.METRICS] == [4, 4, 1, 1, 1, 10, 5]
    assert (bbb["Contacts invited"], bbb["Contacts active"]) == (2, 2)
    assert bbb["Last login"] == at("2026-03-05")
    assert [bbb[m] for m in adoption.METRICS] == [0, 4, 1, 1, 0, 6, 5]
    # DDD's only contact is disabled; EEE's has never logged in.
    assert frame.loc["DDD", "Contacts invited"] == 0
    assert (frame.loc["EEE", "Contacts invited"], frame.loc["EEE", "Contacts active"]) == (1, 0)
    assert pd.isna(frame.loc["EEE", "Last login"])  # never logged in


def test_adoption_per_account_within_a_period(session: Session) -> None:
    frame = adoption.account_adoption(session, start=date(2026, 1, 1), end=date(2026, 3, 31))
    bbb = frame.set_index("Account").loc["BBB"]
    assert bbb[adoption.PDFS] == 2  # the downloads of 31 Dec and 1 Apr fall outside
    assert bbb[adoption.SAVED] == 3
    one = adoption.account_adoption(session, account_code="AAA")
    assert one["Account"].tolist() == ["AAA"]


def test_staff_viewing_as_a_buyer_never_moves_the_figures(session: Session) -> None:
    before = adoption.account_adoption(session).set_index("Account").loc["AAA"].tolist()
    viewer = Principal("sam", "buyer", frozenset({AccountGrant("AAA")}), viewed_by="sam")
    staff = Principal("sam", "support")
    for who in (viewer, staff):
        assert activity.record(session, who, "AAA", activity.DOWNLOAD_PDF, "INV-1") is False
    session.flush()
    assert adoption.account_adoption(session).set_index("Account").loc["AAA"].tolist() == before


def test_the_method_is_written_for_the_page() -> None:
    assert "one request" in adoption.REQUESTS_SAVED_METHOD
    assert "viewing as a buyer" in adoption.REQUESTS_SAVED_METHOD
    assert "account code" in adoption.ONBOARD_RULE


def test_account_activity_newest_first(session: Session) -> None:
    frame = adoption.account_activity(session, "AAA", limit=2)
    # Newest first; events at the same moment in the reverse order they were recorded.
    assert frame["Which"].tolist() == ["INV-9", "open_item GBP"]
    assert frame.loc[0, "What"] == "Viewed a document"
    assert set(adoption.account_activity(session, "BBB")["Contact"]) == {"bob", "gus"}


def test_month_starts() -> None:
    assert adoption.month_starts(date(2026, 2, 14), 3) == [date(2025, 12, 1), date(2026, 1, 1),
                                                          date(2026, 2, 1)]


# ---- Onboard next --------------------------------------------------------------------------


def build_ledger(s: Session) -> None:
    """Accounts without an active contact (and AAA with one); the order is worked out below."""
    doc = factories.document

    def docs(code: str, rows: list[tuple[str, str, str, str]], currency: str = "GBP",
             **extra: object) -> None:
        acct = factories.account(s, code)
        for number, issued, due, total in rows:
            doc(s, number, account=acct, issue_date=date.fromisoformat(issued),
                due_date=date.fromisoformat(due), total=D(total), currency=currency, **extra)

    # CCC: 3 documents in the window (C1 paid, C5 void does not count), 500 overdue (C4, old).
    docs("CCC", [("C2", "2026-02-15", "2026-05-01", "200"),
                 ("C3", "2026-03-31", "2026-04-30", "300"),
                 ("C4", "2025-11-01", "2025-12-01", "500")])
    docs("CCC", [("C1", "2026-01-01", "2026-01-31", "100")], paid=D("100"))
    docs("CCC", [("C5", "2026-03-01", "2026-03-02", "50")], erp_status="void")
    # DDD (its only contact is disabled): 3 in the window, 800 overdue; D0 is one day too early.
    docs("DDD", [("D0", "2025-12-31", "2026-05-01", "10"),
                 ("D1", "2026-01-10", "2026-02-09", "800"),
                 ("D2", "2026-02-10", "2026-04-30", "100"),
                 ("D3", "2026-03-10", "2026-04-30", "100")])
    # FFF: 3 in the window, 500 overdue in two documents (ties CCC's 500, more documents).
    docs("FFF", [("F1", "2026-01-05", "2026-02-04", "300"),
                 ("F2", "2026-01-06", "2026-02-05", "200"),
                 ("F3", "2026-03-01", "2026-04-30", "50")])
    # EEE (contact invited, never logged in): 5 in the window, all EUR, 10,000 overdue.
    docs("EEE", [(f"E{i}", "2026-02-01", "2026-03-01", "2000") for i in range(1, 6)], "EUR")
    # HHH: 3 in the window, only USD overdue (99,999): nothing overdue in GBP.
    docs("HHH", [(f"H{i}", "2026-03-01", "2026-03-02", "33333") for i in range(1, 4)], "USD")
    factories.account(s, "GGG")  # nothing at all
    docs("AAA", [(f"A{i}", "2026-03-01", "2026-03-02", "1") for i in range(1, 9)])  # active: out
    s.flush()


def test_onboard_next_order_and_tie_breaks(session: Session) -> None:
    build_ledger(session)
    ranked = adoption.onboard_next(session, AS_OF)
    assert ranked.currency == "GBP"  # most documents: 8 AAA + 4 CCC + 4 DDD + 3 FFF
    frame = ranked.frame
    assert frame["Account"].tolist() == ["EEE", "DDD", "FFF", "CCC", "HHH", "GGG"]
    assert frame["Rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame["Documents (90 days)"].tolist() == [5, 3, 3, 3, 3, 0]
    assert frame["Overdue"].tolist() == [D("0"), D("800"), D("500"), D("500"), D("0"), D("0")]
    assert frame["Overdue documents"].tolist() == [5, 1, 2, 1, 3, 0]
    assert frame.loc[0, "Overdue, all currencies"] == "10,000.00 EUR"
    assert frame.loc[4, "Overdue, all currencies"] == "99,999.00 USD"
    assert frame.set_index("Account")["Contacts invited"].to_dict() == {
        "EEE": 1, "DDD": 0, "FFF": 0, "CCC": 0, "HHH": 0, "GGG": 0}
    assert "AAA" not in frame["Account"].tolist() and "BBB" not in frame["Account"].tolist()


def test_onboard_next_ranked_by_another_currency(session: Session) -> None:
    build_ledger(session)
    ranked = adoption.onboard_next(session, AS_OF, currency="USD", limit=3)
    assert ranked.currency == "USD"
    # EEE still first (5 documents); among the 3-document accounts HHH has USD overdue,
    # then overdue documents: FFF 2, then CCC and DDD (1 each) by code.
    assert ranked.frame["Account"].tolist() == ["EEE", "HHH", "FFF"]
    full = adoption.onboard_next(session, AS_OF, currency="USD").frame
    assert full["Account"].tolist() == ["EEE", "HHH", "FFF", "CCC", "DDD", "GGG"]


def test_a_contact_logging_in_takes_the_account_off_the_list(session: Session) -> None:
    build_ledger(session)
    eve = people.contact_by_username(session, "eve")
    assert eve is not None
    eve.last_login_at = at("2026-03-30")
    session.add(eve)
    session.flush()
    assert "EEE" not in adoption.onboard_next(session, AS_OF).frame["Account"].tolist()
    assert adoption.onboard_next(session, AS_OF).frame.loc[0, "Account"] == "DDD"


def test_currencies_by_use(session: Session) -> None:
    build_ledger(session)
    assert adoption.currencies(session) == ["GBP", "EUR", "USD"]  # 19, 5 and 3 documents
