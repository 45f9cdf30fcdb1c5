"""Portfolio-wide receivables on known data: every figure checked against a hand computation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlmodel import Session

from lib import ledger, ledger_queries, models, queries, receivables, store
from lib.access import Principal
from tests import factories

AS_OF = date(2026, 3, 31)
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
D = Decimal


def build_portfolio(s: Session) -> None:
    """Four accounts; the expected answers are worked out by hand in each test's comments."""
    aaa, bbb = factories.account(s, "AAA"), factories.account(s, "BBB")
    ccc = factories.account(s, "CCC")
    factories.account(s, "DDD")  # no documents at all
    doc = factories.document
    # AAA, GBP: due today (not yet due), 30 days late (300 left), 120 days late, a credit note.
    doc(s, "A-1", account=aaa, issue_date=date(2026, 3, 1), due_date=date(2026, 3, 31),
        total=D("1000.00"), pdf_sha256="a" * 64)
    doc(s, "A-2", account=aaa, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 1),
        total=D("500.00"), paid=D("200.00"))
    doc(s, "A-3", account=aaa, issue_date=date(2025, 11, 1), due_date=date(2025, 12, 1),
        total=D("250.00"))
    doc(s, "A-CN", account=aaa, kind="credit_note", issue_date=date(2026, 3, 5),
        due_date=date(2026, 3, 5), total=D("80.00"))
    # AAA, EUR: 60 days late.
    doc(s, "A-4", account=aaa, issue_date=date(2026, 1, 1), due_date=date(2026, 1, 30),
        total=D("400.00"), currency="EUR")
    # BBB, GBP: paid, 89 days late, void, issued after as_of, paid only after as_of, overpaid.
    doc(s, "B-1", account=bbb, issue_date=date(2026, 1, 5), due_date=date(2026, 2, 4),
        total=D("2000.00"), paid=D("2000.00"), pdf_sha256="b" * 64)
    doc(s, "B-2", account=bbb, issue_date=date(2025, 12, 2), due_date=date(2026, 1, 1),
        total=D("700.00"))
    doc(s, "B-3", account=bbb, issue_date=date(2026, 3, 2), due_date=date(2026, 1, 1),
        total=D("999.00"), erp_status="VOID")
    doc(s, "B-4", account=bbb, issue_date=date(2026, 4, 5), due_date=date(2026, 3, 1),
        total=D("300.00"))
    b5 = doc(s, "B-5", account=bbb, issue_date=date(2026, 2, 13), due_date=date(2026, 3, 15),
             total=D("150.00"), paid=D("150.00"))
    doc(s, "B-6", account=bbb, issue_date=date(2026, 1, 2), due_date=date(2026, 2, 1),
        total=D("100.00"), paid=D("130.00"))
    # CCC, USD: not yet due.
    doc(s, "C-1", account=ccc, issue_date=date(2026, 3, 20), due_date=date(2026, 4, 15),
        total=D("1234.56"), currency="USD")
    payment = models.Payment(reference="PAY-B5", account_id=bbb.id, payment_date=date(2026, 4, 10),
                             currency="GBP", amount=D("150.00"))
    s.add(payment)
    s.flush()
    s.add(models.Allocation(payment_id=payment.id, document_id=b5.id, amount=D("150.00")))
    s.add(models.ImportBatch(actor="fin", file_name="gbp.csv", sha256="1" * 64, kind="documents",
                             created_at=datetime(2026, 3, 30, 10, 0, tzinfo=timezone.utc),
                             inserted=11, mapping_name="Sage"))
    problems = [{"row": 3, "column": "Total", "value": "abc", "message": "not a number"},
                {"row": 9, "column": "Due", "value": "31/02", "message": "not a date"}]
    s.add(models.ImportBatch(actor="fin", file_name="bad.csv", sha256="2" * 64, kind="documents",
                             created_at=datetime(2026, 3, 31, 9, 0, tzinfo=timezone.utc),
                             status="rejected", rejected=2, errors_json=json.dumps(problems)))
    s.flush()


@pytest.fixture
def session(url: str) -> Iterator[Session]:
    with store.session_scope(url) as s:
        build_portfolio(s)
        yield s


def test_totals_per_currency_match_the_hand_computation(session: Session) -> None:
    found = {t.currency: t for t in receivables.totals(session, AS_OF)}
    assert list(found) == ["EUR", "GBP", "USD"]
    gbp = found["GBP"]
    # Owed: A-1 1000 + A-2 300 + A-3 250 + B-2 700 + B-5 150 (paid only after as_of) = 2400.
    assert gbp.owed == D("2400.00")
    # Credit: A-CN 80 + B-6 overpaid 30 = 110; the void B-3 and the later B-4 count nowhere.
    assert gbp.credit_available == D("110.00")
    assert gbp.balance == D("2290.00")
    assert gbp.overdue == D("1400.00")  # 300 + 250 + 700 + 150; A-1 is due today, not late
    assert (gbp.documents, gbp.accounts) == (8, 2)
    assert (gbp.overdue_documents, gbp.overdue_accounts) == (4, 2)
    eur, usd = found["EUR"], found["USD"]
    assert (eur.balance, eur.overdue, eur.documents, eur.overdue_accounts) == (
        D("400.00"), D("400.00"), 1, 1)
    assert (usd.balance, usd.overdue, usd.overdue_documents) == (D("1234.56"), D("0"), 0)


