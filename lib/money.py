"""Money: ISO 4217 minor units, rounding to them, and one way of writing amounts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from lib.errors import PortalError

# ISO 4217 minor units (digits after the decimal point) of the currencies a wholesaler meets.
MINOR_UNITS: dict[str, int] = {
    "GBP": 2, "EUR": 2, "USD": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2,
    "CZK": 2, "HUF": 2, "RON": 2, "BGN": 2, "TRY": 2, "ILS": 2, "AUD": 2, "NZD": 2,
    "CAD": 2, "ZAR": 2, "CNY": 2, "HKD": 2, "SGD": 2, "INR": 2, "MXN": 2, "BRL": 2,
    "AED": 2, "SAR": 2, "QAR": 2, "THB": 2, "MYR": 2, "PHP": 2, "MAD": 2, "EGP": 2,
    "JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "XOF": 0, "XAF": 0, "UGX": 0,
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip
KNOWN_CURRENCIES: frozenset[str] = frozenset(MINOR_UNITS)


def minor_units(currency: str) -> int:
    """Digits after the decimal point for a currency; PortalError for an unknown code."""
    code = currency.strip().upper()
    if code not in MINOR_UNITS:
        raise PortalError(f"Unknown currency code {currency!r}: expected an ISO 4217 code.")
    return MINOR_UNITS[code]


def _require_decimal(amount: object) -> Decimal:
    # Floats carry binary rounding errors into money: refuse them rather than guess.
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"money must be Decimal or int, not {type(amount).__name__}")
    return Decimal(amount)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round an amount to the currency's minor units, half away from zero (commercial rounding)."""
    value = _require_decimal(amount)
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return value.quantize(exponent, rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal, currency: str) -> str:
    """The amount with thousands separators and the currency's decimals, e.g. '-1,234.50'."""
    value = quantize(amount, currency)
    if value == 0:
        value = abs(value)  # never show "-0.00"
    return f"{value:,.{minor_units(currency)}f}"


def format_money(amount: Decimal, currency: str) -> str:
    """The amount followed by the ISO code, e.g. '1,234.50 EUR', '-12.00 GBP', '1,500 JPY'.

    The code, not a symbol, is the one convention everywhere: '$' alone is ambiguous between
    USD, AUD, CAD and NZD, and a code reads the same in every language.
    """
    return f"{format_amount(amount, currency)} {currency.strip().upper()}"


def plain_amount(amount: Decimal, currency: str) -> str:
    """The amount for machine-read files (CSV): no separators, e.g. '-1234.50'."""
    value = quantize(amount, currency)
    return str(abs(value) if value == 0 else value)
