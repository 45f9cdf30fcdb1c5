"""The isolation property's table of reads: each scoped read of lib/queries.py and
lib/ledger_queries.py, and what it must return for a person and an account (tests/trust_store.py
holds the oracle)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from lib import corrections, ledger, ledger_queries, queries, statements
from lib.access import Principal
from lib.errors import AccessDenied, NotFound
from tests import trust_store as ts
from tests.trust_figures import Tally

SELLER = statements.Wholesaler("Seller Ltd")


@dataclass
class Probe:
    """One read's inputs: the store, the person, the account, the scope and the ids probed."""

    session: Any
    book: ts.Ledger
    who: Principal
    code: str
    scope: queries.Scope
    ids: list[int]
    tally: Tally

    @property
    def expected(self) -> list[ts.Doc]:
        return ts.visible_docs(self.book, self.who, self.code)

    @property
    def numbers(self) -> set[str]:
        return {d.number for d in self.expected}

    @property
    def forbidden(self) -> set[str]:
        return ts.foreign_tokens(self.book, ts.allowed_tokens(self.book, self.who, self.code))

    def no_leak(self, text: str) -> None:
        found = ts.leaks(text, self.forbidden)
        self.tally["leaks"] += len(found)
        self.tally["checks"] += 1
        assert not found, f"{self.who} reading {self.code} saw {sorted(found)}"


def not_found(call: Callable[[], Any], message: str = queries.NO_SUCH_DOCUMENT) -> None:
    """The call raises NotFound with exactly this message."""
    with pytest.raises(NotFound) as caught:
        call()
    assert str(caught.value) == message


def check_document_list(p: Probe) -> None:
    frame = queries.document_list(p.session, p.scope, as_of=ts.AS_OF)
    assert sorted(frame["Number"]) == sorted(p.numbers)
    p.no_leak(frame.to_csv())
    # Filters cannot widen the scope: a foreign branch or another account's token finds nothing.
    for forbidden in sorted(p.forbidden)[p.ids[0] % 7::7][:1]:
        branch = forbidden.split("x", 1)[1].rstrip("K")
        hostile = queries.DocumentFilter(text=forbidden, branches=(branch, "North"))
        found = queries.document_list(p.session, p.scope, as_of=ts.AS_OF, filters=hostile)
        assert set(found["Number"]) <= p.numbers
        p.no_leak(found.to_csv())


def check_document_totals(p: Probe) -> None:
    totals = queries.document_totals(p.session, p.scope, as_of=ts.AS_OF)
    assert int(totals["Documents"].sum()) == len(p.expected)
    for currency, balance in zip(totals["Currency"], totals["Balance"], strict=True):
        live = [d.ledger_doc() for d in p.expected if d.currency == currency]
        assert Decimal(balance) == sum((ledger.signed_outstanding(d) for d in live), Decimal(0))


def check_scope_values(p: Probe) -> None:
    assert queries.scope_values(p.session, p.scope, "branch") == sorted(
        {d.branch for d in p.expected if d.branch})
    assert queries.scope_values(p.session, p.scope, "currency") == sorted(
        {d.currency for d in p.expected})


def check_scoped_documents(p: Probe) -> None:
    rows = queries.scoped_documents(p.session, p.scope)
    assert sorted(r.id or 0 for r in rows) == sorted(d.id for d in p.expected)


def check_scoped_document(p: Probe) -> None:
    mine = {d.id: d for d in p.expected}
    for doc_id in p.ids:
        if doc_id in mine:
            assert queries.scoped_document(p.session, p.scope, doc_id).number == mine[doc_id].number
        else:  # another account's document reads exactly like no document at all
            not_found(lambda i=doc_id: queries.scoped_document(p.session, p.scope, i))
        p.tally["checks"] += 1


def check_document_lines(p: Probe) -> None:
    mine = {d.id for d in p.expected}
    for doc_id in p.ids:
        lines = queries.document_lines(p.session, p.scope, doc_id)
        assert len(lines) == (2 if doc_id in mine else 0)
        p.no_leak(lines.to_csv())


def check_document_pdf(p: Probe) -> None:
    mine = {d.id: d for d in p.expected}
    for doc_id in p.ids:
        call = lambda i=doc_id: queries.document_pdf(p.session, p.scope, i,  # noqa: E731
                                                      p.book.documents_dir)  # fmt: skip
        if doc_id not in mine:
            not_found(call)
            continue
        data = call()
        assert (data is not None) == mine[doc_id].has_pdf
        if data is not None:
            assert mine[doc_id].number.encode() in data


def check_documents_with_pdf(p: Probe) -> None:
    every = [d.id for d in p.book.docs] + p.ids
    found = queries.documents_with_pdf(p.session, p.scope, every, p.book.documents_dir)
    assert {row.number for row, _ in found} == {d.number for d in p.expected if d.has_pdf}


def check_balances(p: Probe) -> None:
    expected = ledger.balances([d.ledger_doc() for d in p.expected], ts.AS_OF)
    assert ledger_queries.balances(p.session, p.scope, ts.AS_OF) == expected


