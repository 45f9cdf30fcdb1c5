"""Words exports use: document types, placeholders for 'no account', total-row labels."""

from __future__ import annotations

import re

from lib.imports.values import lit

# Type-column values, normalised (lower case, runs of space _ . - / as one space).
INVOICE_WORDS = frozenset({
    "invoice", "invoices", "inv", "sales invoice", "tax invoice", "customer invoice", "si",
    "rechnung", "ausgangsrechnung", "dr", "rv", "out invoice", "accrec", "debit note",
    "debit memo", "sale", "sales", "bill to customer", "factura", "facture",
})  # fmt: skip
CREDIT_WORDS = frozenset({
    "credit note", "credit notes", "credit memo", "sales credit note", "sales credit",
    "customer credit note", "customer credit memo", "credit", "cn", "crn", "cm", "sc",
    "gutschrift", "rechnungskorrektur", "dg", "out refund", "refund", "credit invoice",
    "accreccredit", "sales return", "return", "avoir", "nota de credito",
})  # fmt: skip
# Rows of receivables reports that are not documents: receipts, journals, adjustments.
OTHER_WORDS = frozenset({
    "payment", "payments", "receipt", "customer payment", "sales receipt", "cash receipt",
    "journal", "journal entry", "general journal", "dz", "pmt", "pay", "sa", "sr", "sd",
    "zahlung", "zahlungseingang", "deposit", "cash", "transfer", "adjustment", "discount",
    "write off", "opening balance", "balance forward", "unapplied cash", "prepayment",
    "overpayment", "payment on account", "ab", "da",
})  # fmt: skip
NO_ACCOUNT = ("NA", "N/A", "#N/A", "NULL", "NONE", "-", "NAN")
TOTAL_LABEL = (
    r"^\s*(\*+|(sub|grand|report)?\s*-?\s*totals?\b.*|summe\b.*|gesamt\b.*|zwischensumme\b.*"
    r"|balance (carried )?forward\b.*)$"
)
_SEPARATORS = r"[\s_./-]+"


def normalise_type(text: str | None) -> str:
    """A type-column value in the form the word lists use."""
    return re.sub(_SEPARATORS, " ", (text or "").strip().lower()).strip()


def classify_type(text: str | None) -> str | None:
    """'invoice', 'credit_note', 'other' (not a document), 'unknown', or None when empty."""
    word = normalise_type(text)
    if not word:
        return None
    for kind, words in (("invoice", INVOICE_WORDS), ("credit_note", CREDIT_WORDS),
                        ("other", OTHER_WORDS)):
        if word in words:
            return kind
    return "unknown"


def type_sql(col: str) -> str:
    """The SQL form of classify_type over a text column (NULL stays NULL)."""
    word = f"trim(regexp_replace(lower(trim({col})), {lit(_SEPARATORS)}, ' ', 'g'))"

    def in_list(words: frozenset[str]) -> str:
        return "[" + ", ".join(lit(w) for w in sorted(words)) + "]"

    # The value as written usually is one of the words already: try that before normalising.
    plain = f"lower({col})"
    return (
        f"(CASE WHEN {col} IS NULL THEN NULL "
        f"WHEN list_contains({in_list(INVOICE_WORDS)}, {plain}) THEN 'invoice' "
        f"WHEN list_contains({in_list(CREDIT_WORDS)}, {plain}) THEN 'credit_note' "
        f"WHEN trim({col}) = '' THEN NULL "
        f"WHEN list_contains({in_list(INVOICE_WORDS)}, {word}) THEN 'invoice' "
        f"WHEN list_contains({in_list(CREDIT_WORDS)}, {word}) THEN 'credit_note' "
        f"WHEN list_contains({in_list(OTHER_WORDS)}, {word}) THEN 'other' ELSE 'unknown' END)"
    )


def is_total_label(text: str | None) -> bool:
    """True for 'Total', 'Subtotal', 'Grand total', '***', 'Summe' ... (any case)."""
    return bool(re.match(TOTAL_LABEL, text or "", re.IGNORECASE))


def total_label_sql(col: str) -> str:
    """The SQL form of is_total_label."""
    return f"coalesce(regexp_matches({col}, {lit(TOTAL_LABEL)}, 'i'), false)"
