"""The portal fields of each kind of file, and what real ERP exports call those columns.

Pure data (fields, header synonyms, known export layouts), read by lib.imports.mapping.
Header names are written as the systems print them; mapping.py normalises case, accents,
umlauts, punctuation and camelCase before comparing. Each layout says where its header names
were checked; names marked UNVERIFIED could not be confirmed from a source and follow the
system's documented wording as closely as known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Scores: a strong synonym alone may make a suggestion confident, a medium one only when it is
# the sole candidate, a weak one never (e.g. "Amount" is the total in one system, the open
# balance or a line amount in others).
STRONG, MEDIUM, WEAK = 1.0, 0.8, 0.5


@dataclass(frozen=True)
class LayoutSpec:
    """One system's export: how to recognise it from its headers and how its columns map."""

    key: str
    title: str
    kind: str
    # Portal field -> candidate headers, most preferred first; the first one present is used.
    fields: Mapping[str, tuple[str, ...]]
    # Headers distinctive of this system; min_markers of them must be present to recognise it.
    markers: tuple[str, ...]
    # Other headers the export is known to carry (they add to the recognition score).
    headers: tuple[str, ...] = ()
    must: tuple[str, ...] = ()
    date_order: str | None = None
    line_level: bool = False
    min_markers: int = 2
    source: str = ""


@dataclass(frozen=True)
class FieldSpec:
    """A portal field that a file column can be mapped to."""

    name: str
    label: str
    required: bool = False
    value: str = "text"  # text, date, money or quantity: how the importer parses the column


def _spec(name: str, label: str, value: str = "text", required: bool = False) -> FieldSpec:
    return FieldSpec(name=name, label=label, required=required, value=value)


FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "documents": (
        _spec("number", "Document number", required=True),
        _spec("doc_type", "Document type (invoice / credit note)"),
        _spec("account_code", "Customer account code", required=True),
        _spec("account_name", "Customer name"),
        _spec("issue_date", "Issue date", "date", required=True),
        _spec("due_date", "Due date", "date"),
        _spec("currency", "Currency"),
        # Required unless the file gives line amounts to sum (checked by missing_required).
        _spec("total", "Total (gross)", "money", required=True),
        _spec("paid", "Paid amount", "money"),
        _spec("outstanding", "Outstanding amount", "money"),
        _spec("po_reference", "PO / customer reference"),
        _spec("branch", "Branch / ship-to"),
        _spec("description", "Description"),
        _spec("erp_status", "Status in the ERP"),
        _spec("line_item_code", "Line: item code"),
        _spec("line_description", "Line: description"),
        _spec("line_quantity", "Line: quantity", "quantity"),
        _spec("line_unit_price", "Line: unit price", "money"),
        _spec("line_amount", "Line: amount", "money"),
    ),
    "payments": (
        _spec("reference", "Payment reference", required=True),
        _spec("account_code", "Customer account code", required=True),
        _spec("payment_date", "Payment date", "date", required=True),
        _spec("currency", "Currency"),
        _spec("amount", "Amount", "money", required=True),
        _spec("applied_document", "Applied to document number"),
        _spec("applied_amount", "Amount applied", "money"),
    ),
    "accounts": (
        _spec("code", "Account code", required=True),
        _spec("name", "Account name"),
        _spec("parent_code", "Parent account code"),
    ),
    "contacts": (
        _spec("email", "Email", required=True),
        _spec("name", "Name"),
        _spec("account_code", "Account code", required=True),
        _spec("branch", "Branch"),
        _spec("username", "Username"),
    ),
}


# ---- synonyms per kind and field: (header, score) -------------------------------------------

_CODE_STRONG = (("Customer ID", STRONG), ("Customer No.", STRONG), ("Customer Number", STRONG),
         ("Customer Code", STRONG), ("Account Code", STRONG), ("Account Number", STRONG),
         ("Account No.", STRONG), ("Account Reference", STRONG), ("A/C", STRONG),
         ("Customer Account", STRONG), ("Debitor", STRONG), ("Debitornummer", STRONG),
         ("Kunde", STRONG), ("Kundennummer", STRONG), ("Card ID", STRONG), ("Client ID", STRONG),
         ("Customer Ref", STRONG))
_CODE = _CODE_STRONG + (("Account", MEDIUM), ("Konto", MEDIUM), ("Customer", WEAK),
                        ("Client", WEAK), ("Partner", WEAK), ("Name", WEAK), ("Client Name", WEAK),
                        ("Customer Name", WEAK), ("ContactName", WEAK))
_MONEY_OUT = (("Outstanding", STRONG), ("Outstanding Amount", STRONG), ("Open Balance", STRONG),
              ("Balance Due", STRONG), ("Amount Due", STRONG), ("Invoice Amount Due", STRONG),
              ("Remaining Amount", STRONG), ("Amount Remaining", STRONG), ("Open Amount", STRONG),
              ("O/S", STRONG), ("Offener Betrag", STRONG), ("Restbetrag", STRONG),
              ("Amount Outstanding", STRONG), ("Balance", WEAK))

