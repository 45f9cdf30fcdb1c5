"""Ledger reads of the largest account through lib/, beside the same question in plain SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from bench.common import Row, Section, Size, paired
from bench.generate import Dataset

TARGET = 2.0
VOID = "lower(trim(d.erp_status)) IN ({words})"
LIST_FILTER = {"statuses": ("open", "overdue", "partially paid"), "days": 730, "text": "po5"}

# What each document adds to the balance at $as_of: payments dated later were not yet made.
POSITIONS = """
WITH later AS (
  SELECT a.document_id, sum(a.amount) AS later FROM allocation a
  JOIN payment p ON p.id = a.payment_id
  WHERE p.account_id = $acct AND p.payment_date > $as_of GROUP BY a.document_id),
pos AS (
  SELECT d.currency, d.due_date,
    CASE WHEN d.kind = 'credit_note' THEN (d.paid - coalesce(l.later, 0)) - d.total
         ELSE d.total - (d.paid - coalesce(l.later, 0)) END AS amount
  FROM document d LEFT JOIN later l ON l.document_id = d.id
  WHERE d.account_id = $acct AND NOT {void} AND d.issue_date <= $as_of)
"""
BALANCE_SQL = POSITIONS + """,
per AS (
  SELECT currency, count(*) AS docs,
    coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS owed,
    coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS credit,
    coalesce(sum(amount) FILTER (WHERE amount > 0 AND due_date < $as_of), 0) AS overdue,
    min(due_date) FILTER (WHERE amount > 0 AND due_date >= $as_of) AS next_due
  FROM pos GROUP BY currency)
SELECT per.currency, owed - credit, owed, overdue, credit, next_due,
  (SELECT coalesce(sum(amount), 0) FROM pos WHERE pos.currency = per.currency
     AND pos.due_date = per.next_due AND amount > 0), docs
FROM per ORDER BY per.currency
"""
AGING_SQL = POSITIONS + """
SELECT currency, CASE WHEN amount < 0 THEN -2 WHEN $as_of - due_date <= 0 THEN 0
  WHEN $as_of - due_date <= 30 THEN 1 WHEN $as_of - due_date <= 60 THEN 2
  WHEN $as_of - due_date <= 90 THEN 3 ELSE 4 END AS bucket, sum(amount)
FROM pos WHERE amount <> 0 GROUP BY ALL ORDER BY ALL
"""
STATUS = """CASE WHEN {void} THEN 'void' WHEN d.paid >= d.total THEN 'paid'
  WHEN d.kind = 'invoice' AND d.due_date < $as_of THEN 'overdue'
  WHEN d.paid > 0 THEN 'partially paid' ELSE 'open' END"""
LIST_SQL = """
SELECT * FROM (
  SELECT d.id, d.number AS "Number",
    CASE WHEN d.kind = 'credit_note' THEN 'Credit note' ELSE 'Invoice' END AS "Kind",
    d.issue_date AS "Issued", d.due_date AS "Due", d.currency AS "Currency",
    d.total AS "Total", d.paid AS "Paid", d.total - d.paid AS "Outstanding",
    {status} AS "Status", d.po_reference AS "Reference", d.branch AS "Branch",
    d.description AS "Description", d.pdf_sha256 IS NOT NULL AS "PDF",
    CASE WHEN {void} THEN 0 WHEN d.kind = 'credit_note' THEN d.paid - d.total
         ELSE d.total - d.paid END AS "Signed"
  FROM document d WHERE d.account_id = $acct {where})
{status_filter} ORDER BY "Issued" DESC, "Number" DESC, id DESC
"""
FILTER_WHERE = ("AND d.issue_date >= $since AND (lower(d.number) LIKE $text OR "
                "lower(d.po_reference) LIKE $text OR lower(d.description) LIKE $text)")


def _sql(template: str, **parts: str) -> str:
    from lib.ledger import VOID_WORDS

    words = ", ".join(f"'{word}'" for word in sorted(VOID_WORDS))
    void = VOID.format(words=words)
    return template.format(void=void, status=STATUS.format(void=void), **parts)


def _frame(con: Any, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """A query's answer as the portal hands it on: Arrow to pandas, decimals kept exact."""
    return con.sql(sql, params=params).to_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)


