"""Deterministic benchmark data: a large store loaded set-wise, then its exports (bench/exports.py).

Every value comes from an integer hash of the document's index (no random generator), so the
same size always gives the same store, byte for byte in content. Account sizes follow a Zipf-like
law whose exponent is chosen so the largest account holds about `Size.largest` documents.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from bench.common import DAYS, END, Row, Section, Size, timed, write_json
from bench.exports import write_exports

PASSWORD = "bench buyer passphrase"
BUYERS = 21  # 20 measured sessions and one warm-up session, each on a different account


@dataclass(frozen=True)
class Dataset:
    """Where the generated data is and what a section needs to know about it."""

    data_dir: str
    url: str
    csv_path: str
    xlsx_path: str
    largest_code: str
    largest_documents: int
    as_of: str
    buyers: list[tuple[str, str]]  # (username, account code), largest accounts first
    password: str = PASSWORD


def zipf_sizes(accounts: int, documents: int, largest: int) -> list[int]:
    """Documents per account, largest first: n_k ~ k^-s, s chosen so n_1 is about `largest`."""
    low, high = 0.0, 3.0
    for _ in range(60):
        s = (low + high) / 2
        weights = [k**-s for k in range(1, accounts + 1)]
        share = weights[0] / sum(weights)
        low, high = (s, high) if share * documents < largest else (low, s)
    total = sum(weights)
    exact = [documents * w / total for w in weights]
    sizes = [max(1, int(x)) for x in exact]
    # Hand the rounding remainder to the accounts that lost most, so the sum is exact.
    order = sorted(range(accounts), key=lambda k: sizes[k] - exact[k])
    for k in order[: documents - sum(sizes)]:
        sizes[k] += 1
    return sizes


MACROS = """
CREATE OR REPLACE TEMP MACRO bench_mix(x) AS xor(x, x >> 15);
CREATE OR REPLACE TEMP MACRO bench_mul(x) AS (x * 1597334677) % 4294967291;
CREATE OR REPLACE TEMP MACRO bench_u(x, salt) AS
    bench_mix(bench_mul(bench_mix(((x::BIGINT + salt * 1000003) * 2654435761) % 4294967291)))
    / 4294967296.0;
CREATE OR REPLACE TEMP MACRO bench_pick(items, x, salt) AS
    items[1 + floor(bench_u(x, salt) * len(items))::INTEGER];
"""

ACCOUNTS_SQL = """
CREATE OR REPLACE TEMP TABLE bench_acct AS
SELECT no, docs, first_doc, 'C' || lpad(no::VARCHAR, 5, '0') AS code,
  bench_pick(['Harbour', 'Oakfield', 'Castlegate', 'Mercer', 'Wildflower', 'Abbey', 'Lantern',
    'Pear Tree', 'Market Cross', 'Orchard', 'Bellfield', 'Highgate', 'Stonebridge', 'Fernhill',
    'Quayside', 'Thistle', 'Brighton', 'Cotswold', 'Lakeland', 'Nordlys', 'Maison', 'Casa',
    'Bloem', 'Luce', 'Atlas', 'Keller', 'Riverside', 'Hollins', 'Seagull', 'Bramwell'], no, 101)
  || ' ' || bench_pick(['Gifts', 'Home', 'Interiors', 'Garden Centre', 'Homeware', 'Emporium',
    'Kitchenware', 'Trading', 'Stores', 'Retail', 'Crafts', 'Supplies'], no, 102)
  || ' ' || CASE currency WHEN 'EUR' THEN 'GmbH' WHEN 'USD' THEN 'Inc.' ELSE 'Ltd' END AS name,
  currency,
  CASE WHEN no = 1 OR bench_u(no, 103) < 0.1
       THEN CASE WHEN currency = 'EUR' THEN 'GBP' ELSE 'EUR' END END AS second_currency,
  CASE WHEN no = 1 OR bench_u(no, 104) < 0.1 THEN 2 + floor(bench_u(no, 105) * 3)::INTEGER
       ELSE 0 END AS branches,
  bench_pick([30, 30, 30, 14, 45, 60], no, 106) AS terms,
  CASE WHEN bench_u(no, 107) < 0.6 THEN 0 WHEN bench_u(no, 107) < 0.9 THEN 1 ELSE 2 END
    AS profile,
  no % 4 = 1 AS has_payments
