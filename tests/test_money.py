"""Money: minor units, rounding and the one way amounts are written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lib.errors import PortalError
from lib.money import (
    KNOWN_CURRENCIES,
    format_amount,
    format_money,
    minor_units,
    plain_amount,
    quantize,
)


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("GBP", 2), ("EUR", 2), ("USD", 2), ("CHF", 2), ("SEK", 2), ("NOK", 2), ("DKK", 2),
     ("PLN", 2), ("CZK", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3), ("AUD", 2), ("NZD", 2),
     ("CAD", 2), ("ZAR", 2), ("eur", 2)],
)  # fmt: skip
def test_minor_units_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_units(currency) == digits
    assert currency.upper() in KNOWN_CURRENCIES


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1.005", "GBP", "1.01"),  # half away from zero, not banker's rounding
        ("-1.005", "GBP", "-1.01"),
        ("2.5", "JPY", "3"),
        ("1.2345", "KWD", "1.235"),
        ("10", "EUR", "10.00"),
    ],
)
def test_quantize_rounds_commercially(amount: str, currency: str, expected: str) -> None:
    result = quantize(Decimal(amount), currency)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "money", "plain"),
    [
        ("1234.5", "GBP", "1,234.50 GBP", "1234.50"),
        ("-12", "EUR", "-12.00 EUR", "-12.00"),
        ("1234567", "JPY", "1,234,567 JPY", "1234567"),
        ("-0.001", "GBP", "0.00 GBP", "0.00"),  # never "-0.00"
        ("0.1235", "BHD", "0.124 BHD", "0.124"),
    ],
)
def test_amounts_are_written_with_code_and_separators(
    amount: str, currency: str, money: str, plain: str
) -> None:
    assert format_money(Decimal(amount), currency) == money
    assert format_amount(Decimal(amount), currency) == money.rsplit(" ", 1)[0]
    assert plain_amount(Decimal(amount), currency) == plain


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        quantize(0.1, "GBP")  # type: ignore[arg-type]  # the point of the test


def test_unknown_currency_is_a_portal_error() -> None:
    with pytest.raises(PortalError, match="XYZ"):
        format_money(Decimal("1"), "XYZ")