def _cases(ds: Dataset, scope: Any, as_of: date) -> list[tuple[str, Callable[[Any], Any],
                                                            Callable[[Any], Any]]]:
    """(figure, project call given a session, floor call given a native connection)."""
    from lib import ledger_queries, queries

    base = {"acct": scope.account_id, "as_of": as_of}
    text = f"%{LIST_FILTER['text']}%"
    since = as_of - timedelta(days=int(LIST_FILTER["days"]))
    filters = queries.DocumentFilter(issued_from=since, statuses=LIST_FILTER["statuses"],
                                     text=str(LIST_FILTER["text"]))  # fmt: skip
    statuses = ", ".join(f"'{s}'" for s in LIST_FILTER["statuses"])
    filtered_sql = _sql(LIST_SQL, where=FILTER_WHERE,
                        status_filter=f'WHERE "Status" IN ({statuses})')
    return [
        ("balance per currency (Home)",
         lambda s: ledger_queries.balances(s, scope, as_of),
         lambda c: c.execute(_sql(BALANCE_SQL), base).fetchall()),
        ("aging per currency (Home)",
         lambda s: ledger_queries.aging(s, scope, as_of),
         lambda c: c.execute(_sql(AGING_SQL), base).fetchall()),
        ("document list, unfiltered: every row, as the list page opens",
         lambda s: queries.document_list(s, scope, as_of=as_of),
         lambda c: _frame(c, _sql(LIST_SQL, where="", status_filter=""), base)),
        ("document list, filtered (3 statuses, 2 years, text)",
         lambda s: queries.document_list(s, scope, as_of=as_of, filters=filters),
         lambda c: _frame(c, filtered_sql, {**base, "since": since, "text": text})),
    ]  # fmt: skip


def _check(name: str, mine: Any, floor: Any) -> str:
    """Whether the portal and the floor gave the same answer (a benchmark of a wrong floor lies)."""
    if name.startswith("balance"):
        same = [(c, b.outstanding, b.owed, b.overdue, b.credit_available, b.next_due_date,
                 b.next_due_amount if b.next_due_date else Decimal(0), b.documents)
                for c, b in mine.items()] == [tuple(r) for r in floor]  # fmt: skip
    elif name.startswith("aging"):
        flat = {(c, i): a for c, ag in mine.items() for i, (_, a) in enumerate(ag.buckets) if a}
        flat.update({(c, -2): ag.unapplied_credit for c, ag in mine.items() if ag.unapplied_credit})
        same = flat == {(c, b): a for c, b, a in floor}
    else:
        same = list(mine["id"]) == list(floor["id"])
    return "same answer as the floor" if same else "ANSWER DIFFERS FROM THE FLOOR"


def run(ds: Dataset, size: Size) -> Section:
    """Time each ledger read the pages make, beside its plain-SQL floor."""
    from lib import store
    from lib.access import AccountGrant, Principal
    from lib.queries import scope_for

    section = Section("ledger", "2. Ledger queries (issue 3): the largest account")
    as_of = date.fromisoformat(ds.as_of)
    who = Principal("bench", "buyer", frozenset({AccountGrant(ds.largest_code)}))
    with store.session_scope(ds.url) as session:
        scope = scope_for(session, who, ds.largest_code)

    def project(call: Callable[[Any], Any]) -> Any:
        with store.session_scope(ds.url) as session:
            return call(session)

    with store.raw_connection(ds.url) as con:
        for name, mine, floor in _cases(ds, scope, as_of):
            note = _check(name, project(mine), floor(con))
            timing = paired(lambda m=mine: project(m), lambda f=floor: f(con), size.runs)
            section.add(Row(name, *timing, TARGET, note=note))
        _statement(ds, scope, as_of, size, con, section)
        _open_items(ds, scope, as_of, size, con, section)
    section.notes += [
        f"Account {ds.largest_code} ({ds.largest_documents:,} documents), as of {as_of}. "
        f"Median of {size.runs} runs after a warm-up, portal and floor alternating. The "
        "portal side is the function a page calls (lib/ledger_queries.py, lib/queries.py) "
        "in its own session; the floor is one "
        "hand-written SQL statement on the native DuckDB connection giving the same answer "
        "(checked), as Python rows or, for lists, an Arrow-backed DataFrame."
    ]
    return section


