"""Buyer pages through the real app: Home figures, filters, the document, downloads offered,
statements, payments, account switching, branch limits, isolation and activity records."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from lib import activity, clock, models, people, store
from lib.access import AccountGrant, Principal
from tests import factories
from tests.pagetools import log_in, new_app, texts

PASSWORD = "correct horse battery"
PAGES = Path(__file__).resolve().parent.parent / "app_pages"
BUYER_PAGES = ["app_pages/home.py", "app_pages/documents.py", "app_pages/payments.py",
               "app_pages/statements.py"]  # fmt: skip
TODAY = clock.today()
# (number, account, kind, currency, branch, total, paid, days since issue, days until due, void)
SPEC = [
    ("INV-A1-001", "A1", "invoice", "GBP", "North", "500.00", "200.00", 60, -30, False),
    ("INV-A1-002", "A1", "invoice", "GBP", "South", "250.00", "0", 10, 20, False),
    ("INV-A1-003", "A1", "invoice", "GBP", "North", "80.00", "80.00", 45, -15, False),
    ("CN-A1-001", "A1", "credit_note", "GBP", "South", "40.00", "0", 8, 0, False),
    ("INV-A1-004", "A1", "invoice", "GBP", "North", "999.00", "0", 7, -3, True),
    ("INV-A1-005", "A1", "invoice", "EUR", "North", "120.00", "20.00", 100, -95, False),
    ("INV-A1-006", "A1", "invoice", "GBP", "North", "60.00", "0", 3, 27, False),
    ("INV-B2-001", "B2", "invoice", "GBP", "", "777.00", "0", 5, 25, False),
    ("INV-B2-002", "B2", "invoice", "EUR", "", "313.00", "13.00", 50, -20, False),
]  # fmt: skip
SECRETS = ("INV-B2", "B2 Trading", "P-B2", "777.00", "313.00")


@pytest.fixture
def portal(url: str) -> str:
    """A1 and B2 with the SPEC documents, a payment each, one PDF, and contacts of each role."""
    with store.session_scope(url) as s:
        accounts = {c: factories.account(s, c, name=f"{c} Trading") for c in ("A1", "B2")}
        docs = {}
        for number, code, kind, cur, branch, total, paid, age, due_in, void in SPEC:
            docs[number] = factories.document(
                s, number, account=accounts[code], kind=kind, currency=cur, branch=branch,
                total=Decimal(total), paid=Decimal(paid), issue_date=TODAY - timedelta(age),
                due_date=TODAY + timedelta(due_in), erp_status="void" if void else "",
                po_reference="PO-4711" if number == "INV-A1-006" else "",
                description="Blue widgets" if number == "INV-A1-006" else "Goods",
            )  # fmt: skip
        s.add(models.DocumentLine(document_id=docs["INV-A1-006"].id, line_no=1,
                                  item_code="W-BLUE", description="Blue widget",
                                  quantity=Decimal(3), unit_price=Decimal(20), amount=Decimal(60)))
        for ref, code, number in (("P-A1-1", "A1", "INV-A1-001"), ("P-B2-1", "B2", "INV-B2-002")):
            pay = models.Payment(reference=ref, account_id=accounts[code].id, currency="GBP",
                                 payment_date=TODAY - timedelta(20), amount=Decimal("200.00"))
            s.add(pay)
            s.flush()
            s.add(models.Allocation(payment_id=pay.id, document_id=docs[number].id,
                                    amount=Decimal("200.00")))  # fmt: skip
        s.add(models.ImportBatch(created_at=datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc),
                                 actor="fin", file_name="f.csv", sha256="x", kind="documents"))
        for username, role, grants in [
            ("ada", "admin", []), ("sam", "support", []), ("bea", "buyer", [("A1", None)]),
            ("gus", "buyer", [("A1", None), ("B2", None)]), ("nina", "buyer", [("A1", "North")]),
        ]:
            people.add_contact(s, "t", username=username, name=username.title(),
                               email=f"{username}@x.com", role=role, password=PASSWORD)
            for code, branch in grants:
                people.grant(s, "t", username, code, branch)
    return url


def everything(at: AppTest) -> str:
    """All a user can read: texts, tables, metrics, charts, buttons and choices."""
    parts = [texts(at)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [chart.proto.spec for chart in at.get("plotly_chart")]
    parts += [button.proto.label for button in at.get("download_button")]
    parts += [" ".join(map(str, box.options)) for box in at.selectbox]
    return "\n".join(parts)


def expected_home(codes: set[str], branches: set[str] | None = None) -> dict[str, dict[str, Any]]:
    """Home's figures computed straight from SPEC: sums by hand, no portal code."""
    result: dict[str, dict[str, Any]] = {}
    for number, code, kind, cur, branch, total, paid, _, due_in, void in SPEC:
        if code not in codes or void or (branches is not None and branch not in branches):
            continue
        figures = result.setdefault(cur, {"balance": Decimal(0), "overdue": Decimal(0),
                                          "credit": Decimal(0), "next": None})  # fmt: skip
        left = Decimal(total) - Decimal(paid)
        if kind == "credit_note":
            figures["balance"] -= left
            figures["credit"] += left
            continue
        figures["balance"] += left
        if left > 0 and due_in < 0:
            figures["overdue"] += left
        elif left > 0 and (figures["next"] is None or due_in < figures["next"][0]):
            figures["next"] = (due_in, left)
    return result