FROM (SELECT *, CASE WHEN no = 1 OR bench_u(no, 100) < 0.7 THEN 'GBP'
                     WHEN bench_u(no, 100) < 0.9 THEN 'EUR' ELSE 'USD' END AS currency
      FROM bench_sizes)
"""

# Per class of age (0 settled long ago, 1 overdue, 2 not yet due) and payer profile
# (prompt, slow, struggling): the share paid in full, then the share part-paid.
DOCS_SQL = """
CREATE OR REPLACE TEMP TABLE bench_doc AS
WITH g AS (SELECT a.*, a.first_doc + unnest(range(a.docs)) AS gi FROM bench_acct a),
d AS (
  SELECT *, CASE WHEN bench_u(gi, 1) < 0.07 THEN 'credit_note' ELSE 'invoice' END AS kind,
    DATE '{start}' + floor(bench_u(gi, 2) * {days})::INTEGER AS issue_date,
    CASE WHEN second_currency IS NOT NULL AND bench_u(gi, 3) < 0.25 THEN second_currency
         ELSE currency END AS doc_currency,
    round(exp(ln(25) + bench_u(gi, 4) * ln(400)), 2) AS gross,
    bench_u(gi, 5) AS r_paid, bench_u(gi, 6) AS r_part, bench_u(gi, 7) < 0.004 AS void
  FROM g),
e AS (
  SELECT *, issue_date + CASE WHEN kind = 'invoice' THEN terms ELSE 0 END AS due_date,
    CASE WHEN kind = 'invoice' THEN gross ELSE round(gross * 0.25, 2) END::DECIMAL(18, 2)
      AS total
  FROM d),
f AS (
  SELECT *, CASE WHEN due_date <= DATE '{end}' - 120 THEN 0
                 WHEN due_date < DATE '{end}' THEN 1 ELSE 2 END AS age FROM e),
p AS (
  SELECT *,
    [[0.995, 0.97, 0.85], [0.8, 0.55, 0.3], [0.15, 0.05, 0.02]][age + 1][profile + 1] AS p_full,
    [[0.004, 0.01, 0.05], [0.05, 0.1, 0.15], [0.03, 0.05, 0.05]][age + 1][profile + 1] AS p_part
  FROM f)
SELECT code, no, kind, issue_date, due_date, doc_currency AS currency, total,
  CASE WHEN void THEN 0 WHEN r_paid < p_full THEN total
       WHEN r_paid < p_full + p_part THEN round(total * (0.2 + 0.6 * r_part), 2)
       ELSE 0 END::DECIMAL(18, 2) AS paid,
  CASE WHEN bench_u(gi, 8) < 0.65
       THEN 'PO' || lpad(((gi * 7919) % 900000 + 100000)::VARCHAR, 6, '0') ELSE '' END
    AS po_reference,
  CASE WHEN branches > 0 THEN ['North', 'South', 'East', 'West'][
       1 + floor(bench_u(gi, 9) * branches)::INTEGER] ELSE '' END AS branch,
  bench_pick(['Goods as ordered', 'Seasonal stock', 'Christmas range', 'Garden range',
    'Kitchen and dining', 'Re-order of best sellers', 'Display stands', 'Returns credit',
    'Spring collection', 'Gift wrap and cards'], gi, 10) AS description,
  CASE WHEN void THEN 'VOID' ELSE '' END AS erp_status,
  least(DATE '{end}', greatest(issue_date, date_trunc('week', due_date + CASE profile
    WHEN 0 THEN -5 + floor(bench_u(gi, 11) * 9) WHEN 1 THEN 5 + floor(bench_u(gi, 11) * 50)
    ELSE 20 + floor(bench_u(gi, 11) * 110) END::INTEGER)::DATE + 4)) AS pay_day,
  has_payments, gi,
  CASE WHEN kind = 'invoice' THEN 'INV-' ELSE 'CRN-' END || lpad(row_number() OVER (
    PARTITION BY kind ORDER BY issue_date, gi)::VARCHAR, 7, '0') AS number