# An activity statement: opening balance, then documents issued, undated paid amounts and
# payments of the period in date order with a running balance, closing on the balance at $end.
STATEMENT_SQL = """
WITH pay AS (SELECT id, payment_date, reference, currency FROM payment WHERE account_id = $acct),
dal AS (
  SELECT a.document_id,
    sum(a.amount) FILTER (WHERE p.payment_date >= $start) AS from_start,
    sum(a.amount) FILTER (WHERE p.payment_date > $end) AS after_end,
    sum(a.amount) FILTER (WHERE p.payment_date BETWEEN $start AND $end) AS applied
  FROM allocation a JOIN pay p ON p.id = a.payment_id GROUP BY a.document_id),
docs AS (
  SELECT d.id, d.kind, d.number, d.issue_date, d.total, d.paid,
    CASE WHEN d.kind = 'credit_note' THEN -1 ELSE 1 END AS sgn,
    coalesce(x.from_start, 0) AS from_start, coalesce(x.after_end, 0) AS after_end,
    coalesce(x.applied, 0) AS applied
  FROM document d LEFT JOIN dal x ON x.document_id = d.id
  WHERE d.account_id = $acct AND d.currency = $cur AND NOT {void} AND d.issue_date <= $end),
opening AS (
  SELECT coalesce(sum(sgn * (total - (paid - from_start))), 0) AS amount
  FROM docs WHERE issue_date < $start),
lines AS (
  SELECT issue_date AS day, (1 - sgn) // 2 AS rank, number AS ref, 0 AS sub, kind AS type,
    sgn * total AS amount FROM docs WHERE issue_date >= $start
  UNION ALL
  SELECT issue_date, (1 - sgn) // 2, number, 1, 'paid_to_date',
    sgn * (applied - (paid - after_end)) FROM docs
  WHERE issue_date >= $start AND applied <> paid - after_end
  UNION ALL
  SELECT p.payment_date, 2, p.reference, 0, 'payment', coalesce(-sum(d.sgn * a.amount), 0)
  FROM pay p LEFT JOIN allocation a ON a.payment_id = p.id LEFT JOIN docs d ON d.id = a.document_id
  WHERE p.payment_date BETWEEN $start AND $end
  GROUP BY p.id, p.payment_date, p.reference, p.currency
  HAVING count(d.id) > 0 OR p.currency = $cur)
SELECT day, type, ref, amount, (SELECT amount FROM opening) + sum(amount) OVER (
  ORDER BY day, rank, ref, sub ROWS UNBOUNDED PRECEDING) AS balance
FROM lines ORDER BY day, rank, ref, sub
"""


def statement_period(as_of: date) -> tuple[date, date]:
    """The twelve months ending at as_of."""
    start = date(as_of.year - 1, as_of.month, 1) + timedelta(days=as_of.day)
    return start, as_of