SYNONYMS: Mapping[str, Mapping[str, tuple[tuple[str, float], ...]]] = {
    "documents": {
        "number": (("Invoice Number", STRONG), ("Invoice No.", STRONG), ("Invoice #", STRONG),
                   ("Inv No", STRONG), ("Document Number", STRONG), ("Document No.", STRONG),
                   ("Doc No", STRONG), ("Belegnummer", STRONG), ("Belegnr", STRONG),
                   ("Rechnungsnummer", STRONG), ("Transaction Number", MEDIUM),
                   ("Voucher No", MEDIUM), ("Invoice", MEDIUM), ("Invoice ID", MEDIUM),
                   ("Num", WEAK), ("Number", WEAK), ("Ref", WEAK), ("Reference", WEAK),
                   ("ID", WEAK), ("Name", WEAK)),
        "doc_type": (("Document Type", STRONG), ("Doc Type", STRONG), ("Transaction Type", STRONG),
                     ("Belegart", STRONG), ("Invoice Type", STRONG), ("Voucher Type", STRONG),
                     ("Move Type", STRONG), ("Type", MEDIUM), ("Credit Memo", WEAK),
                     ("Is Return", WEAK)),
        "account_code": _CODE,
        "account_name": (("Customer Name", STRONG), ("Client Name", STRONG),
                         ("Account Name", STRONG), ("Kundenname", STRONG), ("Name 1", MEDIUM),
                         ("Company Name", MEDIUM), ("ContactName", MEDIUM), ("Customer", WEAK),
                         ("Name", WEAK), ("Partner", WEAK), ("Co./Last Name", MEDIUM)),
        "issue_date": (("Invoice Date", STRONG), ("Document Date", STRONG), ("Doc Date", STRONG),
                       ("Date Issued", STRONG), ("Issue Date", STRONG), ("Belegdatum", STRONG),
                       ("Rechnungsdatum", STRONG), ("Invoice/Bill Date", STRONG),
                       ("Transaction Date", MEDIUM), ("Posting Date", MEDIUM),
                       ("Buchungsdatum", MEDIUM), ("Date", WEAK)),
        "due_date": (("Due Date", STRONG), ("Date Due", STRONG), ("Due On", STRONG),
                     ("Net Due Date", STRONG), ("Nettofälligkeit", STRONG),
                     ("Nettofälligkeitsdatum", STRONG), ("Payment Due Date", STRONG),
                     ("Due Date/Receive By", STRONG), ("Fälligkeit", STRONG),
                     ("Fälligkeitsdatum", STRONG), ("Due", MEDIUM)),
        "currency": (("Currency", STRONG), ("Currency Code", STRONG), ("Curr.", STRONG),
                     ("Währung", STRONG), ("Document Currency", STRONG), ("Belegwährung", STRONG),
                     ("Invoice Currency", STRONG), ("CCY", STRONG), ("Local Currency", MEDIUM),
                     ("Hauswährung", MEDIUM)),
        "total": (("Total", STRONG), ("Invoice Total", STRONG), ("Grand Total", STRONG),
                  ("Invoice Amount", STRONG), ("Total Amount", STRONG), ("Gross Amount", STRONG),
                  ("Original Amount", STRONG), ("Invoiced Amount", STRONG),
                  ("Document Amount", STRONG), ("Rechnungsbetrag", STRONG),
                  ("Bruttobetrag", STRONG), ("Amount in Local Currency", MEDIUM),
                  ("Betrag in Hauswährung", MEDIUM), ("Amount", WEAK), ("Betrag", WEAK)),
        "paid": (("Paid", STRONG), ("Amount Paid", STRONG), ("Paid Amount", STRONG),
                 ("Invoice Amount Paid", STRONG), ("Total Paid", STRONG), ("Payments", MEDIUM)),
        "outstanding": _MONEY_OUT,
        "po_reference": (("PO Number", STRONG), ("PO", STRONG), ("P.O. #", STRONG),
                         ("Purchase Order", STRONG), ("Customer PO", STRONG),
                         ("Customer's Purchase Order", STRONG), ("Customer LPO", STRONG),
                         ("PO/Check Number", STRONG), ("External Document No.", STRONG),
                         ("Your Reference", STRONG), ("Customer Reference", STRONG),
                         ("Bestellnummer", STRONG), ("Order Number", MEDIUM),
                         ("Reference", WEAK), ("Zuordnung", WEAK)),
        "branch": (("Branch", STRONG), ("Ship To", STRONG), ("Ship-to Code", STRONG),
                   ("Ship To Name", MEDIUM), ("Delivery Address", MEDIUM), ("Site", MEDIUM),
                   ("Filiale", STRONG), ("Location", WEAK), ("Store", WEAK)),
        "description": (("Description", STRONG), ("Details", STRONG), ("Memo", STRONG),
                        ("Memo/Description", STRONG), ("Narration", STRONG), ("Text", MEDIUM),
                        ("Remarks", MEDIUM), ("Notes", MEDIUM), ("Comment", MEDIUM)),
        "erp_status": (("Status", STRONG), ("Invoice Status", STRONG), ("Document Status", STRONG),
                       ("Sale Status", STRONG), ("State", MEDIUM)),
        "line_item_code": (("Item Code", STRONG), ("Item Number", STRONG), ("SKU", STRONG),
                           ("Stock Code", STRONG), ("Product Code", STRONG),
                           ("Inventory Item Code", STRONG), ("Item ID", STRONG),
                           ("Artikelnummer", STRONG), ("Material", MEDIUM), ("Item", MEDIUM),
                           ("Item Name", MEDIUM)),
        "line_description": (("Line Description", STRONG), ("Item Description", STRONG),
                             ("Item Desc", STRONG), ("Description", WEAK)),
        "line_quantity": (("Quantity", STRONG), ("Qty", STRONG), ("Menge", STRONG),
                          ("Units", MEDIUM)),
        "line_unit_price": (("Unit Price", STRONG), ("Unit Amount", STRONG), ("Item Price", STRONG),
                            ("Einzelpreis", STRONG), ("Price", MEDIUM), ("Rate", MEDIUM),
                            ("Sales Price", MEDIUM)),
        "line_amount": (("Line Amount", STRONG), ("Line Total", STRONG), ("Item Total", STRONG),
                        ("Extended Amount", STRONG), ("Line Subtotal", MEDIUM),
                        ("Amount", WEAK)),
    },
    "payments": {
        "reference": (("Payment Reference", STRONG), ("Payment No.", STRONG),
                      ("Payment Number", STRONG), ("Receipt Number", STRONG),
                      ("Receipt No.", STRONG), ("Check Number", MEDIUM), ("Cheque Number", MEDIUM),
                      ("Reference", MEDIUM), ("Ref", MEDIUM), ("Document No.", WEAK),
                      ("Num", WEAK), ("Transaction ID", WEAK)),
        "account_code": _CODE,
        "payment_date": (("Payment Date", STRONG), ("Date Paid", STRONG), ("Receipt Date", STRONG),
                         ("Value Date", MEDIUM), ("Posting Date", MEDIUM), ("Date", WEAK)),
        "currency": (("Currency", STRONG), ("Currency Code", STRONG), ("Währung", STRONG)),
        "amount": (("Payment Amount", STRONG), ("Amount Received", STRONG),
                   ("Cash Amount", STRONG), ("Amount Paid", MEDIUM), ("Amount", MEDIUM),
                   ("Received", WEAK)),
        "applied_document": (("Invoice Paid", STRONG), ("Applied To", STRONG),
                             ("Applied Document", STRONG), ("Applies-to Doc. No.", STRONG),
                             ("Invoice Number", MEDIUM), ("Invoice No.", MEDIUM)),
        "applied_amount": (("Applied Amount", STRONG), ("Amount Applied", STRONG),
                           ("Allocated Amount", STRONG)),
    },
    "accounts": {
        "code": _CODE_STRONG + (("Code", STRONG), ("No.", WEAK), ("ID", WEAK)),
        "name": (("Name", STRONG), ("Customer Name", STRONG), ("Company Name", STRONG),
                 ("Account Name", STRONG), ("ContactName", STRONG), ("Company", MEDIUM)),
        "parent_code": (("Parent", STRONG), ("Parent Account", STRONG), ("Parent Code", STRONG),
                        ("Parent Customer", STRONG), ("Bill-to Customer No.", STRONG),
                        ("Head Office", MEDIUM), ("Group Account", MEDIUM)),
    },
    "contacts": {
        "email": (("Email", STRONG), ("Email Address", STRONG), ("E-mail", STRONG),
                  ("Contact Email", STRONG), ("Mail", MEDIUM)),
        "name": (("Name", STRONG), ("Contact Name", STRONG), ("Full Name", STRONG),
                 ("Contact", MEDIUM)),
        "account_code": _CODE_STRONG + (("Account", MEDIUM), ("Customer", WEAK)),
        "branch": (("Branch", STRONG), ("Ship To", STRONG), ("Site", MEDIUM)),
        "username": (("Username", STRONG), ("User Name", STRONG), ("Login", STRONG),
                     ("User ID", MEDIUM)),
    },
}

