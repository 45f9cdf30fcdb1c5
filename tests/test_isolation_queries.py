"""Property: whatever the accounts, branches, grants, documents and payments, every scoped read
returns only what the buyer was granted (and all of it), and nothing of any other account."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from lib import access, ledger, ledger_queries, models, queries, statements, store
from lib.access import AccountGrant, Principal
from lib.errors import NotFound

CODES = ("A", "B", "C")
BRANCHES = ("", "North", "South")
BASE = date(2026, 1, 1)
AS_OF = date(2026, 6, 30)
SELLER = statements.Wholesaler("Seller")


@dataclass
class Case:
    """One generated store: documents, payments and the buyer's grants."""

    docs: list[dict[str, object]]
    payments: list[tuple[str, int, list[tuple[int, Decimal]]]]
    grants: frozenset[AccountGrant]
    pdf_for: set[int] = field(default_factory=set)
    # The documents whose id is tried directly on each account (any account's, any branch's).
    probes: set[int] = field(default_factory=set)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Up to 12 documents over three accounts and their branches, some payments and grants."""
    docs = []
    for i in range(draw(st.integers(min_value=0, max_value=12))):
        kind = draw(st.sampled_from(["invoice", "invoice", "credit_note"]))
        total = Decimal(draw(st.integers(min_value=0, max_value=50_000))).scaleb(-2)
        docs.append({
            "number": f"{'CN' if kind == 'credit_note' else 'IN'}-{i}", "kind": kind,
            "account": draw(st.sampled_from(CODES)), "branch": draw(st.sampled_from(BRANCHES)),
            "currency": draw(st.sampled_from(["GBP", "EUR"])), "total": total,
            "paid": draw(st.sampled_from([Decimal(0), total, total / 2])),
            "erp_status": draw(st.sampled_from(["", "", "", "void"])),
            "issue_date": BASE + timedelta(draw(st.integers(min_value=0, max_value=200))),
        })  # fmt: skip
    payments = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        targets = draw(st.lists(st.integers(min_value=0, max_value=max(len(docs) - 1, 0)),
                                max_size=3 if docs else 0, unique=True))  # fmt: skip
        # Allocations may point at another account's documents: bad data must not leak.
        payments.append((draw(st.sampled_from(CODES)), draw(st.integers(0, 200)),
                         [(t, Decimal("10.00")) for t in targets]))  # fmt: skip
    grants = draw(st.frozensets(
        st.builds(AccountGrant, st.sampled_from(CODES), st.sampled_from([None, "North", "South"])),
        max_size=3))  # fmt: skip
    index = st.integers(0, max(len(docs) - 1, 0))
    pdf_for = set(draw(st.lists(index, max_size=4))) if docs else set()
    probes = set(draw(st.lists(index, min_size=1, max_size=3))) if docs else set()
    return Case(docs, payments, grants, pdf_for, probes)


def _load(s: Session, case: Case, pdf_dir: Path) -> list[models.Document]:
    accounts = {code: models.Account(code=code, name=f"{code} Ltd") for code in CODES}
    s.add_all(accounts.values())
    s.flush()
    rows = []
    for i, d in enumerate(case.docs):
        sha = None
        if i in case.pdf_for:
            content = f"%PDF {d['number']}".encode()
            sha = hashlib.sha256(content).hexdigest()
            path = pdf_dir / sha[:2] / f"{sha}.pdf"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        issued = d["issue_date"]
        assert isinstance(issued, date)
        row = models.Document(
            kind=str(d["kind"]), number=str(d["number"]), account_id=accounts[str(d["account"])].id,
            issue_date=issued, due_date=issued + timedelta(days=30), currency=str(d["currency"]),
            total=d["total"], paid=d["paid"], feed_paid=d["paid"], branch=str(d["branch"]),
            erp_status=str(d["erp_status"]), po_reference=f"PO {d['number']}",
            description="goods", pdf_sha256=sha,
        )  # fmt: skip
        s.add(row)
        rows.append(row)
    s.flush()
    for i in case.probes:
        s.add(models.DocumentLine(document_id=rows[i].id, line_no=1, description="a line"))
    for n, (code, day, allocs) in enumerate(case.payments):
        payment = models.Payment(reference=f"R-{n}", account_id=accounts[code].id,
                                 payment_date=BASE + timedelta(day), currency="GBP",
                                 amount=Decimal("50.00"))  # fmt: skip
        s.add(payment)
        s.flush()
        for index, amount in allocs:
            s.add(models.Allocation(payment_id=payment.id, document_id=rows[index].id,
                                    amount=amount))
    s.flush()
    return rows


def _granted(who: Principal, code: str, row: models.Document, account_code: str) -> bool:
    return account_code == code and access.allowed(who, access.VIEW_ACCOUNT, code, row.branch)


def _check_account(s: Session, who: Principal, code: str, rows: list[models.Document],
                   owners: dict[int, str]) -> None:  # fmt: skip
    if not access.may_view_any_part(who, code):
        with pytest.raises(NotFound):
            queries.scope_for(s, who, code)
        return
    scope = queries.scope_for(s, who, code)
    allowed = {r.number for r in rows if _granted(who, code, r, owners[r.id or 0])}
    ids = {r.id for r in rows if r.number in allowed}
    listed = queries.document_list(s, scope, as_of=AS_OF)
    assert set(listed["Number"]) == allowed and len(listed) == len(allowed)
    found = queries.document_list(s, scope, as_of=AS_OF, filters=queries.DocumentFilter(text="po"))
    assert set(found["Number"]) == allowed
    assert int(queries.document_totals(s, scope, as_of=AS_OF)["Documents"].sum()) == len(allowed)
    assert set(queries.scope_values(s, scope, "branch")) <= {r.branch for r in rows if r.id in ids}
    for row in (rows[i] for i in _CASE.probes):
        inside = row.id in ids
        lines = queries.document_lines(s, scope, row.id or 0)
        assert (not lines.empty) == inside
        if inside:
            assert queries.scoped_document(s, scope, row.id or 0).number == row.number
        else:
            with pytest.raises(NotFound):
                queries.document_pdf(s, scope, row.id or 0)
    with_pdf = queries.documents_with_pdf(s, scope, [r.id or 0 for r in rows])
    assert {r.number for r, _ in with_pdf} <= allowed
    docs = ledger_queries.ledger_docs(s, scope)
    assert {d.number for d in docs} == allowed
    pays = ledger_queries.ledger_payments(s, scope)
    assert {a.number for p in pays for a in p.allocations} <= allowed
    own = {f"R-{n}" for n, p in enumerate(_CASE.payments) if p[0] == code}
    assert {p.reference for p in pays} <= own
    text = " ".join(ledger_queries.payments_frame(s, scope)["Allocated to"])
    assert not {r.number for r in rows if r.number not in allowed} & set(
        part.split(" (")[0] for part in text.split(", ") if part)
    assert ledger_queries.balances(s, scope, AS_OF) == ledger.balances(docs, AS_OF, pays)
    for currency in sorted({d.currency for d in docs})[:1]:  # one is enough: same scoping
        built = ledger_queries.build_statement(
            s, scope, kind=statements.ACTIVITY, currency=currency, start=BASE, end=AS_OF,
            statement_date=AS_OF, wholesaler=SELLER)  # fmt: skip
        assert {line.reference for line in built.lines} <= allowed | own


_CASE = Case([], [], frozenset())


# Each example is one rolled-back transaction (~0.1 s): 250 of them stay under half a minute.
@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_every_scoped_read_stays_inside_the_grants(url: str, data_dir: Path, case: Case) -> None:
    global _CASE
    _CASE = case
    who = Principal("buyer", "buyer", case.grants)
    # One transaction per example, rolled back: each example starts from an empty store.
    with Session(store.engine_for(url)) as s:
        try:
            rows = _load(s, case, data_dir / "documents")
            owners = {r.id or 0: str(case.docs[i]["account"]) for i, r in enumerate(rows)}
            for code in CODES:
                _check_account(s, who, code, rows, owners)
            overview = ledger_queries.accounts_overview(s, who, AS_OF)
            assert set(overview["Account"]) <= {g.account_code for g in case.grants}
        finally:
            s.rollback()
