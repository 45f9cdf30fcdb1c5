"""Column-mapping suggestions and saved mappings, on sample exports in real ERP layouts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lib.imports import mapping
from lib.imports.mapping import (
    MappingError,
    find_saved_mapping,
    get_mapping,
    header_signature,
    list_mappings,
    mapping_for_headers,
    save_mapping,
    saved_options,
    suggest_mapping,
)

ERP = Path(__file__).resolve().parent / "data" / "erp"
ROOT = Path(__file__).resolve().parent.parent
RETAIL = ROOT / "tests" / "data" / "online_retail" / "online_retail_sample.csv"


def read_headers(path: Path) -> list[str]:
    """The header row of a sample: sniffs encoding and delimiter, skips title rows.

    A stand-in for the importer's own reader, just enough for these samples.
    """
    if path.suffix == ".xlsx":
        sheet = load_workbook(path, read_only=True).worksheets[0]
        rows = [["" if v is None else str(v) for v in row]
                for row in sheet.iter_rows(max_row=40, values_only=True)]
    else:
        text = _decode(path.read_bytes())
        lines = text.splitlines()[:40]
        delimiter = max(",;\t|", key=lambda d: max(line.count(d) for line in lines))
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    widest = max(sum(1 for cell in row if cell.strip()) for row in rows)
    header = next(row for row in rows if sum(1 for c in row if c.strip()) >= 0.6 * widest)
    return [cell.strip() for cell in header]


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


# file, kind, layout, expected columns for fields (the required ones first), date order
CASES = [
    ("xero_sales_invoices.csv", "documents", "xero",
     {"number": "InvoiceNumber", "account_code": "ContactName", "issue_date": "InvoiceDate",
      "total": "Total", "paid": "InvoiceAmountPaid", "outstanding": "InvoiceAmountDue",
      "line_amount": "LineAmount", "doc_type": "Type", "currency": "Currency"}, None),
    ("quickbooks_online_ar_aging_detail.csv", "documents", "quickbooks_online",
     {"number": "Num", "account_code": "Customer full name", "issue_date": "Date",
      "total": "Amount", "outstanding": "Open balance", "due_date": "Due date",
      "doc_type": "Transaction type"}, "MDY"),
    ("quickbooks_online_invoice_list.csv", "documents", "quickbooks_online",
     {"number": "Num", "account_code": "Name", "account_name": "Name", "issue_date": "Date",
      "total": "Amount", "outstanding": "Open balance", "description": "Memo/Description"},
     "MDY"),
    ("quickbooks_desktop_ar_aging_detail.csv", "documents", "quickbooks_desktop",
     {"number": "Num", "account_code": "Name", "issue_date": "Date", "total": "Amount",
      "outstanding": "Open Balance", "po_reference": "P. O. #", "doc_type": "Type"}, "MDY"),
    ("sage50_uk_customer_activity.csv", "documents", "sage50_uk",
     {"number": "Ref", "account_code": "A/C", "issue_date": "Date", "total": "Amount",
      "outstanding": "O/S", "due_date": "Due on", "account_name": "Name"}, "DMY"),
    ("sage50_us_sales_journal.csv", "documents", "sage50_us",
     {"number": "Invoice/CM #", "account_code": "Customer ID", "issue_date": "Date",
      "total": "Accounts Receivable Amount", "line_amount": "Amount", "due_date": "Date Due",
      "doc_type": "Credit Memo"}, "MDY"),
    ("sap_fbl5n_de.csv", "documents", "sap_fbl5n_de",
     {"number": "Belegnummer", "account_code": "Kunde", "issue_date": "Belegdatum",
      "total": "Betrag in Hauswährung", "currency": "Hauswährung",
      "due_date": "Nettofälligkeit", "doc_type": "Belegart"}, "DMY"),
    ("sap_fbl5n_en.txt", "documents", "sap_fbl5n_en",
     {"number": "Document Number", "account_code": "Customer", "issue_date": "Document Date",
      "total": "Amount in local currency", "currency": "Local Currency",
      "due_date": "Net due date"}, None),
    ("business_central_customer_ledger_entries.xlsx", "documents", "business_central",
     {"number": "Document No.", "account_code": "Customer No.", "issue_date": "Posting Date",
      "total": "Original Amount", "outstanding": "Remaining Amount",
      "currency": "Currency Code", "po_reference": "External Document No."}, None),
    ("netsuite_open_invoices.csv", "documents", "netsuite",
     {"number": "Document Number", "account_code": "Name", "issue_date": "Date",
      "total": "Amount", "outstanding": "Amount Remaining", "due_date": "Due Date/Receive By",
      "po_reference": "PO/Check Number"}, "MDY"),
    ("odoo_customer_invoices.csv", "documents", "odoo",
     {"number": "Number", "account_code": "Partner", "issue_date": "Invoice/Bill Date",
      "total": "Total", "outstanding": "Amount Due", "doc_type": "Type"}, "YMD"),
    ("erpnext_sales_invoices.csv", "documents", "erpnext",
     {"number": "Name", "account_code": "Customer", "issue_date": "Date",
      "total": "Grand Total", "outstanding": "Outstanding Amount",
      "due_date": "Payment Due Date", "doc_type": "Is Return (Credit Note)",
      "account_name": "Customer Name"}, "DMY"),
    ("erpnext_accounts_receivable.csv", "documents", "erpnext_ar",
     {"number": "Voucher No", "account_code": "Customer", "issue_date": "Posting Date",
      "total": "Invoiced Amount", "paid": "Paid Amount",
      "outstanding": "Outstanding Amount"}, "DMY"),
    ("myob_accountright_item_sales.txt", "documents", "myob_accountright",
     {"number": "Invoice #", "account_code": "Card ID", "issue_date": "Date",
      "line_amount": "Total", "paid": "Amount Paid", "account_name": "Co./Last Name"}, "DMY"),
    ("myob_sales_register.csv", "documents", "myob_sales_register",
     {"number": "Invoice #", "account_code": "Co./Last Name", "issue_date": "Date",
      "total": "Amount", "outstanding": "Balance Due"}, "DMY"),
    ("zoho_books_invoices_unicode.txt", "documents", "zoho_books",
     {"number": "Invoice Number", "account_code": "Customer ID", "issue_date": "Invoice Date",
      "total": "Total", "outstanding": "Balance", "line_amount": "Item Total"}, "YMD"),
    ("freshbooks_invoice_details.csv", "documents", "freshbooks",
     {"number": "Invoice #", "account_code": "Client Name", "issue_date": "Date Issued",
      "line_amount": "Line Total", "line_quantity": "Quantity"}, None),
    ("online_retail_excerpt.csv", "documents", "online_retail",
     {"number": "InvoiceNo", "account_code": "CustomerID", "issue_date": "InvoiceDate",
      "line_quantity": "Quantity", "line_unit_price": "UnitPrice"}, "MDY"),
    ("sage50_us_cash_receipts.csv", "payments", "sage50_us_receipts",
     {"reference": "Reference", "account_code": "Customer ID", "payment_date": "Date",
      "amount": "Cash Amount", "applied_document": "Invoice Paid",
      "applied_amount": "Amount"}, "MDY"),
    ("quickbooks_online_payments.csv", "payments", "quickbooks_online_payments",
     {"reference": "Num", "account_code": "Name", "payment_date": "Date", "amount": "Amount"},
     "MDY"),
    ("xero_contacts.csv", "accounts", "xero_contacts",
     {"code": "AccountNumber", "name": "*ContactName"}, None),
    ("business_central_customers.csv", "accounts", "business_central_customers",
     {"code": "No.", "name": "Name", "parent_code": "Bill-to Customer No."}, None),
    ("xero_contacts.csv", "contacts", "xero_contacts",
     {"email": "EmailAddress", "account_code": "AccountNumber"}, None),
    ("portal_contacts_template.csv", "contacts", "portal_contacts",
     {"email": "Email", "account_code": "Account Code", "name": "Name", "branch": "Branch",
      "username": "Username"}, None),
]


@pytest.mark.parametrize(("name", "kind", "layout", "expected", "order"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_sample_export_is_recognised_and_mapped(
    name: str, kind: str, layout: str, expected: dict[str, str], order: str | None
) -> None:
    headers = read_headers(ERP / name)
    suggestion = suggest_mapping(kind, headers)
    assert suggestion.layout == layout
    assert suggestion.confident, (suggestion.missing, suggestion.uncertain)
    assert {f: suggestion.fields.get(f) for f in expected} == expected
    assert suggestion.date_order == order
    assert not suggestion.missing


def test_every_layout_has_a_sample_file() -> None:
    sampled = {(case[1], case[2]) for case in CASES}
    known = {(kind, spec.key) for kind in mapping.FIELDS for spec in mapping.layouts(kind)}
    assert known == sampled


def test_line_level_exports_are_flagged_and_need_no_total_column() -> None:
    for name in ("xero_sales_invoices.csv", "freshbooks_invoice_details.csv",
                 "online_retail_excerpt.csv", "myob_accountright_item_sales.txt"):
        suggestion = suggest_mapping("documents", read_headers(ERP / name))
        assert suggestion.line_level, name
    retail = suggest_mapping("documents", read_headers(ERP / "online_retail_excerpt.csv"))
    assert "total" not in retail.fields and retail.confident
    netsuite = suggest_mapping("documents", read_headers(ERP / "netsuite_open_invoices.csv"))
    assert not netsuite.line_level


def test_the_real_wholesaler_sample_is_recognised() -> None:
    suggestion = suggest_mapping("documents", read_headers(RETAIL))
    assert (suggestion.layout, suggestion.date_order, suggestion.confident) == (
        "online_retail", "MDY", True)
    assert suggestion.fields["number"] == "InvoiceNo"


def test_amount_means_the_total_where_an_open_balance_sits_beside_it() -> None:
    qbo = suggest_mapping("documents", ["Date", "Transaction type", "Num", "Name", "Due date",
                                        "Amount", "Open balance"])
    assert (qbo.fields["total"], qbo.fields["outstanding"]) == ("Amount", "Open balance")
    bc = suggest_mapping("documents", ["Posting Date", "Document Type", "Document No.",
                                       "Customer No.", "Amount", "Original Amount",
                                       "Remaining Amount", "Remaining Amt. (LCY)"])
    assert (bc.fields["total"], bc.fields["outstanding"]) == ("Original Amount",
                                                              "Remaining Amount")


def test_balance_is_what_is_still_owed_in_zoho() -> None:
    zoho = suggest_mapping("documents", read_headers(ERP / "zoho_books_invoices_unicode.txt"))
    assert zoho.fields["outstanding"] == "Balance" and zoho.fields["total"] == "Total"


def test_name_is_the_customer_in_quickbooks_and_the_invoice_number_in_erpnext() -> None:
    qbo = suggest_mapping("documents", read_headers(ERP / "quickbooks_online_invoice_list.csv"))
    erp = suggest_mapping("documents", read_headers(ERP / "erpnext_sales_invoices.csv"))
    assert qbo.fields["account_code"] == "Name" and qbo.fields["number"] == "Num"
    assert erp.fields["number"] == "Name" and erp.fields["account_code"] == "Customer"


def test_headers_match_whatever_their_case_punctuation_or_umlauts() -> None:
    for number_header in ("Document No.", "document_no", "DOCUMENT NO", "Document Number"):
        suggestion = suggest_mapping("documents", [number_header, "Customer No.", "Posting Date",
                                                   "Original Amount", "Remaining Amount"])
        assert suggestion.fields["number"] == number_header
        assert suggestion.layout == "business_central"
    german = suggest_mapping("documents", ["BELEGNUMMER", "kunde", "Belegdatum",
                                           "NETTOFÄLLIGKEIT", "betrag_in_hauswaehrung"])
    assert german.layout == "sap_fbl5n_de" and german.confident
    assert german.fields["due_date"] == "NETTOFÄLLIGKEIT"


def test_a_plain_file_of_no_known_layout_is_mapped_header_by_header() -> None:
    suggestion = suggest_mapping("documents", ["Invoice Number", "Customer ID", "Invoice Date",
                                               "Due Date", "Total", "Currency", "Branch"])
    assert suggestion.layout is None and suggestion.confident
    assert suggestion.fields["branch"] == "Branch"
    assert suggestion.fields["account_code"] == "Customer ID"


def test_unknown_headers_are_not_confident() -> None:
    suggestion = suggest_mapping("documents", ["foo", "bar", "Spalte 3", ""])
    assert not suggestion.confident and suggestion.layout is None
    assert set(suggestion.missing) == {"number", "account_code", "issue_date", "total"}


def test_vague_headers_alone_are_not_trusted() -> None:
    vague = suggest_mapping("documents", ["Name", "Date", "Amount", "Ref"])
    assert not vague.confident and {"total", "number"} <= set(vague.uncertain)
    twice = suggest_mapping("documents", ["Invoice Number", "Customer ID", "Invoice Date",
                                          "Total", "Total"])
    assert not twice.confident and "total" in twice.uncertain


def test_a_file_of_another_kind_is_not_trusted_as_this_kind() -> None:
    invoices = read_headers(ERP / "xero_sales_invoices.csv")
    as_contacts = suggest_mapping("contacts", invoices)
    assert as_contacts.looks_like == "documents" and not as_contacts.confident
    as_accounts = suggest_mapping("accounts", read_headers(ERP / "portal_contacts_template.csv"))
    assert as_accounts.looks_like == "contacts" and not as_accounts.confident


def test_an_unknown_kind_of_file_is_refused_with_a_message() -> None:
    with pytest.raises(MappingError, match="Unknown kind"):
        suggest_mapping("orders", ["Invoice Number"])


def test_header_signature_ignores_order_and_case_but_not_columns() -> None:
    headers = read_headers(ERP / "xero_sales_invoices.csv")
    shuffled = [h.upper() for h in reversed(headers)]
    assert header_signature(headers) == header_signature(shuffled)
    assert header_signature(headers) != header_signature([*headers, "Branch"])


def test_a_saved_mapping_is_found_again_for_the_same_headers_in_another_order(url: str) -> None:
    headers = read_headers(ERP / "xero_sales_invoices.csv")
    suggestion = suggest_mapping("documents", headers)
    save_mapping(url, "Xero invoices", "documents", headers, suggestion.fields,
                 {"date_order": "DMY", "snapshot": False})
    later = [h.upper() for h in reversed(headers)]
    found = find_saved_mapping(url, later)
    assert found is not None and found.name == "Xero invoices"
    assert mapping_for_headers(found, later)["outstanding"] == "INVOICEAMOUNTDUE"
    assert saved_options(found) == {"date_order": "DMY", "snapshot": False}
    assert find_saved_mapping(url, [*headers, "Branch"]) is None
    assert find_saved_mapping(url, later, kind="payments") is None


def test_saving_under_the_same_name_replaces_the_mapping(url: str) -> None:
    headers = ["Invoice Number", "Customer ID", "Invoice Date", "Total", "Balance"]
    fields = {"number": "Invoice Number", "account_code": "Customer ID",
              "issue_date": "Invoice Date", "total": "Total"}
    save_mapping(url, "Weekly file", "documents", headers, fields)
    save_mapping(url, "  Weekly   file ", "documents", headers,
                 {**fields, "outstanding": "Balance"}, {"date_order": "YMD"})
    saved = list_mappings(url)
    assert [m.name for m in saved] == ["Weekly file"]
    stored = get_mapping(url, "Weekly file")
    assert stored is not None
    assert mapping_for_headers(stored, headers)["outstanding"] == "Balance"
    assert saved_options(stored)["date_order"] == "YMD"
    assert get_mapping(url, "No such mapping") is None
    wider = [*headers, "Currency"]
    save_mapping(url, "Weekly file", "documents", wider, {**fields, "currency": "Currency"})
    assert find_saved_mapping(url, headers) is None
    found = find_saved_mapping(url, wider)
    assert found is not None and mapping_for_headers(found, wider)["currency"] == "Currency"


def test_an_incomplete_or_wrong_mapping_is_not_saved(url: str) -> None:
    headers = ["Invoice Number", "Customer ID", "Invoice Date", "Total"]
    with pytest.raises(MappingError, match="required"):
        save_mapping(url, "Partial", "documents", headers, {"number": "Invoice Number"})
    with pytest.raises(MappingError, match="not in the file"):
        save_mapping(url, "Typo", "documents", headers,
                     {"number": "Invoice No", "account_code": "Customer ID",
                      "issue_date": "Invoice Date", "total": "Total"})
    with pytest.raises(MappingError, match="Date order"):
        save_mapping(url, "Dates", "documents", headers,
                     {"number": "Invoice Number", "account_code": "Customer ID",
                      "issue_date": "Invoice Date", "total": "Total"}, {"date_order": "DDMM"})
    assert list_mappings(url) == []


def test_a_saved_mapping_names_the_column_a_later_file_lacks(url: str) -> None:
    headers = ["Invoice Number", "Customer ID", "Invoice Date", "Total"]
    save_mapping(url, "Plain", "documents", headers, dict(zip(
        ["number", "account_code", "issue_date", "total"], headers, strict=True)))
    stored = get_mapping(url, "Plain")
    assert stored is not None
    with pytest.raises(MappingError, match="'Total'"):
        mapping_for_headers(stored, headers[:3])
