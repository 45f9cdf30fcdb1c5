"""Applying exports: real layouts, the Online Retail sample, idempotency, snapshots, corrections,
revert, and the payments, accounts and contacts kinds."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import select

from lib import store
from lib.access import Principal
from lib.corrections import PAID, correct_documents
from lib.errors import AccessDenied, PortalError
from lib.imports import (
    ImportOptions,
    Problem,
    import_problems,
    list_imports,
    problems_csv,
    revert_import,
    run_import,
)
from lib.models import AuditEvent, Document

SAMPLES = Path(__file__).resolve().parent / "data" / "imports"
RETAIL = Path(__file__).resolve().parent / "data" / "online_retail" / "online_retail_sample.csv"
DATA_TABLES = ("account", "document", "document_line", "payment", "allocation")
FINANCE = Principal("fiona", "finance")

LAYOUTS = {
    "sage50_uk_activity.csv": (
        {"number": "Ref", "doc_type": "Type", "account_code": "A/C", "account_name": "Name",
         "issue_date": "Date", "due_date": "Due on", "total": "Amount", "outstanding": "O/S",
         "description": "Details"}, ImportOptions(),
        {"invoice": 3, "credit_note": 1},
        {"invoice": {"GBP": "3730.50"}, "credit_note": {"GBP": "120.00"}},
        {"invoice": {"GBP": "2730.50"}, "credit_note": {"GBP": "120.00"}}),
    "sap_fbl5n_de.txt": (
        {"number": "Belegnummer", "doc_type": "Belegart", "account_code": "Kunde",
         "account_name": "Name 1", "issue_date": "Belegdatum", "due_date": "Nettofälligkeit",
         "total": "Betrag in Belegwährung", "currency": "Belegwährung",
         "po_reference": "Zuordnung", "description": "Text"},
        ImportOptions(decimal_comma=True, default_currency="EUR"),
        {"invoice": 2, "credit_note": 1},
        {"invoice": {"EUR": "13734.56"}, "credit_note": {"EUR": "234.56"}},
        {"invoice": {"EUR": "13734.56"}, "credit_note": {"EUR": "234.56"}}),
    "quickbooks_ar_aging_us.csv": (
        {"number": "Num", "doc_type": "Transaction type", "account_code": "Customer full name",
         "issue_date": "Date", "due_date": "Due date", "total": "Amount",
         "outstanding": "Open balance"}, ImportOptions(date_order="MDY", default_currency="USD"),
        {"invoice": 2, "credit_note": 1},
        {"invoice": {"USD": "1840.25"}, "credit_note": {"USD": "75.50"}},
        {"invoice": {"USD": "1340.25"}, "credit_note": {"USD": "75.50"}}),
    "business_central_ledger.txt": (
        {"number": "Document No.", "doc_type": "Document Type", "account_code": "Customer No.",
         "account_name": "Customer Name", "issue_date": "Posting Date", "due_date": "Due Date",
         "currency": "Currency Code", "total": "Original Amount",
         "outstanding": "Remaining Amount", "po_reference": "External Document No."},
        ImportOptions(), {"invoice": 2, "credit_note": 1},
        {"invoice": {"GBP": "4125.00", "USD": "980.40"}, "credit_note": {"GBP": "150.00"}},
        {"invoice": {"GBP": "4125.00", "USD": "0.00"}, "credit_note": {"GBP": "150.00"}}),
    "xero_invoices_lines.csv": (
        {"number": "InvoiceNumber", "doc_type": "Type", "account_code": "ContactName",
         "account_name": "ContactName", "issue_date": "InvoiceDate", "due_date": "DueDate",
         "currency": "Currency", "total": "Total", "paid": "InvoiceAmountPaid",
         "po_reference": "Reference", "erp_status": "Status",
         "line_item_code": "InventoryItemCode", "line_description": "Description",
         "line_quantity": "Quantity", "line_unit_price": "UnitAmount",
         "line_amount": "LineAmount"}, ImportOptions(),
        {"invoice": 2, "credit_note": 1},
        {"invoice": {"GBP": "1675.00"}, "credit_note": {"GBP": "50.00"}},
        {"invoice": {"GBP": "1100.00"}, "credit_note": {"GBP": "50.00"}}),
    "netsuite_pipe.txt": (
        {"number": "Document Number", "doc_type": "Type", "account_code": "Customer",
         "issue_date": "Date", "due_date": "Due Date/Receive By", "currency": "Currency",
         "total": "Amount (Transaction Total)", "outstanding": "Amount Remaining",
         "erp_status": "Status", "description": "Memo"}, ImportOptions(date_order="MDY"),
        {"invoice": 2, "credit_note": 1},
        {"invoice": {"USD": "15099.99"}, "credit_note": {"USD": "300.00"}},
        {"invoice": {"USD": "5000.00"}, "credit_note": {"USD": "300.00"}}),
    "zoho_decimal_comma.csv": (
        {"number": "Invoice Number", "account_code": "Customer ID",
         "account_name": "Customer Name", "issue_date": "Invoice Date", "due_date": "Due Date",
         "currency": "Currency Code", "total": "Total", "outstanding": "Balance"},
        ImportOptions(date_order="YMD", decimal_comma=True), {"invoice": 2, "credit_note": 1},
        {"invoice": {"EUR": "1334.40"}, "credit_note": {"EUR": "10.00"}},
        {"invoice": {"EUR": "1234.50"}, "credit_note": {"EUR": "10.00"}}),
    "freshbooks_lines.csv": (
        {"number": "Invoice #", "account_code": "Client Name", "issue_date": "Date Issued",
         "erp_status": "Invoice Status", "line_item_code": "Item Name",
         "line_description": "Item Description", "line_unit_price": "Rate",
         "line_quantity": "Quantity", "line_amount": "Line Total", "currency": "Currency"},
        ImportOptions(date_order="YMD"), {"invoice": 2},
        {"invoice": {"CAD": "259.99"}}, {"invoice": {"CAD": "259.99"}}),
}


def data_checksum(url: str) -> dict[str, str]:
    sums = store.content_checksum(url)
    return {t: sums[t] for t in DATA_TABLES}


def rows(url: str, sql: str, params: list | None = None) -> list[tuple]:
    with store.raw_connection(url) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_real_layout_imports_with_its_figures(url: str, name: str) -> None:
    mapping, options, counts, totals, outstanding = LAYOUTS[name]
    outcome = run_import(url, SAMPLES / name, name, kind="documents", mapping=mapping,
                         options=options, actor="fiona")
    preview = outcome.preview
    assert preview.errors == []
    assert (preview.documents, preview.totals_by_currency) == (counts, totals)
    assert preview.outstanding_by_currency == outstanding
    assert outcome.counts["inserted"] == sum(counts.values())
    stored = rows(url, "SELECT kind, currency, sum(total), sum(total - paid) FROM document "
                       "GROUP BY ALL")
    for kind, currency, total, open_amount in stored:
        assert total == Decimal(totals[kind][currency])
        assert open_amount == Decimal(outstanding[kind][currency])


def test_line_level_documents_keep_their_lines(url: str) -> None:
    mapping, options, *_ = LAYOUTS["xero_invoices_lines.csv"]
    run_import(url, SAMPLES / "xero_invoices_lines.csv", "x.csv", kind="documents",
               mapping=mapping, options=options, actor="fiona")
    lines = rows(url, "SELECT d.number, l.line_no, l.item_code, l.quantity, l.unit_price, l.amount "
                      "FROM document_line l JOIN document d ON d.id = l.document_id ORDER BY 1, 2")
    assert lines == [
        ("CN-0007", 1, "GB-R", Decimal("2"), Decimal("25"), Decimal("50")),
        ("INV-0041", 1, "GB-W", Decimal("10"), Decimal("25"), Decimal("250")),
        ("INV-0041", 2, "GB-R", Decimal("13"), Decimal("25"), Decimal("325")),
        ("INV-0042", 1, "SVC", Decimal("2"), Decimal("550"), Decimal("1100")),
    ]


def _retail_expected() -> pd.DataFrame:
    """Documents of the Online Retail sample computed independently with pandas and Decimal."""
    frame = pd.read_csv(RETAIL, dtype=str, keep_default_na=False)
    frame = frame[frame["CustomerID"] != "NA"]
    frame["amount"] = [Decimal(q) * Decimal(p) for q, p in zip(frame["Quantity"],
                                                                frame["UnitPrice"], strict=True)]
    docs = frame.groupby("InvoiceNo")["amount"].sum().reset_index()
    docs["kind"] = ["credit_note" if a < 0 else "invoice" for a in docs["amount"]]
    docs["total"] = [abs(a) for a in docs["amount"]]
    return docs


def test_online_retail_sample_against_an_independent_computation(url: str) -> None:
    expected = _retail_expected()
    mapping = {"number": "InvoiceNo", "account_code": "CustomerID", "issue_date": "InvoiceDate",
               "line_item_code": "StockCode", "line_description": "Description",
               "line_quantity": "Quantity", "line_unit_price": "UnitPrice"}
    options = ImportOptions(date_order="MDY")
    strict = run_import(url, RETAIL, RETAIL.name, kind="documents", mapping=mapping,
                        options=options, actor="fiona")
    assert not strict.applied and strict.preview.error_count == 668
    first = strict.preview.errors[0]
    assert (first.row, first.column, first.value) == (5, "CustomerID", "NA")
    assert "walk-in" in first.message
    outcome = run_import(url, RETAIL, RETAIL.name, kind="documents", mapping=mapping,
                         options=options, actor="fiona", valid_rows_only=True)
    preview = outcome.preview
    by_kind = expected.groupby("kind")
    assert preview.documents == {k: len(g) for k, g in by_kind}
    assert preview.totals_by_currency == {
        k: {"GBP": str(sum(g["total"], Decimal(0)).quantize(Decimal("0.01")))} for k, g in by_kind}
    assert outcome.counts["rejected"] == 668
    assert all(c.startswith("C") for c in expected[expected["kind"] == "credit_note"]["InvoiceNo"])
    stored = dict(rows(url, "SELECT number, total FROM document"))
    assert stored == {n: t for n, t in zip(expected["InvoiceNo"], expected["total"], strict=True)}
    assert import_problems(url, outcome.batch_id)[0].value == "NA"  # kept with the import


def test_the_same_file_twice_changes_nothing(url: str) -> None:
    mapping, options, counts, *_ = LAYOUTS["xero_invoices_lines.csv"]
    path = SAMPLES / "xero_invoices_lines.csv"
    run_import(url, path, path.name, kind="documents", mapping=mapping, options=options,
               actor="fiona")
    before = data_checksum(url)
    again = run_import(url, path, path.name, kind="documents", mapping=mapping, options=options,
                       actor="fiona")
    assert again.counts == {"inserted": 0, "updated": 0, "unchanged": 3, "marked_paid": 0,
                            "rejected": 0}
    assert data_checksum(url) == before
    assert [b.unchanged for b in list_imports(url)] == [3, 0]
    assert rows(url, "SELECT count(*) FROM audit_event WHERE action = 'import'") == [(2,)]


HEADER = "Number,Customer,Name,Date,Total,Paid\n"
MAPPING = {"number": "Number", "account_code": "Customer", "account_name": "Name",
           "issue_date": "Date", "total": "Total", "paid": "Paid"}


def feed(url: str, body: str, **kwargs: object) -> object:
    options = ImportOptions(snapshot=bool(kwargs.pop("snapshot", False)))
    return run_import(url, (HEADER + body).encode(), "feed.csv", kind="documents",
                      mapping=MAPPING, options=options, actor="feed", **kwargs)


def paid(url: str) -> dict[str, tuple[Decimal, Decimal]]:
    return {n: (p, f) for n, p, f in rows(url, "SELECT number, paid, feed_paid FROM document")}


def test_a_changed_row_updates_and_an_absent_row_is_left_alone(url: str) -> None:
    feed(url, "I1,ACME,Acme,01/03/2026,100,0\nI2,ACME,Acme,02/03/2026,200,0\n")
    outcome = feed(url, "I1,ACME,Acme,01/03/2026,120,20\n")
    assert outcome.counts["updated"] == 1
    assert rows(url, "SELECT number, total, paid FROM document ORDER BY 1") == [
        ("I1", Decimal("120"), Decimal("20")), ("I2", Decimal("200"), Decimal("0"))]


def test_a_complete_open_items_file_marks_what_it_omits_as_paid(url: str) -> None:
    feed(url, "I1,ACME,Acme,01/03/2026,100,0\nI2,ACME,Acme,02/03/2026,200,50\n"
              "I3,BETA,Beta,02/03/2026,300,0\n")
    outcome = feed(url, "I1,ACME,Acme,01/03/2026,100,0\n", snapshot=True)
    assert outcome.preview.changes["mark_paid"] == 1
    assert paid(url) == {"I1": (Decimal("0"), Decimal("0")), "I2": (Decimal(200), Decimal(200)),
                         "I3": (Decimal("0"), Decimal("0"))}  # BETA is not in the file


def test_correction_versus_feed(url: str) -> None:
    feed(url, "I1,ACME,Acme,01/03/2026,100,0\n")
    doc_id = rows(url, "SELECT id FROM document")[0][0]
    correct_documents(url, FINANCE, [doc_id], PAID, "paid by cheque, not in the ERP yet")
    feed(url, "I1,ACME,Acme,01/03/2026,100,0\n")  # the feed repeats what it said before
    assert paid(url)["I1"] == (Decimal(100), Decimal(0))  # the correction stays
    feed(url, "I1,ACME,Acme,01/03/2026,100,40\n")  # the feed reports a change
    assert paid(url)["I1"] == (Decimal(40), Decimal(40))
    with store.session_scope(url) as session:
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "correction_superseded")).one()
        doc = session.exec(select(Document)).one()
    detail = json.loads(event.detail_json)
    assert (event.target, event.account_code) == ("invoice I1", "ACME")
    assert Decimal(str(detail["before"]["paid"])) == 100
    assert Decimal(str(detail["after"]["paid"])) == 40
    assert "cheque" in detail["before"]["correction_note"] and doc.correction_note == ""


def test_staff_see_a_correction_in_force_and_the_feed_value_that_replaced_it(url: str) -> None:
    from lib import corrections

    feed(url, "I1,ACME,Acme,01/03/2026,100,0\n")
    doc_id = rows(url, "SELECT id FROM document")[0][0]
    correct_documents(url, FINANCE, [doc_id], PAID, "paid by cheque, not in the ERP yet")
    with store.session_scope(url) as session:
        shown = corrections.corrected_documents(session, FINANCE, "ACME")
        with pytest.raises(AccessDenied):
            corrections.corrected_documents(session, Principal("bea", "buyer"), "ACME")
    assert shown[["Number", "Paid (corrected)", "Paid (ERP)"]].values.tolist() == [
        ["I1", "100.00 GBP", "0.00 GBP"]]
    assert "cheque" in shown["Note"][0]
    replaced = feed(url, "I1,ACME,Acme,01/03/2026,100,40\n")
    with store.session_scope(url) as session:
        assert corrections.corrected_documents(session, FINANCE, "ACME").empty
        history = corrections.correction_history(session, FINANCE, doc_id)
    assert history["Correction"].tolist() == [
        f"replaced by import {replaced.batch_id}: the ERP reported a new amount", "paid"]
    assert history[["Paid before", "Paid after"]].values.tolist() == [
        ["100.00 GBP", "40.00 GBP"], ["0.00 GBP", "100.00 GBP"]]
    assert "cheque" in history["Note"][0] and history["By"].tolist() == ["feed", "fiona"]


def test_revert_restores_the_previous_values_and_removes_what_it_inserted(url: str) -> None:
    feed(url, "I1,ACME,Acme,01/03/2026,100,0\n")
    before = data_checksum(url)
    second = feed(url, "I1,ACME,Acme,01/03/2026,150,10\nI2,NEWCO,New Co,02/03/2026,70,0\n")
    assert second.counts["inserted"] == 1 and second.counts["updated"] == 1
    with pytest.raises(PortalError, match="Only the latest import"):
        revert_import(url, second.batch_id - 1, "fiona")
    result = revert_import(url, second.batch_id, "fiona")
    assert result == {"restored": 1, "removed": 1, "accounts_removed": 1}
    assert data_checksum(url) == before
    assert [b.status for b in list_imports(url)] == ["reverted", "applied"]


def test_a_revert_stopped_between_its_steps_is_finished_by_reverting_again(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lib.imports import history

    feed(url, "I1,ACME,Acme,01/03/2026,100,0\n")
    before = data_checksum(url)
    second = feed(url, "I1,ACME,Acme,01/03/2026,150,10\nI2,NEWCO,New Co,02/03/2026,70,0\n")

    def crash(*_: object) -> int:
        raise RuntimeError("the process died here")

    with monkeypatch.context() as patched:
        patched.setattr(history, "_remove_inserted", crash)
        with pytest.raises(RuntimeError):
            revert_import(url, second.batch_id, "fiona")
    assert [b.status for b in list_imports(url)] == ["reverting", "applied"]
    latest = history.latest_import(url)
    assert latest is not None and latest.id == second.batch_id  # offered again, to finish
    # Another import would make it no longer the latest, so it could never be finished.
    unchanged = data_checksum(url)
    with pytest.raises(PortalError, match=f"Import {second.batch_id} was being reverted"):
        feed(url, "I3,ACME,Acme,03/03/2026,30,0\n")
    assert data_checksum(url) == unchanged
    result = revert_import(url, second.batch_id, "fiona")
    assert result == {"restored": 0, "removed": 1, "accounts_removed": 1}
    assert data_checksum(url) == before
    assert [b.status for b in list_imports(url)] == ["reverted", "applied"]
    assert feed(url, "I3,ACME,Acme,03/03/2026,30,0\n").counts["inserted"] == 1


def test_revert_is_refused_once_a_document_was_corrected(url: str) -> None:
    outcome = feed(url, "I1,ACME,Acme,01/03/2026,100,0\n")
    doc_id = rows(url, "SELECT id FROM document")[0][0]
    correct_documents(url, FINANCE, [doc_id], PAID, "settled by phone")
    with pytest.raises(PortalError, match="changed since"):
        revert_import(url, outcome.batch_id, "fiona")


def test_revert_of_a_line_level_update_brings_the_old_lines_back(url: str) -> None:
    head = "No,Customer,Date,Item,Qty,Price\n"
    mapping = {"number": "No", "account_code": "Customer", "issue_date": "Date",
               "line_item_code": "Item", "line_quantity": "Qty", "line_unit_price": "Price"}

    def lines(body: str) -> object:
        return run_import(url, (head + body).encode(), "l.csv", kind="documents",
                          mapping=mapping, options=ImportOptions(), actor="t")

    lines("A1,C1,01/03/2026,X,1,10\nA1,C1,01/03/2026,Y,2,5\n")
    before = data_checksum(url)
    changed = lines("A1,C1,01/03/2026,X,3,10\n")
    assert changed.counts["updated"] == 1
    assert rows(url, "SELECT item_code, quantity FROM document_line") == [("X", Decimal(3))]
    revert_import(url, changed.batch_id, "t")
    assert data_checksum(url) == before


def test_valid_rows_only_applies_the_rest_and_keeps_the_rejected_rows(url: str) -> None:
    body = "I1,ACME,Acme,01/03/2026,100,0\nI2,ACME,Acme,31/02/2026,100,0\n"
    strict = feed(url, body)
    assert not strict.applied and rows(url, "SELECT count(*) FROM document") == [(0,)]
    outcome = feed(url, body, valid_rows_only=True)
    assert outcome.counts["inserted"] == 1 and outcome.counts["rejected"] == 1
    kept = import_problems(url, outcome.batch_id)
    assert [(p.row, p.column, p.value) for p in kept] == [(3, "Date", "31/02/2026")]


def test_dry_run_json_has_the_documented_keys(url: str) -> None:
    outcome = feed(url, "I1,ACME,Acme,01/03/2026,100,0\nI2,ACME,Acme,x,1,0\n", dry_run=True)
    data = json.loads(json.dumps(outcome.preview.to_json_dict()))
    for key in ("mapping", "rows_read", "documents", "totals_by_currency",
                "outstanding_by_currency", "accounts_new", "errors"):
        assert key in data
    assert data["errors"] == [{"row": 3, "column": "Date", "value": "x",
                               "message": "not a date in the day/month/year order "
                                          "(e.g. 31/03/2026)"}]
    assert rows(url, "SELECT count(*) FROM import_batch") == [(0,)]


def test_problems_download_as_csv_that_no_spreadsheet_runs() -> None:
    text = problems_csv([Problem(7, "Total", "=HYPERLINK(\"x\")", "not a number")])
    assert text.splitlines() == ["row,column,value,message",
                                 '7,Total,"\'=HYPERLINK(""x"")",not a number']


def test_payments_with_allocations(url: str) -> None:
    mapping, options, *_ = LAYOUTS["sage50_uk_activity.csv"]
    run_import(url, SAMPLES / "sage50_uk_activity.csv", "s.csv", kind="documents",
               mapping=mapping, options=options, actor="t")
    pay_map = {"reference": "Reference", "account_code": "Customer", "payment_date": "Date",
               "currency": "Currency", "amount": "Amount", "applied_document": "Invoice",
               "applied_amount": "Applied"}
    path = SAMPLES / "payments_allocations.csv"
    outcome = run_import(url, path, path.name, kind="payments", mapping=pay_map,
                         options=ImportOptions(), actor="t")
    assert outcome.preview.errors == [] and outcome.counts["inserted"] == 2
    assert rows(url, "SELECT p.reference, d.number, a.amount FROM allocation a JOIN payment p "
                     "ON p.id = a.payment_id JOIN document d ON d.id = a.document_id "
                     "ORDER BY 1, 2") == [("RCPT-1", "SI-1001", Decimal(800)),
                                          ("RCPT-1", "SI-1002", Decimal(200)),
                                          ("RCPT-2", "SI-1003", Decimal(500))]
    again = run_import(url, path, path.name, kind="payments", mapping=pay_map,
                       options=ImportOptions(), actor="t")
    assert again.counts["unchanged"] == 2
    revert_import(url, again.batch_id, "t")
    revert_import(url, outcome.batch_id, "t")
    assert rows(url, "SELECT count(*) FROM payment") == [(0,)]


def test_accounts_file_creates_and_renames(url: str) -> None:
    feed(url, "I1,ACME01,Old name,01/03/2026,100,0\n")
    mapping = {"code": "No.", "name": "Name", "parent_code": "Bill-to Customer No."}
    path = SAMPLES / "accounts_list.csv"
    outcome = run_import(url, path, path.name, kind="accounts", mapping=mapping,
                         options=ImportOptions(), actor="t")
    assert outcome.counts == {"inserted": 2, "updated": 1, "unchanged": 0, "rejected": 0}
    assert rows(url, "SELECT code, name, parent_code FROM account ORDER BY 1") == [
        ("ACME01", "Acme Trading Limited", None), ("ACME02", "Acme Trading (North)", "ACME01"),
        ("BRIG02", "Brighton Gifts", None)]
    revert_import(url, outcome.batch_id, "t")
    assert rows(url, "SELECT code, name FROM account") == [("ACME01", "Old name")]


def test_contacts_are_validated_and_handed_back_not_written(url: str) -> None:
    feed(url, "I1,ACME01,Acme,01/03/2026,100,0\nI2,BRIG02,Brighton,01/03/2026,100,0\n")
    before = store.content_checksum(url)
    path = SAMPLES / "contacts_list.csv"
    outcome = run_import(url, path, path.name, kind="contacts",
                         mapping={"email": "Email", "name": "Name",
                                  "account_code": "Account Code", "branch": "Branch"},
                         options=ImportOptions(), actor="t")
    assert not outcome.applied and store.content_checksum(url) == before
    assert [(p.row, p.value) for p in outcome.preview.errors] == [(3, "ACME02")]
    assert outcome.preview.records == [
        {"row": 2, "username": "jo@acme.example", "email": "jo@acme.example",
         "name": "Jo Smith", "account_code": "ACME01", "branch": ""},
        {"row": 4, "username": "sam@brighton.example", "email": "sam@brighton.example",
         "name": "Sam Lee", "account_code": "BRIG02", "branch": ""}]


def test_an_import_waits_while_a_revert_holds_its_turn_and_a_preview_does_not(url: str) -> None:
    """A revert runs in three transactions; an import applied between them would become the
    latest while the revert still removes rows. The import waits; its preview does not."""
    import threading

    from lib.imports import history

    feed(url, "I1,ACME,Acme,01/03/2026,100,0\n")
    done: list[object] = []
    with history.APPLY_OR_REVERT:  # a revert under way
        preview = feed(url, "I2,ACME,Acme,02/03/2026,70,0\n", dry_run=True)
        assert preview.batch_id is None and preview.preview.ok
        worker = threading.Thread(
            target=lambda: done.append(feed(url, "I2,ACME,Acme,02/03/2026,70,0\n")))
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive() and not done  # waiting for its turn
        assert {n for (n,) in rows(url, "SELECT number FROM document")} == {"I1"}
    worker.join(timeout=60)
    assert done and done[0].counts["inserted"] == 1