def metrics_by_currency(at: AppTest) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    headings = [h.value for h in at.subheader if str(h.value).startswith("In ")]
    for heading, start in zip(headings, range(0, len(at.metric), 4), strict=False):
        found[heading.removeprefix("In ")] = {m.label: m.value for m in at.metric[start:start + 4]}
    return found


def test_home_shows_each_currencys_figures(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    assert not at.exception
    shown = metrics_by_currency(at)
    expected = expected_home({"A1"})
    assert set(shown) == set(expected) == {"GBP", "EUR"}
    for cur, figures in expected.items():
        assert shown[cur]["Total outstanding"] == f"{figures['balance']:,.2f} {cur}"
        assert shown[cur]["Overdue"] == f"{figures['overdue']:,.2f} {cur}"
        assert shown[cur]["Credit available"] == f"{figures['credit']:,.2f} {cur}"
        next_due = figures["next"]
        assert shown[cur]["Next amount due"] == (f"{next_due[1]:,.2f} {cur}" if next_due else "—")
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert len(charts) == 2  # one aging chart per currency
    for chart in charts:
        cur = chart["layout"]["title"]["text"].removeprefix("Aging in ")
        assert sum(chart["data"][0]["y"]) == pytest.approx(float(expected[cur]["balance"]))
    assert "Records current as of 02 Mar 2026 09:15 UTC." in texts(at)
    assert "INV-A1-006" in texts(at)  # among the most recent documents


def _select_rows(at: AppTest, rows: list[int]) -> None:
    key = at.dataframe[0].key
    at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()


def _listed(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["Number"])


def test_filters_narrow_the_list_and_its_totals(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    at.switch_page("app_pages/documents.py").run()
    assert _listed(at)[:3] == ["INV-A1-006", "INV-A1-004", "CN-A1-001"]  # newest first
    search = next(t for t in at.text_input if t.label.startswith("Search"))
    search.input("po-4711").run()
    assert _listed(at) == ["INV-A1-006"]
    search.input("").run()
    next(m for m in at.multiselect if m.label == "Status").set_value(["overdue"]).run()
    assert _listed(at) == ["INV-A1-001", "INV-A1-005"]
    totals = at.dataframe[1].value
    assert dict(zip(totals["Currency"], totals["Balance"], strict=True)) == {
        "EUR": Decimal("100.00"), "GBP": Decimal("300.00")}
    next(m for m in at.multiselect if m.label == "Status").set_value([]).run()
    next(m for m in at.multiselect if m.label == "Kind").set_value(["Credit note"]).run()
    assert _listed(at) == ["CN-A1-001"]
    next(m for m in at.multiselect if m.label == "Kind").set_value([]).run()
    next(m for m in at.multiselect if m.label == "Branch").set_value(["South"]).run()
    assert _listed(at) == ["CN-A1-001", "INV-A1-002"]
    next(d for d in at.date_input if d.label == "Issued from").set_value(TODAY - timedelta(9)).run()
    assert _listed(at) == ["CN-A1-001"]
    assert not at.exception


def test_a_document_opens_by_its_number_without_ticking_a_row(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    at.switch_page("app_pages/documents.py").run()
    opener = next(s for s in at.selectbox if s.label == "Open a document")
    assert opener.value is None and not at.subheader  # nothing opens by itself
    assert "INV-A1-006" in opener.options and "INV-B2-001" not in opener.options
    opener.set_value(next(i for i in opener.options if i == "INV-A1-006")).run()
    assert [h.value for h in at.subheader] == ["Invoice INV\\-A1\\-006"]
    assert _activity(portal) == [("bea", activity.VIEW_DOCUMENT, "INV-A1-006")]
    assert "1 document." not in texts(at) and "documents, newest first" in texts(at)
    next(t for t in at.text_input if t.label.startswith("Search")).input("po-4711").run()
    assert "1 document." in texts(at)  # a new filter: the choice starts again
    assert not at.subheader and not at.exception


def _activity(url: str) -> list[tuple[str, str, str]]:
    with store.session_scope(url) as s:
        rows = s.exec(select(models.ActivityEvent).order_by(models.ActivityEvent.id)).all()
        return [(r.username, r.action, r.target) for r in rows]


def test_choosing_a_document_shows_it_offers_downloads_and_is_recorded(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    at.switch_page("app_pages/documents.py").run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the list as CSV", "Download the list as XLSX",
                      "Download PDFs of the listed documents (zip)"]  # fmt: skip
    _select_rows(at, [0])
    assert [h.value for h in at.subheader] == ["Invoice INV\\-A1\\-006"]
    assert "Nothing of 60.00 GBP is paid yet" in texts(at)
    fields = at.dataframe[2].value
    assert dict(zip(fields["Field"], fields["Value"], strict=True))["Reference"] == "PO-4711"
    assert list(at.dataframe[3].value["Item"]) == ["W-BLUE"]
    assert "No PDF was uploaded for this document." in texts(at)
    at.run()  # a rerun of the same choice is not a second view
    _select_rows(at, [0, 1])
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download PDFs of the selected documents (zip)" in labels
    assert _activity(portal) == [("bea", activity.VIEW_DOCUMENT, "INV-A1-006")]
    at.switch_page("app_pages/statements.py").run()
    assert [b.proto.label for b in at.get("download_button")] == [
        "Download as PDF", "Download as XLSX", "Download as CSV"]
    assert [r[1] for r in _activity(portal)] == [activity.VIEW_DOCUMENT, activity.VIEW_STATEMENT]


def test_statement_on_screen_closes_on_the_home_balance(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    home = metrics_by_currency(at)
    at.switch_page("app_pages/statements.py").run()
    next(s for s in at.selectbox if s.label == "Currency").set_value("GBP").run()
    for kind in ("Open items", "Activity (balance forward)"):
        next(r for r in at.radio if r.label == "Statement").set_value(kind).run()
        next(s for s in at.selectbox if s.label == "Period").set_value("Year to date").run()
        closing = at.metric[-1].value
        assert closing == home["GBP"]["Total outstanding"], kind
        if kind == "Open items":  # a line not yet due shows no days, never "None"
            days = next(f.value for f in at.dataframe if "Days overdue" in f.value)["Days overdue"]
            assert all(d == "" or d.isdigit() for d in days) and "" in set(days), list(days)
    shown = everything(at)
    assert "INV-A1-001" in shown and "INV-A1-004" not in shown  # void is in no statement
    assert not at.exception


def test_payments_with_their_allocations(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    at.switch_page("app_pages/payments.py").run()
    frame = at.dataframe[0].value
    assert list(frame["Reference"]) == ["P-A1-1"]
    assert frame["Allocated to"][0] == "INV-A1-001 (200.00 GBP)"
    _select_rows(at, [0])
    assert list(at.dataframe[1].value["Number"]) == ["INV-A1-001"]


def test_a_branch_contact_sees_only_that_branch_everywhere_and_is_told(portal: str) -> None:
    at = log_in(new_app(), "nina", PASSWORD)
    shown = metrics_by_currency(at)
    expected = expected_home({"A1"}, {"North"})
    assert shown["GBP"]["Total outstanding"] == f"{expected['GBP']['balance']:,.2f} GBP"
    for page in BUYER_PAGES:
        at.switch_page(page).run()
        visible = everything(at)
        assert "You see only the branch North of this account." in visible, page
        for number in ("INV-A1-002", "CN-A1-001"):  # South's
            assert number not in visible, page
    at.switch_page("app_pages/documents.py").run()
    assert not [m for m in at.multiselect if m.label == "Branch"]  # nothing else to choose


def test_switching_accounts_and_all_my_accounts(portal: str) -> None:
    at = log_in(new_app(), "gus", PASSWORD)
    at.switch_page("app_pages/documents.py").run()
    assert "INV-A1-001" in _listed(at)
    at.sidebar.selectbox[0].select("B2").run()
    assert _listed(at) == ["INV-B2-001", "INV-B2-002"]
    at.switch_page("app_pages/all_accounts.py").run()
    frame = at.dataframe[0].value
    rows = {(a, c): b for a, c, b in zip(frame["Account"], frame["Currency"], frame["Balance"],
                                         strict=True)}  # fmt: skip
    a1 = expected_home({"A1"})
    assert rows == {("A1", "EUR"): a1["EUR"]["balance"], ("A1", "GBP"): a1["GBP"]["balance"],
                    ("B2", "EUR"): Decimal("300.00"), ("B2", "GBP"): Decimal("777.00")}
    single = log_in(new_app(), "bea", PASSWORD)
    with pytest.raises(ValueError):
        single.switch_page("app_pages/all_accounts.py")


def test_a_buyer_never_sees_another_accounts_records(portal: str) -> None:
    at = log_in(new_app(), "bea", PASSWORD)
    for page in BUYER_PAGES:
        at.switch_page(page).run()
        if page.endswith("documents.py"):
            _select_rows(at, list(range(len(at.dataframe[0].value))))
        visible = everything(at)
        for secret in SECRETS:
            assert secret not in visible, (page, secret)
    at.session_state["portal_account"] = "B2"  # forged: the switcher puts it back
    at.run()
    assert not any(secret in everything(at) for secret in SECRETS)


@pytest.mark.parametrize(("viewed_by", "counted"), [(None, True), ("sam", False)])
def test_staff_viewing_as_the_buyer_is_not_counted(
    portal: str, viewed_by: str | None, counted: bool
) -> None:
    # The "view as buyer" entry is staff's page (another issue): here the principal it will
    # set is given to the page directly.
    who = Principal("bea", "buyer", frozenset({AccountGrant("A1")}), viewed_by=viewed_by)
    at = AppTest.from_file(str(PAGES / "documents.py"), default_timeout=60)
    at.session_state["portal_principal"] = who
    at.session_state["portal_account"] = "A1"
    at.run()
    _select_rows(at, [0])
    assert "INV\\-A1\\-006" in at.subheader[0].value
    statements = AppTest.from_file(str(PAGES / "statements.py"), default_timeout=60)
    statements.session_state["portal_principal"] = who
    statements.session_state["portal_account"] = "A1"
    statements.run()
    assert not statements.exception
    assert bool(_activity(portal)) is counted


def test_admin_edits_settings_and_buyers_cannot_reach_them(portal: str) -> None:
    at = log_in(new_app(), "ada", PASSWORD)
    at.switch_page("app_pages/settings.py").run()
    form = {t.label: t for t in at.text_input}
    form["Wholesaler name"].input("Northwind Ltd")
    form["Aging buckets (days)"].input("15, 45")
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert "Settings saved." in texts(at)
    form = {t.label: t for t in at.text_input}
    form["Aging buckets (days)"].input("45, 15")
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert "increasing" in texts(at)
    with store.session_scope(portal) as s:
        events = s.exec(select(models.AuditEvent.target).where(
            models.AuditEvent.action == "setting_changed")).all()
    assert sorted(events) == ["aging_edges", "wholesaler_name"]
    buyer = log_in(new_app(), "bea", PASSWORD)
    buckets = [json.loads(c.proto.spec)["data"][0]["x"] for c in buyer.get("plotly_chart")]
    assert buckets[0][:3] == ["Not yet due", "1-15 days", "16-45 days"]
    with pytest.raises(ValueError):
        buyer.switch_page("app_pages/settings.py")


def test_every_buyer_page_runs_for_staff_without_an_account(portal: str) -> None:
    # Staff have no buyer pages registered; run directly they stop at the guard, leaking nothing.
    for page in ("home.py", "documents.py", "payments.py", "statements.py", "all_accounts.py"):
        at = AppTest.from_file(str(PAGES / page), default_timeout=60)
        at.session_state["portal_principal"] = Principal("sam", "support")
        at.run()
        assert not at.exception
        assert "This page is not available." in texts(at)
        assert "INV-" not in everything(at)
    assert date.today() >= TODAY  # the pages and this test read the same clock
