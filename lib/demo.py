"""A realistic demo company's ledger, generated deterministically into an empty store."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from lib import clock, store, versions
from lib.errors import PortalError
from lib.money import quantize

# code, name, parent, currencies, branches. The first three are the showcase accounts.
ACCOUNTS: list[tuple[str, str, str, str, str]] = [
    ("BRAM-LDS", "Bramwell Home Leeds", "BRAM-HO", "GBP", ""),
    ("BRAM-YRK", "Bramwell Home York", "BRAM-HO", "GBP", ""),
    ("KELLER", "Keller Wohnen & Geschenke GmbH", "", "EUR", ""),
    ("BRAM-HO", "Bramwell Home Group Ltd", "", "GBP", ""),
    ("BRAM-HGT", "Bramwell Home Harrogate", "BRAM-HO", "GBP", ""),
    ("HOLL01", "Hollins & Pratt Garden Centres Ltd", "", "GBP", "North,South"),
    ("RIVE01", "Riverside Garden Centre", "", "GBP", "North,South"),
    ("ATLAS-TR", "Atlas Travel Retail Ltd", "", "GBP,EUR", ""),
    ("MAISON-LY", "Maison Lumière SARL", "", "EUR", ""),
    ("CASA-BCN", "Casa Nolla S.L.", "", "EUR", ""),
    ("BLOEM-AMS", "Bloem & Zoon B.V.", "", "EUR", ""),
    ("LUCE-MIL", "Luce di Casa S.r.l.", "", "EUR", ""),
    ("LIFFEY", "Liffey Gifts Ltd", "", "EUR", ""),
    ("NORDLYS", "Nordlys Interiør ApS", "", "EUR", ""),
    ("WIEN-TK", "Wiener Tischkultur GmbH", "", "EUR", ""),
    ("VDBEKE", "Atelier Vanderbeke BV", "", "EUR", ""),
    ("DOURO", "Casa do Douro Lda", "", "EUR", ""),
] + [
    (code, name, "", "GBP", "")
    for code, name in [
        ("HARB01", "Harbour Lane Gifts"), ("PENN01", "Pennyworth Department Store"),
        ("THIS01", "Thistle & Thimble Crafts"), ("COAL01", "Coal Exchange Emporium"),
        ("MERC01", "Mercer's Yard Homeware"), ("WILD01", "Wildflower Farm Shop"),
        ("ABBE01", "Abbey Street Interiors"), ("CAST01", "Castlegate Kitchen Co."),
        ("SEAG01", "Seagull Cove Souvenirs"), ("OAKF01", "Oakfield Hardware & Home"),
        ("LANT01", "Lantern House Gifts"), ("PEAR01", "Pear Tree Nursery Shop"),
        ("MARK01", "Market Cross Stationers"), ("ORCH01", "Orchard & Vine Delicatessen"),
        ("BELL01", "Bellfield Toy Shop"), ("HIGH01", "Highgate Kitchenware"),
        ("STON01", "Stonebridge Antiques & Gifts"), ("WELL01", "Wellington Arcade Boutique"),
        ("FERN01", "Fernhill Florists"), ("QUAY01", "Quayside Card & Gift"),
        ("TWEE01", "Tweed & Heather Highland Shop"), ("BRIG01", "Brighton Pier Novelties"),
        ("COTS01", "Cotswold Hamper Company"), ("CARD01", "Cardiff Bay Homestore"),
        ("NORW01", "Norwich Lanes Emporium"), ("BATH01", "Bath Crescent Gifts"),
        ("CHES01", "Chester Rows Giftware"), ("LAKE01", "Lakeland Lodge Shop"),
    ]
]  # fmt: skip
# item code|description|unit price in GBP (EUR 17% higher), after products of the UCI
# "Online Retail" data set (Daqing Chen, CC BY 4.0), a UK gift-ware wholesaler's real range.
CATALOGUE: list[tuple[str, ...]] = [tuple(item.split("|")) for item in (
    "85123A|White hanging heart T-light holder|2.55", "71053|White metal lantern|3.39",
    "84406B|Cream Cupid hearts coat hanger|2.75", "22423|Regency cakestand 3 tier|10.95",
    "47566|Party bunting|4.65", "84879|Assorted colour bird ornament|1.69",
    "22720|Set of 3 cake tins Pantry design|4.95", "21212|Pack of 72 retrospot cake cases|0.55",
    "22086|Paper chain kit 50's Christmas|2.95", "20725|Lunch bag red retrospot|1.65",
    "22457|Natural slate heart chalkboard|2.95", "23203|Jumbo bag vintage doily|2.08",
    "22960|Jam making set with jars|4.25", "21034|Rex cash+carry jumbo shopper|0.95",
    "22197|Popcorn holder|0.85", "84946|Antique silver tea glass etched|1.25",
    "22469|Heart of wicker small|1.65", "22961|Jam making set printed|1.45",
    "21754|Home building block word|5.95", "22111|Scottie dog hot water bottle|4.95",
    "48138|Doormat Union flag|7.95", "22834|Hand warmer babushka design|2.10",
    "23298|Spotty bunting|4.95", "22383|Lunch bag suki design|1.65",
)]  # fmt: skip
# profile: (days paid after the due date: low, high; share never paid; share part-paid)
PROFILES = {"prompt": (-6, 3, 0.0, 0.02), "slow": (5, 55, 0.03, 0.06),
            "struggling": (20, 130, 0.25, 0.15)}  # fmt: skip
VOID_WORDS = ("VOID", "VOID", "Cancelled")
HISTORY_DAYS = 730
ZERO = Decimal("0")


@dataclass
class _Plan:
    """Rows to insert, built in Python, inserted set-wise."""

    docs: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    allocations: list[dict[str, Any]] = field(default_factory=list)


def _profile(rng: random.Random, index: int) -> str:
    """Showcase accounts get fixed habits; the rest a mix, mostly good payers."""
    fixed = {0: "slow", 1: "prompt", 2: "struggling"}
    return fixed.get(index) or rng.choices(list(PROFILES), weights=(5, 3, 1))[0]


def _lines(rng: random.Random, currency: str, count: int) -> tuple[list[dict[str, Any]], Decimal]:
    """Product lines (plus VAT at 20% for GBP) and the document's total."""
    rows, net = [], ZERO
    for item, text, price in rng.sample(CATALOGUE, count):
        unit = quantize(Decimal(price) * (Decimal("1.17") if currency == "EUR" else 1), currency)
        qty = Decimal(rng.choice((6, 12, 12, 24, 36, 48, 96)))
        amount = quantize(unit * qty, currency)
        rows.append({"item_code": item, "description": text, "quantity": qty,
                     "unit_price": unit, "amount": amount})  # fmt: skip
        net += amount
    if currency == "GBP":
        vat = quantize(net * Decimal("0.2"), currency)
        rows.append({"item_code": "VAT", "description": "VAT 20%", "quantity": Decimal(1),
                     "unit_price": vat, "amount": vat})  # fmt: skip
        net += vat
    return rows, net


