"""Page text: feed values escaped for markdown, status explanations, file names, periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lib import display, periods
from lib.ledger import LedgerDoc

AS_OF = date(2026, 3, 31)


@pytest.mark.parametrize(
    "raw",
    ["[click](http://evil.example)", "![x](http://evil.example/t.png)", "**bold** _it_",
     ":red[alarm] :material/warning:", "<b>html</b>", "$x^2$", "# Heading\nnext line"],
)
def test_markdown_specials_are_all_escaped(raw: str) -> None:
    escaped = display.escape_markdown(raw)
    assert "\n" not in escaped
    unescaped = escaped.replace("\\", "")
    assert unescaped == " ".join(raw.split())
    for i, ch in enumerate(escaped):
        if ch in "[]()!*_:<>$#" and (i == 0 or escaped[i - 1] != "\\"):
            raise AssertionError(f"{ch!r} left unescaped in {escaped!r}")


def doc(**overrides: object) -> LedgerDoc:
    values: dict[str, object] = {
        "kind": "invoice", "number": "INV-1", "issue_date": date(2026, 3, 1),
        "due_date": date(2026, 3, 20), "currency": "GBP", "total": Decimal("100.00"),
        "paid": Decimal("0"),
    }  # fmt: skip
    values.update(overrides)
    return LedgerDoc(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (doc(), "Nothing of 100.00 GBP is paid yet; it was due on 20 Mar 2026, 11 days ago. "
                "Status: overdue."),
        (doc(paid=Decimal("40"), due_date=AS_OF), "Paid 40.00 GBP of 100.00 GBP, so 60.00 GBP is "
                                                  "outstanding; it is due on 31 Mar 2026. "
                                                  "Status: partially paid."),
        (doc(paid=Decimal("100")), "Paid 100.00 GBP of 100.00 GBP: paid in full. Status: paid."),
        (doc(paid=Decimal("120")), "Paid 120.00 GBP of 100.00 GBP: 20.00 GBP more than the "
                                   "total, held as credit. Status: paid."),
        (doc(erp_status="Cancelled"), 'The ERP marked this document "Cancelled": it counts in '
                                      "no balance."),
        (doc(kind="credit_note", paid=Decimal("30")), "Credit of 100.00 GBP, 30.00 GBP of it "
                                                      "used: 70.00 GBP of credit available. "
                                                      "Status: partially paid."),
    ],
)
def test_status_is_explained_from_total_paid_and_due(document: LedgerDoc, expected: str) -> None:
    assert display.explain_status(document, AS_OF) == expected


def test_document_fields_are_text_rows() -> None:
    fields = display.document_fields(doc(po_reference="=HYPERLINK()"), AS_OF)
    assert dict(zip(fields["Field"], fields["Value"], strict=True))["Reference"] == "=HYPERLINK()"
    assert "Branch" not in set(fields["Field"])  # empty fields are left out


@pytest.mark.parametrize(
    ("text", "expected"),
    [("INV/2026/001", "INV_2026_001.pdf"), ("../../etc/passwd", "etc_passwd.pdf"),
     ("", "document.pdf"), ("Façade 1", "Fa_ade_1.pdf")],
)
def test_file_names_from_feed_values(text: str, expected: str) -> None:
    assert display.safe_filename(text, ".pdf") == expected


def test_money_text_and_amount_formats() -> None:
    assert display.money_text(Decimal("1234.5"), "EUR") == "1,234.50 EUR"
    assert display.money_text(Decimal("1500"), "JPY") == "1,500 JPY"
    assert display.money_text(Decimal("1.5"), "XYZ") == "1.5 XYZ"
    assert display.amount_format(["JPY", "KWD", "GBP"]) == "%,.3f"
    assert display.amount_format([]) == "%,.2f"


def test_scope_note() -> None:
    assert display.scope_note(None) is None
    only_north = display.scope_note(frozenset({"North"}))
    assert only_north == "You see only the branch North of this account."
    assert "branches North, South" in (display.scope_note(frozenset({"South", "North"})) or "")


@pytest.mark.parametrize(
    ("preset", "today", "expected"),
    [
        (periods.THIS_MONTH, date(2026, 3, 31), (date(2026, 3, 1), date(2026, 3, 31))),
        (periods.LAST_MONTH, date(2026, 3, 31), (date(2026, 2, 1), date(2026, 2, 28))),
        (periods.LAST_MONTH, date(2026, 1, 15), (date(2025, 12, 1), date(2025, 12, 31))),
        (periods.LAST_QUARTER, date(2026, 5, 10), (date(2026, 1, 1), date(2026, 3, 31))),
        (periods.LAST_QUARTER, date(2026, 2, 1), (date(2025, 10, 1), date(2025, 12, 31))),
        (periods.LAST_QUARTER, date(2026, 12, 31), (date(2026, 7, 1), date(2026, 9, 30))),
        (periods.YEAR_TO_DATE, date(2026, 3, 31), (date(2026, 1, 1), date(2026, 3, 31))),
    ],
)
def test_period_presets(preset: str, today: date, expected: tuple[date, date]) -> None:
    assert periods.period_for(preset, today) == expected


def test_custom_dates_have_no_preset() -> None:
    with pytest.raises(ValueError):
        periods.period_for(periods.CUSTOM, AS_OF)