def check_aging(p: Probe) -> None:
    expected = ledger.aging([d.ledger_doc() for d in p.expected], ts.AS_OF)
    assert ledger_queries.aging(p.session, p.scope, ts.AS_OF) == expected


def check_ledger_docs(p: Probe) -> None:
    assert {d.number for d in ledger_queries.ledger_docs(p.session, p.scope)} == p.numbers
    for currency in ts.CURRENCIES:
        docs = ledger_queries.ledger_docs(p.session, p.scope, currency=currency)
        assert {d.number for d in docs} == {d.number for d in p.expected if d.currency == currency}


def check_ledger_payments(p: Probe) -> None:
    pays = ledger_queries.ledger_payments(p.session, p.scope)
    assert {x.reference for x in pays} == ts.visible_payments(p.book, p.who, p.code)
    assert {a.number for x in pays for a in x.allocations} <= p.numbers
    p.no_leak(repr(pays))


def check_payments_frame(p: Probe) -> None:
    frame = ledger_queries.payments_frame(p.session, p.scope)
    assert set(frame["Reference"]) == ts.visible_payments(p.book, p.who, p.code)
    p.no_leak(frame.to_csv())


def check_allocations_frame(p: Probe) -> None:
    visible = ts.visible_payments(p.book, p.who, p.code)
    # References of any account, as a buyer could type them: a few drawn per example.
    for pay in (p.book.payments[i % len(p.book.payments)] for i in p.ids[:3]):
        frame = ledger_queries.allocations_frame(p.session, p.scope, pay.reference)
        assert set(frame["Number"]) <= p.numbers
        if pay.reference not in visible:
            assert frame.empty
        p.no_leak(frame.to_csv())


def check_build_statement(p: Probe) -> None:
    expected = ledger.balances([d.ledger_doc() for d in p.expected], ts.AS_OF)
    payments = ts.visible_payments(p.book, p.who, p.code)
    for kind, currency in itertools.product((statements.OPEN_ITEM, statements.ACTIVITY),
                                            ts.CURRENCIES):  # fmt: skip
        built = ledger_queries.build_statement(
            p.session, p.scope, kind=kind, currency=currency, start=ts.START, end=ts.AS_OF,
            statement_date=ts.AS_OF, wholesaler=SELLER,
        )  # fmt: skip
        assert {line.reference for line in built.lines} <= p.numbers | payments
        owed = expected[currency].outstanding if currency in expected else Decimal(0)
        assert built.closing_balance == owed
        p.no_leak(repr(built.header_fields()) + repr(built.table()))


def check_accounts_overview(p: Probe) -> None:
    if any(g.account_code not in ts.CODES for g in p.who.grants):
        return  # a grant on a missing account cannot come from the store
    frame = ledger_queries.accounts_overview(p.session, p.who, ts.AS_OF)
    assert set(frame["Account"]) == set(p.who.account_codes())
    allowed = set().union(*(ts.allowed_tokens(p.book, p.who, c) for c in p.who.account_codes()))
    found = ts.leaks(frame.to_csv(), ts.foreign_tokens(p.book, allowed))
    p.tally["leaks"] += len(found)
    assert not found


def check_staff_only(p: Probe) -> None:
    """Staff lists: a buyer gets 'not found' / 'not available', never the rows."""
    if p.who.is_staff:
        assert len(queries.accounts_frame(p.session, p.who)) == len(ts.CODES)
        return
    not_found(lambda: queries.accounts_frame(p.session, p.who), "No such page.")
    with pytest.raises(AccessDenied):
        corrections.find_documents(p.session, p.who)
    with pytest.raises(AccessDenied):
        corrections.correction_history(p.session, p.who, p.book.docs[0].id)


CHECKS: dict[str, Callable[[Probe], None]] = {
    "queries.document_list": check_document_list,
    "queries.document_totals": check_document_totals,
    "queries.scope_values": check_scope_values,
    "queries.scoped_documents": check_scoped_documents,
    "queries.scoped_document": check_scoped_document,
    "queries.document_lines": check_document_lines,
    "queries.document_pdf": check_document_pdf,
    "queries.documents_with_pdf": check_documents_with_pdf,
    "queries.accounts_frame": check_staff_only,
    "ledger_queries.balances": check_balances,
    "ledger_queries.aging": check_aging,
    "ledger_queries.ledger_docs": check_ledger_docs,
    "ledger_queries.ledger_payments": check_ledger_payments,
    "ledger_queries.payments_frame": check_payments_frame,
    "ledger_queries.allocations_frame": check_allocations_frame,
    "ledger_queries.build_statement": check_build_statement,
    "ledger_queries.accounts_overview": check_accounts_overview,
}
# Checked by the driver itself (scope_for and its parts, visible_accounts), used by every read
# (in_scope), or covered by the file property below (downloads).
COVERED_ELSEWHERE = {
    "queries.scope_for", "queries.require_view", "queries.scope_in",
    "queries.visible_accounts", "queries.in_scope",
    "downloads.fresh_scope", "downloads.list_download", "downloads.pdf_download",
    "downloads.pdf_zip_download", "downloads.statement_for", "downloads.statement_download",
}  # fmt: skip