def _statement(ds: Dataset, scope: Any, as_of: date, size: Size, con: Any,
               section: Section) -> None:  # fmt: skip
    """The 12-month activity statement through lib/, beside statement and aging SQL."""
    from lib import ledger_queries, statements, store

    start, end = statement_period(as_of)
    seller = statements.Wholesaler("Bench Wholesale Ltd", ("1 Bench Street",))

    def mine() -> Any:
        with store.session_scope(ds.url) as session:
            return ledger_queries.build_statement(
                session, scope, kind=statements.ACTIVITY, currency="GBP", start=start, end=end,
                statement_date=end, wholesaler=seller)  # fmt: skip

    params = {"acct": scope.account_id, "cur": "GBP", "start": start, "end": end}
    aging_params = {"acct": scope.account_id, "cur": "GBP", "as_of": end}
    aging_sql = _sql(AGING_SQL).replace("GROUP BY ALL", "AND currency = $cur GROUP BY ALL")

    def floor() -> Any:
        return (con.execute(_sql(STATEMENT_SQL), params).fetchall(),
                con.execute(aging_sql, aging_params).fetchall())

    built, (lines, _) = mine(), floor()
    same = len(built.lines) == len(lines) and built.closing_balance == (
        lines[-1][4] if lines else None)
    section.add(Row(f"12-month activity statement, GBP ({len(built.lines):,} lines)",
                    *paired(mine, floor, size.runs), TARGET,
                    note="same lines and closing balance as the floor" if same
                    else "ANSWER DIFFERS FROM THE FLOOR"))  # fmt: skip


# An open-item statement: each live document issued by $end with something outstanding then
# (payments dated after $end not yet made), signed, with days overdue and the total due.
OPEN_ITEM_SQL = """
WITH later AS (
  SELECT a.document_id, sum(a.amount) AS later FROM allocation a
  JOIN payment p ON p.id = a.payment_id
  WHERE p.account_id = $acct AND p.payment_date > $end GROUP BY a.document_id),
items AS (
  SELECT d.id, d.issue_date, d.kind, d.number, d.due_date, d.total,
    coalesce(nullif(d.po_reference, ''), d.description) AS text,
    CASE WHEN d.kind = 'credit_note' THEN -1 ELSE 1 END AS sgn,
    d.paid - coalesce(l.later, 0) AS paid
  FROM document d LEFT JOIN later l ON l.document_id = d.id
  WHERE d.account_id = $acct AND d.currency = $cur AND NOT {void} AND d.issue_date <= $end)
SELECT issue_date, kind, number, text, due_date, sgn * total, sgn * paid,
  sgn * (total - paid) AS amount,
  CASE WHEN sgn * (total - paid) > 0 AND $end - due_date > 0 THEN $end - due_date END,
  sum(sgn * (total - paid)) OVER () AS total_due
FROM items WHERE total <> paid ORDER BY issue_date, number, id
"""


def _open_items(ds: Dataset, scope: Any, as_of: date, size: Size, con: Any,
                section: Section) -> None:  # fmt: skip
    """The open-item statement at as_of through lib/, beside open-item and aging SQL."""
    from lib import ledger_queries, statements, store

    seller = statements.Wholesaler("Bench Wholesale Ltd", ("1 Bench Street",))

    def mine() -> Any:
        with store.session_scope(ds.url) as session:
            return ledger_queries.build_statement(
                session, scope, kind=statements.OPEN_ITEM, currency="GBP", start=as_of,
                end=as_of, statement_date=as_of, wholesaler=seller)  # fmt: skip

    params = {"acct": scope.account_id, "cur": "GBP", "end": as_of}
    aging_params = {"acct": scope.account_id, "cur": "GBP", "as_of": as_of}
    aging_sql = _sql(AGING_SQL).replace("GROUP BY ALL", "AND currency = $cur GROUP BY ALL")

    def floor() -> Any:
        return (con.execute(_sql(OPEN_ITEM_SQL), params).fetchall(),
                con.execute(aging_sql, aging_params).fetchall())

    built, (lines, _) = mine(), floor()
    same = [(ln.reference, ln.amount) for ln in built.lines] == [
        (row[2], row[7]) for row in lines] and built.closing_balance == (
        lines[0][9] if lines else 0)  # fmt: skip
    section.add(Row(f"open-item statement at the end date, GBP ({len(built.lines):,} lines)",
                    *paired(mine, floor, size.runs), TARGET,
                    note="same lines and total as the floor" if same
                    else "ANSWER DIFFERS FROM THE FLOOR"))  # fmt: skip