def _settle(rng: random.Random, profile: str, total: Decimal, issued: date, due: date,
            today: date, currency: str) -> tuple[Decimal, date | None]:  # fmt: skip
    """What has been paid by today, and on which day (None when nothing)."""
    low, high, never, partial = PROFILES[profile]
    day = due + timedelta(rng.randint(low, high))
    part = quantize(total * Decimal(rng.choice(("0.25", "0.4", "0.5", "0.6"))), currency)
    if rng.random() < never or day > today:
        # Not settled yet; some buyers have paid part of it on account already.
        early = issued + timedelta(rng.randint(5, 12))
        return (part, early) if early <= today and rng.random() < 0.2 else (ZERO, None)
    return (part, day) if rng.random() < partial else (total, day)


def _document(plan: _Plan, rng: random.Random, account: tuple[str, str, str, str, str],
              currency: str, issued: date, today: date, profile: str) -> None:  # fmt: skip
    """One invoice, maybe void, maybe followed by a credit note; its payment if any."""
    code, branches = account[0], [b for b in account[4].split(",") if b]
    terms = 60 if code.startswith("BRAM") else rng.choice((30, 30, 30, 14))
    lines, total = _lines(rng, currency, rng.randint(1, 6))
    if rng.random() < 0.12:  # some invoices arrive without their lines
        lines = []
    status = rng.choice(VOID_WORDS) if rng.random() < 0.02 else ""
    due = issued + timedelta(terms)
    paid, day = (ZERO, None) if status else _settle(rng, profile, total, issued, due, today,
                                                    currency)  # fmt: skip
    po_reference = f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.7 else ""
    doc = {"kind": "invoice", "account_code": code, "issue_date": issued, "due_date": due,
           "currency": currency, "total": total, "paid": paid, "po_reference": po_reference,
           "branch": rng.choice(branches) if branches else "", "description": "",
           "erp_status": status, "lines": lines, "paid_on": day}  # fmt: skip
    plan.docs.append(doc)
    returned = issued + timedelta(rng.randint(3, 25))
    if lines and not status and returned <= today and rng.random() < 0.06:
        back, credit = _lines(rng, currency, 1)
        for row in back:
            row["description"] = "Return: " + row["description"]
        # Credit is used once the invoice is settled and a later remittance came round.
        used = doc["paid_on"] is not None and (today - returned).days > 45
        plan.docs.append({**doc, "kind": "credit_note", "issue_date": returned,
                          "due_date": returned, "total": credit, "paid": credit if used else ZERO,
                          "description": "Goods returned", "lines": back,
                          "paid_on": None})  # fmt: skip