FROM p
"""

DOC_SELECT = """
SELECT b.kind, b.number, a.id, b.issue_date, b.due_date, b.currency, b.total, b.paid, b.paid,
  '', b.po_reference, b.branch, b.description, b.erp_status, NULL, {batch}, TIMESTAMPTZ '{at}'
FROM bench_doc b JOIN account a ON a.code = b.code ORDER BY b.issue_date, b.gi
"""
DOC_COLUMNS = ("kind, number, account_id, issue_date, due_date, currency, total, paid, "
               "feed_paid, correction_note, po_reference, branch, description, erp_status, "
               "pdf_sha256, import_id, updated_at")  # fmt: skip

PAYMENTS_SQL = """
INSERT INTO payment (reference, account_id, payment_date, currency, amount, import_id)
SELECT 'RCPT-' || lpad(row_number() OVER (ORDER BY pay_day, a.id, b.currency)::VARCHAR, 7, '0'),
  a.id, pay_day, b.currency, sum(b.paid), {batch}
FROM bench_doc b JOIN account a ON a.code = b.code
WHERE b.has_payments AND b.kind = 'invoice' AND b.paid > 0
GROUP BY a.id, b.currency, b.pay_day;
INSERT INTO allocation (payment_id, document_id, amount)
SELECT p.id, d.id, b.paid
FROM bench_doc b JOIN account a ON a.code = b.code
JOIN payment p ON p.account_id = a.id AND p.currency = b.currency AND p.payment_date = b.pay_day
JOIN document d ON d.kind = b.kind AND d.number = b.number
WHERE b.has_payments AND b.kind = 'invoice' AND b.paid > 0
ORDER BY p.id, d.id;
"""


def _sizes_table(size: Size) -> pa.Table:
    sizes = zipf_sizes(size.accounts, size.documents, size.largest)
    offsets = [sum(sizes[:0])]
    for n in sizes[:-1]:
        offsets.append(offsets[-1] + n)
    return pa.table({"no": list(range(1, len(sizes) + 1)), "docs": sizes, "first_doc": offsets})


def _run(con: Any, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            con.execute(statement)


def _stage(con: Any, size: Size) -> None:
    """The generated accounts and documents in temporary tables (not yet in the store)."""
    con.register("bench_sizes", _sizes_table(size))
    _run(con, MACROS)
    con.execute(ACCOUNTS_SQL)
    con.execute(DOCS_SQL.format(start=date.fromordinal(END.toordinal() - DAYS + 1), end=END,
                                days=DAYS))  # fmt: skip
    con.unregister("bench_sizes")


def _load(con: Any, section: Section, rows: int) -> None:
    """Accounts, an import record, documents (timed beside a plain table), payments."""
    at = f"{END.isoformat()} 18:00:00+00"
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO account (code, name, parent_code, created_at) "
                f"SELECT code, name, NULL, TIMESTAMPTZ '{at}' FROM bench_acct ORDER BY no")
    batch = con.execute(
        "INSERT INTO import_batch (created_at, actor, file_name, sha256, kind, mapping_name, "
        "mapping_json, status, inserted, updated, unchanged, rejected, errors_json) "
        f"VALUES (TIMESTAMPTZ '{at}', 'bench', 'generated', 'bench', 'documents', '', '{{}}', "
        "'applied', ?, 0, 0, 0, '[]') RETURNING id", [rows]).fetchone()[0]  # fmt: skip
    select = DOC_SELECT.format(batch=batch, at=at)
    seconds, _ = timed(lambda: con.execute(f"INSERT INTO document ({DOC_COLUMNS}) {select}"))
    floor, _ = timed(lambda: con.execute(f"CREATE TEMP TABLE bench_plain AS {select}"))
    con.execute("DROP TABLE bench_plain")
    _run(con, PAYMENTS_SQL.format(batch=batch))
    con.execute("COMMIT")
    section.add(Row(f"insert {rows:,} documents into the portal's schema", seconds, floor,
                    note="floor: the same INSERT ... SELECT into a table with no index or key"))


def _add_buyers(url: str, codes: list[str]) -> list[tuple[str, str]]:
    """One buyer contact per account, all with PASSWORD (hashed once: bcrypt is slow on purpose)."""
    from lib import auth, people, store

    password_hash = auth.hash_password(PASSWORD)
    buyers = []
    with store.session_scope(url) as session:
        for n, code in enumerate(codes, 1):
            username = f"bench-buyer-{n:02d}"
            contact = people.add_contact(session, "bench", username=username, name=f"Buyer {n}",
                                         email=f"{username}@example.com", role="buyer")
            contact.password_hash = password_hash
            session.add(contact)
            people.grant(session, "bench", username, code)
            buyers.append((username, code))
    return buyers


def _describe(con: Any, section: Section) -> tuple[str, int]:
    """Notes on what was generated; returns the largest account's code and size."""
    code, largest = con.execute(
        "SELECT a.code, count(*) AS n FROM document d JOIN account a ON a.id = d.account_id "
        "GROUP BY a.code ORDER BY n DESC, a.code LIMIT 1").fetchone()  # fmt: skip
    counts = con.execute(
        "SELECT (SELECT count(*) FROM account), (SELECT count(*) FROM document), "
        "(SELECT count(*) FROM payment), (SELECT count(*) FROM allocation), "
        "(SELECT min(issue_date) FROM document), (SELECT max(issue_date) FROM document)"
    ).fetchone()
    mix = con.execute("SELECT currency, count(*) FROM document GROUP BY 1 ORDER BY 1").fetchall()
    section.notes.append(
        f"{counts[0]:,} accounts, {counts[1]:,} documents issued {counts[4]} to {counts[5]}, "
        f"{counts[2]:,} payments with {counts[3]:,} allocations; currencies "
        + ", ".join(f"{cur} {n:,}" for cur, n in mix)
        + f". Largest account {code}: {largest:,} documents (Zipf-like sizes).")
    return str(code), int(largest)