# ---- layouts: documents ------------------------------------------------------------------------

_D = "documents"

LAYOUTS: tuple[LayoutSpec, ...] = (
    LayoutSpec(
        key="xero", title="Xero sales invoice export", kind=_D, line_level=True,
        # Region-dependent (dd/mm/yyyy in UK/AU/NZ organisations, mm/dd/yyyy in the US).
        date_order=None,
        fields={
            "number": ("InvoiceNumber",), "doc_type": ("Type",),
            "account_code": ("AccountNumber", "ContactName"), "account_name": ("ContactName",),
            "issue_date": ("InvoiceDate",), "due_date": ("DueDate",), "currency": ("Currency",),
            "total": ("Total",), "paid": ("InvoiceAmountPaid",),
            "outstanding": ("InvoiceAmountDue",), "po_reference": ("Reference",),
            "erp_status": ("Status",), "line_item_code": ("InventoryItemCode",),
            "line_description": ("Description",), "line_quantity": ("Quantity",),
            "line_unit_price": ("UnitAmount",), "line_amount": ("LineAmount",),
        },
        markers=("InvoiceAmountDue", "InvoiceAmountPaid", "ContactName", "UnitAmount",
                 "LineAmount", "InventoryItemCode", "POAddressLine1", "TrackingName1",
                 "BrandingTheme"),
        headers=("InvoiceNumber", "EmailAddress", "POCity", "PORegion", "POPostalCode", "POCountry",
                 "PlannedDate", "TaxTotal", "Discount", "AccountCode", "TaxType", "TaxAmount",
                 "Sent"),
        source="Xero invoice export columns as written by exports in public code "
               "(ContactName ... InvoiceAmountPaid,InvoiceAmountDue ... Type,Sent,Status); "
               "Xero 'Import or create invoices using a CSV file' article names",
    ),
    LayoutSpec(
        key="quickbooks_online", title="QuickBooks Online report (Invoice List, A/R Aging Detail)",
        kind=_D, date_order="MDY",  # US editions; UK/AU editions print dd/mm/yyyy
        fields={
            "number": ("Num", "No."), "doc_type": ("Transaction type",),
            "account_code": ("Customer", "Customer full name", "Name"),
            "account_name": ("Customer", "Customer full name", "Name"),
            "issue_date": ("Date", "Invoice Date"), "due_date": ("Due date",),
            "currency": ("Currency",), "total": ("Amount",), "outstanding": ("Open balance",),
            "po_reference": ("P.O. Number", "PO Number"),
            "description": ("Memo/Description", "Memo"), "erp_status": ("Status",),
        },
        # "Open balance" is QuickBooks' own word: one marker is enough (Desktop files score
        # higher on their own markers).
        markers=("Transaction type", "Open balance", "Customer full name", "Memo/Description",
                 "Past due"), min_markers=1,
        headers=("Terms", "Exchange rate", "Num"),
        source="QuickBooks Online report exports as reproduced by public parsers/fixtures "
               "(title rows, then ',Date,Transaction type,Num,Customer full name,Due date,Amount,"
               "Open balance'); Intuit report names 'Invoice List', 'A/R Aging Detail'",
    ),
    LayoutSpec(
        key="quickbooks_desktop",
        title="QuickBooks Desktop report (A/R Aging Detail, Open Invoices)",
        kind=_D, date_order="MDY",
        fields={
            "number": ("Num",), "doc_type": ("Type",), "account_code": ("Name", "Customer"),
            "account_name": ("Name", "Customer"), "issue_date": ("Date",),
            "due_date": ("Due Date",), "total": ("Amount", "Original Amount"),
            "outstanding": ("Open Balance",), "po_reference": ("P. O. #",),
            "description": ("Memo",),
        },
        markers=("P. O. #", "Aging", "Open Balance", "Terms"),
        headers=("Class", "Type", "Num"),
        source="QuickBooks Desktop report CSV as reproduced by public importers "
               "(',Type,Date,Num,P. O. #,Terms,Due Date,Aging,Open Balance'); the Amount column "
               "is added with Customize Report (UNVERIFIED column label)",
    ),
    LayoutSpec(
        key="sage50_uk", title="Sage 50 Accounts (UK) customer activity", kind=_D,
        date_order="DMY",
        fields={
            "number": ("Ref",), "doc_type": ("Type",), "account_code": ("A/C",),
            "account_name": ("Name",), "issue_date": ("Date",), "due_date": ("Due on",),
            "total": ("Amount",), "outstanding": ("O/S",), "description": ("Details",),
        },
        markers=("O/S", "Due on", "A/C", "Details"),
        headers=("No", "Debit", "Credit", "Exchange Rate"),
        source="Sage knowledge base 'The Customer record Activity tab' (No, Type SI/SR/SC, Date, "
               "Due on, Ref, Details, Amount, O/S, Debit, Credit); A/C and Name on every row "
               "as the report export writes them (UNVERIFIED)",
    ),
    LayoutSpec(
        key="sage50_us", title="Sage 50 (US) sales journal export", kind=_D, date_order="MDY",
        line_level=True,
        fields={
            "number": ("Invoice/CM #",), "doc_type": ("Credit Memo",),
            "account_code": ("Customer ID",), "account_name": ("Customer Name",),
            "issue_date": ("Date",), "due_date": ("Date Due",), "po_reference": ("Customer PO",),
            "total": ("Accounts Receivable Amount",), "line_item_code": ("Item ID",),
            "line_description": ("Description",), "line_quantity": ("Quantity",),
            "line_unit_price": ("Unit Price",), "line_amount": ("Amount",),
        },
        markers=("Invoice/CM #", "Accounts Receivable Amount", "Date Due",
                 "Number of Distributions", "Apply to Invoice Number", "Invoice/CM Distribution",
                 "Accounts Receivable Account"),
        headers=("Ship to Name", "Ship Via", "Sales Representative ID", "G/L Account", "Tax Type",
                 "Credit Memo"),
        source="Sage 50 US (Peachtree) Sales Journal import/export field list as used by public "
               "integrations (Customer ID, Invoice/CM #, ..., Accounts Receivable Amount, ...)",
    ),
    LayoutSpec(
        key="sap_fbl5n_de", title="SAP FBL5N Debitoren-Einzelpostenliste (deutsch)", kind=_D,
        date_order="DMY",
        fields={
            "number": ("Belegnummer", "Belegnr"), "doc_type": ("Belegart",),
            "account_code": ("Kunde", "Konto", "Debitor"), "account_name": ("Name 1", "Name"),
            "issue_date": ("Belegdatum", "Buchungsdatum"),
            "due_date": ("Nettofälligkeit", "Nettofälligkeitsdatum"),
            # Document currency first: it is what the buyer was invoiced in.
            "total": ("Betrag in Belegwährung", "Betrag in Hauswährung", "Betrag in HW"),
            "currency": ("Belegwährung", "Währung", "Hauswährung"),
            "po_reference": ("Zuordnung",), "description": ("Text",),
        },
        markers=("Belegnummer", "Belegart", "Belegdatum", "Nettofälligkeit",
                 "Betrag in Hauswährung", "Zuordnung", "Hauswährung", "Buchungsdatum",
                 "Betrag in HW", "Ausgleichsbeleg"),
        headers=("Referenz", "Text", "Buchungsschlüssel", "Ausgleichsdatum"),
        source="SAP German ALV export headers as read by public parsers (Konto;Belegart;Referenz;"
               "Zuordnung;Buchungsdatum;Belegdatum;Nettofälligkeit;Belegnummer;...;Betrag in "
               "Hauswährung;Hauswährung); 'Kunde' per the FBL5N field label (UNVERIFIED in files)",
    ),
    LayoutSpec(
        key="sap_fbl5n_en", title="SAP FBL5N customer line item display (English)", kind=_D,
        date_order=None,  # follows the user's SAP date setting
        fields={
            "number": ("Document Number", "DocumentNo"), "doc_type": ("Document Type", "Type"),
            "account_code": ("Customer", "Account"), "account_name": ("Name 1", "Name"),
            "issue_date": ("Document Date", "Doc. Date", "Posting Date"),
            "due_date": ("Net due date", "Net Due Dt"),
            "total": ("Amount in doc. curr.", "Amount in local currency", "Amount in LC"),
            "currency": ("Document currency", "Local Currency", "LCurr", "Currency"),
            "po_reference": ("Assignment",), "description": ("Text",),
        },
        markers=("Assignment", "Net due date", "Amount in local currency", "Amount in LC",
                 "Local Currency", "LCurr", "Amount in doc. curr.", "Document currency",
                 "Doc. Date", "Clearing Document", "Arrears after net due date"),
        headers=("Reference", "Text", "Posting Key", "Posting Date", "Document Type"),
        source="SAP English ALV export headers as read by public parsers (Assignment, Document "
               "Type, Document Date, Posting Key, Amount in local currency, Local Currency, Net "
               "due date); 'Amount in LC'/'LCurr' short labels UNVERIFIED",
    ),
    LayoutSpec(
        key="business_central", title="Dynamics 365 Business Central customer ledger entries",
        kind=_D,
        fields={
            "number": ("Document No.",), "doc_type": ("Document Type",),
            "account_code": ("Customer No.",), "account_name": ("Customer Name",),
            "issue_date": ("Document Date", "Posting Date"), "due_date": ("Due Date",),
            "currency": ("Currency Code",), "total": ("Original Amount", "Amount"),
            "outstanding": ("Remaining Amount",), "po_reference": ("External Document No.",),
            "description": ("Description",),
        },
        markers=("Remaining Amount", "Original Amount", "Entry No.", "External Document No.",
                 "Customer No.", "Remaining Amt. (LCY)", "Original Amt. (LCY)"),
        headers=("Posting Date", "Open", "On Hold", "Pmt. Discount Date", "Amount (LCY)",
                 "Message to Recipient", "Global Dimension 1 Code"),
        source="Business Central Cust. Ledger Entry table captions (Microsoft Learn base "
               "application reference; AL field captions Original Amount, Remaining Amount, "
               "Document No., External Document No.); Customer Ledger Entries page, Open in Excel",
    ),
    LayoutSpec(
        key="netsuite", title="NetSuite transaction saved search (A/R)", kind=_D,
        date_order="MDY",  # the default US date preference; a user preference can change it
        fields={
            "number": ("Document Number",), "doc_type": ("Type",),
            "account_code": ("Customer", "Name"), "account_name": ("Customer", "Name"),
            "issue_date": ("Date",), "due_date": ("Due Date/Receive By",),
            "currency": ("Currency",),
            "total": ("Amount (Foreign Currency)", "Amount (Transaction Total)", "Amount"),
            "outstanding": ("Amount Remaining",), "po_reference": ("PO/Check Number",),
            "erp_status": ("Status",), "description": ("Memo",),
        },
        markers=("Due Date/Receive By", "Amount Remaining", "PO/Check Number",
                 "Amount (Foreign Currency)", "Amount (Transaction Total)", "Days Overdue"),
        headers=("Account", "Internal ID", "Subsidiary", "Document Number"),
        source="NetSuite saved-search column labels in public SuiteScript (Document Number, "
               "Due Date/Receive By, Amount Remaining, Amount (Transaction Total), "
               "PO/Check Number, Days Overdue)",
    ),
    LayoutSpec(
        key="odoo", title="Odoo invoices export (account.move)", kind=_D, date_order="YMD",
        fields={
            "number": ("Number",), "doc_type": ("Type",),
            "account_code": ("Partner/Reference", "Partner", "Customer"),
            "account_name": ("Partner", "Customer"),
            "issue_date": ("Invoice/Bill Date", "Invoice Date", "Date"), "due_date": ("Due Date",),
            "currency": ("Currency",), "total": ("Total",), "outstanding": ("Amount Due",),
            "po_reference": ("Reference",), "erp_status": ("Status",),
            "description": ("Origin", "Source Document"),
        },
        markers=("Invoice/Bill Date", "Amount Due", "Partner", "Payment Status",
                 "Untaxed Amount", "Total Signed", "Amount Due Signed", "Origin"),
        headers=("Tax", "Journal", "Salesperson", "Payment", "Total in Currency"),
        source="Odoo account.move field strings (name 'Number', partner_id 'Partner', "
               "invoice_date 'Invoice/Bill Date', invoice_date_due 'Due Date', amount_total "
               "'Total', amount_residual 'Amount Due', state 'Status', move_type 'Type'); "
               "'Partner/Reference' export path UNVERIFIED",
    ),
    LayoutSpec(
        key="erpnext", title="ERPNext Sales Invoice report", kind=_D, date_order="DMY",
        fields={
            "number": ("ID", "Name"), "doc_type": ("Is Return (Credit Note)", "Is Return"),
            "account_code": ("Customer",), "account_name": ("Customer Name",),
            "issue_date": ("Date", "Posting Date"), "due_date": ("Payment Due Date", "Due Date"),
            "currency": ("Currency",), "total": ("Grand Total", "Rounded Total"),
            "outstanding": ("Outstanding Amount",), "po_reference": ("Customer's Purchase Order",),
            "erp_status": ("Status",), "description": ("Remarks",),
        },
        markers=("Grand Total", "Outstanding Amount", "Payment Due Date",
                 "Is Return (Credit Note)", "Customer's Purchase Order", "Return Against"),
        headers=("Company", "Posting Time", "Net Total", "Total Taxes and Charges"),
        # Frappe's default system date format is dd-mm-yyyy.
        source="ERPNext sales_invoice.json field labels (Customer, Customer Name, Date, Payment "
               "Due Date, Is Return (Credit Note), Currency, Grand Total, Outstanding Amount, "
               "Status, Customer's Purchase Order); report view names the key column ID or Name",
    ),
    LayoutSpec(
        key="erpnext_ar", title="ERPNext Accounts Receivable report", kind=_D, date_order="DMY",
        fields={
            "number": ("Voucher No",), "doc_type": ("Voucher Type",),
            "account_code": ("Customer", "Party"), "account_name": ("Customer Name",),
            "issue_date": ("Posting Date",), "due_date": ("Due Date",), "currency": ("Currency",),
            "total": ("Invoiced Amount", "Invoice Grand Total"), "paid": ("Paid Amount",),
            "outstanding": ("Outstanding Amount",), "po_reference": ("Customer LPO",),
            "description": ("Remarks",), "branch": ("Territory",),
        },
        markers=("Voucher No", "Voucher Type", "Invoiced Amount", "Outstanding Amount",
                 "Customer LPO", "Credit Note"),
        headers=("Age", "Customer Group", "Territory", "0-30", "31-60", "61-90", "91-120",
                 "121-Above", "Delivery Note", "Sales Person"),
        source="ERPNext accounts_receivable.py report columns (Posting Date, Customer, Voucher "
               "Type, Voucher No, Due Date, Invoiced Amount, Paid Amount, Credit Note, Outstanding "
               "Amount, Age, Remarks, ageing ranges, Currency, Customer LPO, Territory)",
    ),
    LayoutSpec(
        key="myob_accountright", title="MYOB AccountRight item sales export", kind=_D,
        date_order="DMY", line_level=True,
        fields={
            "number": ("Invoice #", "Invoice No."), "account_code": ("Card ID", "Co./Last Name"),
            "account_name": ("Co./Last Name",), "issue_date": ("Date",),
            "po_reference": ("Customer PO",), "currency": ("Currency Code",),
            "paid": ("Amount Paid",), "erp_status": ("Sale Status",),
            "line_item_code": ("Item Number",), "line_description": ("Description",),
            "line_quantity": ("Quantity",), "line_unit_price": ("Price", "Inc-Tax Price"),
            "line_amount": ("Total", "Inc-Tax Total"),
        },
        markers=("Co./Last Name", "Card ID", "Sale Status", "Journal Memo", "Addr 1 - Line 1",
                 "Amount Paid", "Referral Source", "Terms - Payment is Due", "Record ID"),
        headers=("First Name", "Ship Via", "Already Printed", "Discount", "Job", "Comment",
                 "Salesperson Last Name", "Shipping Date", "Tax Code", "Exchange Rate"),
        source="MYOB AccountRight/AccountEdge 'Import and export fields' help (Sales fields: "
               "Co./Last Name, Invoice #, Date, Customer PO, ... Amount Paid); export header "
               "order from public code; 'Card ID'/'Record ID' seen in later versions",
    ),
    LayoutSpec(
        key="myob_sales_register", title="MYOB sales register (invoice list)", kind=_D,
        date_order="DMY",
        fields={
            "number": ("Invoice #", "Invoice No."), "account_code": ("Card ID", "Co./Last Name"),
            "account_name": ("Co./Last Name",), "issue_date": ("Date",),
            "due_date": ("Due Date", "Promised Date"), "po_reference": ("Customer PO",),
            "total": ("Amount", "Invoice Total"), "outstanding": ("Balance Due",),
            "erp_status": ("Status",),
        },
        markers=("Co./Last Name", "Balance Due", "Customer PO", "Invoice #"), min_markers=3,
        source="UNVERIFIED: column names follow MYOB's field vocabulary (Invoice #, Co./Last Name, "
               "Customer PO; 'Balance Due' is the MYOB form field for the unpaid amount); no "
               "public copy of an MYOB Business or sales-register export was found",
    ),
    LayoutSpec(
        key="zoho_books", title="Zoho Books invoices export", kind=_D, date_order="YMD",
        line_level=True,
        fields={
            "number": ("Invoice Number",),
            "account_code": ("Customer Number", "Customer ID", "Customer Name"),
            "account_name": ("Customer Name",), "issue_date": ("Invoice Date",),
            "due_date": ("Due Date",), "currency": ("Currency Code",), "total": ("Total",),
            "outstanding": ("Balance",), "po_reference": ("PurchaseOrder",),
            "erp_status": ("Invoice Status",), "description": ("Notes",),
            "line_item_code": ("Item Name", "SKU"), "line_description": ("Item Desc",),
            "line_quantity": ("Quantity",), "line_unit_price": ("Item Price",),
            "line_amount": ("Item Total",),
        },
        markers=("Invoice Status", "Invoice ID", "Item Desc", "Item Price", "Item Total",
                 "Payment Terms Label", "Estimate Number", "Expected Payment Date", "SubTotal"),
        headers=("Exchange Rate", "Account", "Usage unit", "Sales person", "Adjustment",
                 "Shipping Charge", "Payment Terms", "Template Name"),
        source="Zoho Books Invoice.csv export header as bound by public code (Invoice Date, "
               "Invoice ID, Invoice Number, Invoice Status, Customer Name, Customer ID, Due Date, "
               "PurchaseOrder, Currency Code, ..., Item Total, SubTotal, Total, Balance); Zoho's "
               "sample data file uses yyyy-mm-dd",
    ),
    LayoutSpec(
        key="freshbooks", title="FreshBooks invoice details report", kind=_D, line_level=True,
        fields={
            "number": ("Invoice #",), "account_code": ("Client Name",),
            "account_name": ("Client Name",), "issue_date": ("Date Issued",),
            "due_date": ("Date Due",), "currency": ("Currency",),
            "erp_status": ("Invoice Status",), "line_item_code": ("Item Name",),
            "line_description": ("Item Description",), "line_quantity": ("Quantity",),
            "line_unit_price": ("Rate",), "line_amount": ("Line Total",),
        },
        markers=("Date Issued", "Client Name", "Line Total", "Item Description", "Line Subtotal",
                 "Date Paid", "Tax 1 Type", "Discount Percentage"),
        headers=("Tax 1 Amount", "Tax 2 Type", "Tax 2 Amount", "Invoice Status"),
        source="FreshBooks 'Invoice Details' CSV header as used by public importers (Client Name,"
               " Invoice #, Date Issued, Date Due, Invoice Status, Date Paid, Item Name, Item "
               "Description, Rate, Quantity, Discount Percentage, Line Subtotal, Tax 1 Type, ..., "
               "Line Total, Currency)",
    ),
    LayoutSpec(
        key="online_retail", title="Online Retail wholesaler invoice lines", kind=_D,
        date_order="MDY", line_level=True, must=("StockCode", "InvoiceNo"),
        fields={
            "number": ("InvoiceNo",), "account_code": ("CustomerID",),
            "issue_date": ("InvoiceDate",), "line_item_code": ("StockCode",),
            "line_description": ("Description",), "line_quantity": ("Quantity",),
            "line_unit_price": ("UnitPrice",),
        },
        markers=("InvoiceNo", "StockCode", "UnitPrice", "CustomerID", "InvoiceDate"),
        headers=("Country", "Description", "Quantity"),
        source="../shared/data/online_retail_sample.csv and its README (UCI Online Retail)",
    ),
    # ---- payments ----
    LayoutSpec(
        key="sage50_us_receipts", title="Sage 50 (US) cash receipts journal export",
        kind="payments", date_order="MDY",
        fields={
            "reference": ("Reference",), "account_code": ("Customer ID",),
            "payment_date": ("Date",), "amount": ("Cash Amount",),
            "applied_document": ("Invoice Paid",), "applied_amount": ("Amount",),
        },
        markers=("Deposit Ticket ID", "Cash Amount", "Invoice Paid", "Total Paid on Invoice(s)",
                 "Cash Account", "Number of Distributions"),
        headers=("Customer Name", "Payment Method", "Prepayment", "G/L Account", "Receipt Number"),
        source="Sage 50 US Receipts Journal import/export header in public integrations (Deposit "
               "Ticket ID, Customer ID, Customer Name, Reference, Date, Payment Method, Cash "
               "Account, Cash Amount, ..., Total Paid on Invoice(s), ..., Invoice Paid, ..., "
               "Amount)",
    ),
    LayoutSpec(
        key="quickbooks_online_payments", title="QuickBooks Online transaction list (payments)",
        kind="payments", date_order="MDY",
        fields={
            "reference": ("Num", "Ref No."), "account_code": ("Name", "Customer"),
            "payment_date": ("Date",), "amount": ("Amount",), "currency": ("Currency",),
        },
        markers=("Transaction type", "Posting (Y/N)", "Account name", "Split"),
        headers=("Memo", "Memo/Description"),
        source="QuickBooks Online 'Transaction List by Date' export as reproduced by public "
               "fixtures (Date,Transaction type,Num,Posting (Y/N),Name,Memo,Account name,Split,"
               "Amount)",
    ),
    # ---- accounts ----
    LayoutSpec(
        key="xero_contacts", title="Xero contacts export", kind="accounts", min_markers=2,
        fields={"code": ("AccountNumber",), "name": ("ContactName",)},
        markers=("ContactName", "AccountNumber", "EmailAddress", "POAddressLine1",
                 "AccountsReceivableTaxCodeName", "FirstName"),
        headers=("LastName", "PhoneNumber", "TaxNumber", "LegalName", "POCity", "POCountry"),
        source="Xero contacts CSV header in public code (*ContactName,AccountNumber,"
               "EmailAddress,FirstName,LastName,POAttentionTo,POAddressLine1,...)",
    ),
    LayoutSpec(
        key="business_central_customers", title="Business Central customer list",
        kind="accounts",
        fields={"code": ("No.",), "name": ("Name",), "parent_code": ("Bill-to Customer No.",)},
        markers=("Bill-to Customer No.", "Balance (LCY)", "Balance Due (LCY)",
                 "Country/Region Code", "Responsibility Center", "Location Code"),
        headers=("Phone No.", "Contact", "Post Code", "Sales (LCY)", "Payments (LCY)"),
        source="Business Central Customer table captions (No., Name, Bill-to Customer No., "
               "Balance (LCY)); the list page shows Bill-to Customer No. only when added "
               "(UNVERIFIED as a default column)",
    ),
    # ---- contacts ----
    LayoutSpec(
        key="xero_contacts", title="Xero contacts export", kind="contacts",
        fields={"email": ("EmailAddress",), "account_code": ("AccountNumber",)},
        markers=("ContactName", "AccountNumber", "EmailAddress", "POAddressLine1", "FirstName"),
        headers=("LastName", "PhoneNumber", "TaxNumber"),
        source="as the accounts layout of the same name",
    ),
    LayoutSpec(
        key="portal_contacts", title="Portal contacts template", kind="contacts",
        fields={"email": ("Email",), "name": ("Name",), "account_code": ("Account Code",),
                "branch": ("Branch",), "username": ("Username",)},
        markers=("Email", "Account Code", "Username", "Branch"), min_markers=3,
        source="the portal's own contacts template (docs)",
    ),
)