def _plan(today: date, seed: int) -> _Plan:
    """Every account's two years of documents, numbered by issue date."""
    rng = random.Random(seed)  # noqa: S311  # demo data, nothing secret
    plan = _Plan()
    for index, account in enumerate(ACCOUNTS):
        profile = _profile(rng, index)
        start = today - timedelta(HISTORY_DAYS if index < 3 or rng.random() < 0.85
                                  else rng.randint(60, 360))  # fmt: skip
        for currency in account[3].split(","):
            issued = start + timedelta(rng.randint(0, 20))
            busy = bool(account[2]) or index < 3  # group members and showcases order often
            while issued <= today:
                _document(plan, rng, account, currency, issued, today, profile)
                issued += timedelta(rng.randint(6, 30) if busy else rng.randint(8, 45))
    _overpay_one(plan)
    plan.docs.sort(key=lambda d: (d["issue_date"], d["account_code"], d["kind"]))
    counters = {"invoice": 24001, "credit_note": 5001}
    for doc in plan.docs:
        doc["number"] = f"{'INV' if doc['kind'] == 'invoice' else 'CN'}-{counters[doc['kind']]}"
        counters[doc["kind"]] += 1
    _payments(plan, rng, today)
    return plan


def _overpay_one(plan: _Plan) -> None:
    """One paid invoice was overpaid by 10.00: a credit the buyer holds."""
    paid = [d for d in plan.docs if d["kind"] == "invoice" and d["paid"] == d["total"] > 0]
    if paid:
        paid[len(paid) // 2]["paid"] += Decimal("10.00")


def _payments(plan: _Plan, rng: random.Random, today: date) -> None:
    """Receipts with allocations for about half the accounts: one per account, currency and week."""
    dated = {a[0] for i, a in enumerate(ACCOUNTS) if i < 3 or rng.random() < 0.5}
    runs: dict[tuple[str, str, date], list[dict[str, Any]]] = {}
    for doc in plan.docs:
        if doc["kind"] == "invoice" and doc["paid_on"] and doc["account_code"] in dated:
            friday = doc["paid_on"] + timedelta((4 - doc["paid_on"].weekday()) % 7)  # pay run
            day = friday if friday <= today else doc["paid_on"]
            runs.setdefault((doc["account_code"], doc["currency"], day), []).append(doc)
    ordered = sorted(runs.items(), key=lambda run: (run[0][2], run[0][0]))
    for number, ((code, currency, day), docs) in enumerate(ordered):
        reference = f"RCPT-{10001 + number}"
        amount = sum((d["paid"] for d in docs), ZERO)
        plan.payments.append({"reference": reference, "account_code": code, "payment_date": day,
                              "currency": currency, "amount": amount})  # fmt: skip
        plan.allocations += [{"reference": reference, "kind": "invoice", "number": d["number"],
                              "amount": d["paid"]} for d in docs]  # fmt: skip


def _table(rows: list[dict[str, Any]], types: dict[str, pa.DataType]) -> pa.Table:
    """An Arrow table with exact types (DECIMAL, DATE) for DuckDB to insert from."""
    return pa.table({name: pa.array([row[name] for row in rows], type=kind)
                     for name, kind in types.items()})  # fmt: skip


MONEY, TEXT, DAY = pa.decimal128(18, 4), pa.string(), pa.date32()


def _line_rows(plan: _Plan) -> list[dict[str, Any]]:
    return [{**line, "kind": doc["kind"], "number": doc["number"], "line_no": n}
            for doc in plan.docs for n, line in enumerate(doc["lines"], 1)]  # fmt: skip


def _insert(con: Any, plan: _Plan, loaded_at: datetime, checksum: str) -> None:
    """Everything in one transaction, set-wise: Arrow tables joined on natural keys for ids."""
    batch = con.execute(
        "INSERT INTO import_batch (created_at, actor, file_name, sha256, kind, mapping_name, "
        "mapping_json, status, inserted, updated, unchanged, rejected, errors_json) "
        "VALUES (?, 'demo', 'demo ledger', ?, 'demo', '', '{}', 'applied', ?, 0, 0, 0, '[]') "
        "RETURNING id", [loaded_at, checksum, len(plan.docs)]).fetchone()[0]  # fmt: skip
    con.register("demo_accounts", _table(
        [{"code": a[0], "name": a[1], "parent": a[2] or None} for a in ACCOUNTS],
        {"code": TEXT, "name": TEXT, "parent": TEXT}))  # fmt: skip
    con.execute("INSERT INTO account (code, name, parent_code, created_at) "
                "SELECT code, name, parent, ? FROM demo_accounts", [loaded_at])  # fmt: skip
    con.register("demo_docs", _table(plan.docs, {
        "kind": TEXT, "number": TEXT, "account_code": TEXT, "issue_date": DAY, "due_date": DAY,
        "currency": TEXT, "total": MONEY, "paid": MONEY, "po_reference": TEXT, "branch": TEXT,
        "description": TEXT, "erp_status": TEXT}))  # fmt: skip
    con.execute(
        "INSERT INTO document (kind, number, account_id, issue_date, due_date, currency, total, "
        "paid, feed_paid, correction_note, po_reference, branch, description, erp_status, "
        "import_id, updated_at) SELECT d.kind, d.number, a.id, d.issue_date, d.due_date, "
        "d.currency, d.total, d.paid, d.paid, '', d.po_reference, d.branch, d.description, "
        "d.erp_status, ?, ? FROM demo_docs d JOIN account a ON a.code = d.account_code",
        [batch, loaded_at])  # fmt: skip
    con.register("demo_lines", _table(_line_rows(plan), {
        "kind": TEXT, "number": TEXT, "line_no": pa.int32(), "item_code": TEXT,
        "description": TEXT, "quantity": MONEY, "unit_price": MONEY, "amount": MONEY}))  # fmt: skip
    con.execute(
        "INSERT INTO document_line (document_id, line_no, item_code, description, quantity, "
        "unit_price, amount) SELECT d.id, l.line_no, l.item_code, l.description, l.quantity, "
        "l.unit_price, l.amount FROM demo_lines l "
        "JOIN document d ON d.kind = l.kind AND d.number = l.number")  # fmt: skip
    _insert_payments(con, plan, batch)


def _insert_payments(con: Any, plan: _Plan, batch: int) -> None:
    con.register("demo_payments", _table(plan.payments, {
        "reference": TEXT, "account_code": TEXT, "payment_date": DAY, "currency": TEXT,
        "amount": MONEY}))  # fmt: skip
    con.execute(
        "INSERT INTO payment (reference, account_id, payment_date, currency, amount, import_id) "
        "SELECT p.reference, a.id, p.payment_date, p.currency, p.amount, ? "
        "FROM demo_payments p JOIN account a ON a.code = p.account_code", [batch])  # fmt: skip
    con.register("demo_allocations", _table(plan.allocations, {
        "reference": TEXT, "kind": TEXT, "number": TEXT, "amount": MONEY}))  # fmt: skip
    con.execute(
        "INSERT INTO allocation (payment_id, document_id, amount) "
        "SELECT p.id, d.id, x.amount FROM demo_allocations x "
        "JOIN payment p ON p.reference = x.reference "
        "JOIN document d ON d.kind = x.kind AND d.number = x.number")  # fmt: skip


def _checksum(plan: _Plan) -> str:
    """A fingerprint of the generated ledger (the same seed and date give the same one)."""
    text = "\n".join(f"{d['number']}|{d['account_code']}|{d['total']}|{d['paid']}"
                     for d in plan.docs)  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def load_demo_ledger(url: str, *, today: date, seed: int = 7) -> list[str]:
    """Fill an empty store with the demo company; returns its account codes, showcase first."""
    plan = _plan(today, seed)
    loaded_at = clock.now()  # when the records were loaded: "records current as of"
    with store.raw_connection(url) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            counts = con.execute("SELECT (SELECT count(*) FROM document) + "
                                 "(SELECT count(*) FROM account)").fetchone()[0]  # fmt: skip
            if counts:
                raise PortalError("The store already has accounts or documents: "
                                  "the demo company loads into an empty store only.")  # fmt: skip
            _insert(con, plan, loaded_at, _checksum(plan))
            versions.mark_native(con, "demo")
            versions.commit_native(con)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            for view in ("accounts", "docs", "lines", "payments", "allocations"):
                con.unregister(f"demo_{view}")
    return [account[0] for account in ACCOUNTS]