def _paths(workdir: Path) -> tuple[Path, str, Path, Path]:
    data_dir = (workdir / "store").resolve()
    return (data_dir, f"duckdb:///{data_dir / 'portal.duckdb'}", workdir / "documents.csv",
            workdir / "documents.xlsx")  # fmt: skip


def _reused(workdir: Path, size: Size) -> Dataset | None:
    import json

    manifest = workdir / "dataset.json"
    if not manifest.exists():
        return None
    saved = json.loads(manifest.read_text())
    if saved.get("size") != size.manifest():
        return None
    data = saved["dataset"]
    data["buyers"] = [tuple(pair) for pair in data["buyers"]]
    return Dataset(**data)


def build(size: Size, workdir: Path, reuse: bool = False) -> tuple[Dataset, Section]:
    """Generate the store, CSV and .xlsx into workdir (or reuse a matching earlier build)."""
    from lib import store

    section = Section("generate", "1. Generator: the benchmark's data")
    if reuse and (found := _reused(workdir, size)) is not None:
        section.notes.append("Reused the data generated by an earlier run (--reuse).")
        return found, section
    data_dir, url, csv_path, xlsx_path = _paths(workdir)
    store.close_all()
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    os.environ["PORTAL_DATA_DIR"] = str(data_dir)  # the store's cookie key is made there
    store.engine_for(url)
    with store.raw_connection(url) as con:
        section.add(Row("stage accounts and documents (hash-based SQL)", timed(
            lambda: _stage(con, size))[0]))  # fmt: skip
        _load(con, section, size.documents)
        code, largest = _describe(con, section)
    buyer_codes = [f"C{n:05d}" for n in range(1, BUYERS + 1)]
    buyers = _add_buyers(url, buyer_codes)
    write_exports(url, csv_path, xlsx_path, size, section)
    dataset = Dataset(str(data_dir), url, str(csv_path), str(xlsx_path), code, largest,
                      END.isoformat(), buyers)  # fmt: skip
    write_json(workdir / "dataset.json", {"size": size.manifest(), "dataset": asdict(dataset)})
    return dataset, section