def test_totals_equal_the_sum_of_every_accounts_own_balance(session: Session) -> None:
    staff = Principal("fin", "finance")
    summed: dict[str, Decimal] = {}
    for code, _ in queries.visible_accounts(session, staff):
        scope = queries.scope_for(session, staff, code)
        for cur, bal in ledger_queries.balances(session, scope, AS_OF).items():
            summed[cur] = summed.get(cur, D("0")) + bal.outstanding
    assert {t.currency: t.balance for t in receivables.totals(session, AS_OF)} == summed


def test_aging_across_all_accounts(session: Session) -> None:
    found = receivables.aging(session, AS_OF)
    assert found["GBP"].rows() == [
        ("Not yet due", D("1000.00")),
        ("1-30 days", D("450.00")),  # A-2 300 (30 days) + B-5 150 (16 days)
        ("31-60 days", D("0")),
        ("61-90 days", D("700.00")),  # B-2, 89 days
        ("Over 90 days", D("250.00")),  # A-3, 120 days
        (ledger.UNAPPLIED_CREDIT, D("-110.00")),
    ]
    assert found["GBP"].total == D("2290.00")
    assert dict(found["EUR"].buckets)["31-60 days"] == D("400.00")  # A-4, 60 days
    assert dict(found["USD"].buckets)["Not yet due"] == D("1234.56")


def test_aging_follows_the_buckets_setting(session: Session) -> None:
    found = receivables.aging(session, AS_OF, ledger.aging_buckets((20, 100)))
    assert found["GBP"].rows() == [
        ("Not yet due", D("1000.00")),
        ("1-20 days", D("150.00")),  # B-5, 16 days
        ("21-100 days", D("1000.00")),  # A-2 300 (30 days) + B-2 700 (89 days)
        ("Over 100 days", D("250.00")),  # A-3, 120 days
        (ledger.UNAPPLIED_CREDIT, D("-110.00")),
    ]


def test_a_date_in_the_past_sees_only_what_was_issued_by_then(session: Session) -> None:
    found = {t.currency: t for t in receivables.totals(session, date(2026, 1, 31))}
    # Issued by 31 Jan 2026 in GBP: A-3 250, B-1 (paid), B-2 700, B-6 (30 credit).
    assert found["GBP"].owed == D("950.00")
    assert found["GBP"].overdue == D("950.00")  # A-3 (due 1 Dec) and B-2 (due 1 Jan)
    assert found["GBP"].balance == D("920.00")
    assert "USD" not in found


def test_most_overdue_ranks_accounts_within_each_currency(session: Session) -> None:
    frame = receivables.most_overdue(session, AS_OF)
    rows = frame.values.tolist()
    assert rows == [
        ["EUR", "AAA", "AAA Ltd", D("400.00"), 1, date(2026, 1, 30)],
        ["GBP", "BBB", "BBB Ltd", D("850.00"), 2, date(2026, 1, 1)],  # B-2 700 + B-5 150
        ["GBP", "AAA", "AAA Ltd", D("550.00"), 2, date(2025, 12, 1)],  # A-2 300 + A-3 250
    ]
    top = receivables.most_overdue(session, AS_OF, per_currency=1)
    assert top["Account"].tolist() == ["AAA", "BBB"]
    assert receivables.overdue_by_account(session, AS_OF) == {
        "AAA": {"EUR": D("400.00"), "GBP": D("550.00")}, "BBB": {"GBP": D("850.00")},
    }


def test_documents_without_a_pdf(session: Session) -> None:
    count, frame = receivables.missing_pdfs(session, limit=3)
    # 12 documents, minus the void B-3 and the two with a PDF (A-1, B-1).
    assert count == 9
    assert frame["Number"].tolist() == ["B-4", "C-1", "A-CN"]  # newest first
    assert "B-3" not in receivables.missing_pdfs(session)[1]["Number"].tolist()


def test_freshness_and_latest_imports(session: Session) -> None:
    fresh = receivables.freshness(session)
    assert fresh.latest_import_file == "gbp.csv"  # the rejected file is newer but not applied
    assert fresh.latest_import_at == datetime(2026, 3, 30, 10, 0, tzinfo=timezone.utc)
    assert (fresh.latest_issue_date, fresh.documents) == (date(2026, 4, 5), 12)
    assert fresh.age_days(NOW) == 1
    assert "1 day ago" in receivables.freshness_text(fresh, NOW)
    imports = receivables.latest_imports(session)
    assert imports["File"].tolist() == ["bad.csv", "gbp.csv"]
    assert imports.loc[0, "Status"] == "rejected"
    assert (imports.loc[0, "Problems"], imports.loc[0, "First problem"]) == (2, "not a number")
    assert (imports.loc[1, "Inserted"], imports.loc[1, "Problems"]) == (11, 0)


def test_an_empty_store_has_no_figures(url: str) -> None:
    with store.session_scope(url) as s:
        assert receivables.totals(s, AS_OF) == []
        assert receivables.aging(s, AS_OF) == {}
        assert receivables.most_overdue(s, AS_OF).empty
        assert receivables.missing_pdfs(s)[0] == 0
        fresh = receivables.freshness(s)
        assert "No import" in receivables.freshness_text(fresh, NOW)
        assert receivables.latest_imports(s).empty
