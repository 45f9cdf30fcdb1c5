"""The demo company: loaded into a real store, varied enough to show every status, deterministic."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lib import demo, ledger, store
from lib.errors import PortalError
from lib.ledger import LedgerAllocation, LedgerDoc, LedgerPayment
from lib.statements import StatementAccount, Wholesaler, activity_statement, open_item_statement
from tests import factories

TODAY = date(2026, 11, 25)


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with store.raw_connection(url) as con:
        return list(con.execute(sql).fetchall())


def ledger_docs(url: str) -> list[LedgerDoc]:
    return [
        LedgerDoc(kind, number, issued, due, cur, total, paid, status, branch, code)
        for kind, number, issued, due, cur, total, paid, status, branch, code in rows(url, (
            "SELECT d.kind, d.number, d.issue_date, d.due_date, d.currency, d.total, d.paid, "
            "d.erp_status, d.branch, a.code FROM document d JOIN account a ON a.id = d.account_id"
        ))
    ]  # fmt: skip


def ledger_payments(url: str) -> list[LedgerPayment]:
    allocs: dict[str, list[LedgerAllocation]] = defaultdict(list)
    for ref, kind, number, amount in rows(url, (
        "SELECT p.reference, d.kind, d.number, x.amount FROM allocation x "
        "JOIN payment p ON p.id = x.payment_id JOIN document d ON d.id = x.document_id"
    )):  # fmt: skip
        allocs[ref].append(LedgerAllocation(number, amount, kind))
    return [
        LedgerPayment(ref, day, cur, amount, tuple(allocs[ref]), code)
        for ref, day, cur, amount, code in rows(url, (
            "SELECT p.reference, p.payment_date, p.currency, p.amount, a.code "
            "FROM payment p JOIN account a ON a.id = p.account_id"
        ))
    ]  # fmt: skip


@pytest.fixture
def loaded(url: str) -> tuple[str, list[str]]:
    return url, demo.load_demo_ledger(url, today=TODAY)


def test_demo_company_has_realistic_variety(loaded: tuple[str, list[str]]) -> None:
    url, codes = loaded
    assert len(codes) >= 40 and len(set(codes)) == len(codes)
    assert sorted(codes) == sorted(code for (code,) in rows(url, "SELECT code FROM account"))
    assert rows(url, "SELECT count(*) FROM account WHERE parent_code IS NOT NULL")[0][0] >= 3
    (docs, lines, pays, allocs), = rows(url, (
        "SELECT (SELECT count(*) FROM document), (SELECT count(*) FROM document_line), "
        "(SELECT count(*) FROM payment), (SELECT count(*) FROM allocation)"))  # fmt: skip
    assert docs > 1000 and lines > 2 * docs and pays > 100 and allocs >= pays
    assert {c for (c,) in rows(url, "SELECT DISTINCT currency FROM document")} == {"GBP", "EUR"}
    kinds = dict(rows(url, "SELECT kind, count(*) FROM document GROUP BY kind"))
    assert kinds["invoice"] > 1000 and kinds["credit_note"] > 20
    branched = rows(url, "SELECT DISTINCT account_id, branch FROM document WHERE branch <> ''")
    assert len({account for account, _ in branched}) >= 2
    assert {branch for _, branch in branched} == {"North", "South"}
    assert rows(url, "SELECT count(*) FROM document WHERE po_reference <> ''")[0][0] > docs // 2
    issued = rows(url, "SELECT min(issue_date), max(issue_date) FROM document")[0]
    assert issued[0] <= TODAY - timedelta(days=700) and issued[1] <= TODAY
    batches = rows(url, "SELECT actor, status, inserted FROM import_batch")
    assert batches == [("demo", "applied", docs)]


def test_every_status_is_present_today(loaded: tuple[str, list[str]]) -> None:
    url, _ = loaded
    found = {ledger.status(doc, TODAY) for doc in ledger_docs(url)}
    assert found == {"paid", "partially paid", "open", "overdue", "void"}
    balances = ledger.balances(ledger_docs(url), TODAY)
    assert set(balances) == {"GBP", "EUR"}
    assert all(b.overdue > 0 and b.credit_available > 0 for b in balances.values())


def test_lines_add_up_and_payments_match_what_is_paid(loaded: tuple[str, list[str]]) -> None:
    url, _ = loaded
    mismatch = (
        "SELECT count(*) FROM {outer} o JOIN (SELECT {key}, sum(amount) AS s FROM {inner} "
        "GROUP BY {key}) i ON i.{key} = o.id WHERE i.s <> o.{column}"
    )
    for outer, inner, key, column in [
        ("document", "document_line", "document_id", "total"),  # lines add up to the total
        ("payment", "allocation", "payment_id", "amount"),  # receipts fully allocated
        ("document", "allocation", "document_id", "paid"),  # allocations explain what is paid
    ]:
        sql = mismatch.format(outer=outer, inner=inner, key=key, column=column)
        assert rows(url, sql) == [(0,)], (outer, inner)
    assert rows(url, "SELECT max(payment_date) FROM payment")[0][0] <= TODAY


def test_statements_of_the_demo_reconcile(loaded: tuple[str, list[str]]) -> None:
    url, codes = loaded
    docs, pays = ledger_docs(url), ledger_payments(url)
    seller = Wholesaler("Demo")
    for code in codes[:3]:
        account = StatementAccount(code)
        mine = [d for d in docs if d.account_code == code]
        for currency, balance in ledger.balances(mine, TODAY).items():
            open_items = open_item_statement(docs, account, currency, TODAY, wholesaler=seller,
                                             payments=pays)  # fmt: skip
            activity = activity_statement(docs, pays, account, currency, TODAY - timedelta(365),
                                          TODAY, wholesaler=seller)  # fmt: skip
            assert open_items.closing_balance == activity.closing_balance == balance.outstanding
            assert any(line.kind == "payment" for line in activity.lines)


def test_demo_is_deterministic(loaded: tuple[str, list[str]], tmp_path: Path) -> None:
    url, codes = loaded
    other = f"duckdb:///{tmp_path / 'again.duckdb'}"
    assert demo.load_demo_ledger(other, today=TODAY) == codes
    query = ("SELECT d.kind, d.number, a.code, d.issue_date, d.total, d.paid, d.erp_status "
             "FROM document d JOIN account a ON a.id = d.account_id ORDER BY d.kind, d.number")
    assert rows(other, query) == rows(url, query)
    checksum = "SELECT sha256 FROM import_batch"
    assert rows(other, checksum) == rows(url, checksum)
    third = f"duckdb:///{tmp_path / 'seed8.duckdb'}"
    demo.load_demo_ledger(third, today=TODAY, seed=8)
    assert rows(third, query) != rows(url, query)


def test_demo_refuses_a_store_that_has_documents(url: str) -> None:
    with store.session_scope(url) as session:
        factories.document(session, "INV-1", total=Decimal("5"))
    before = store.content_checksum(url)
    with pytest.raises(PortalError, match="empty store"):
        demo.load_demo_ledger(url, today=TODAY)
    assert store.content_checksum(url) == before
