"""Amounts and dates as exports write them: the Python parsers, and the SQL the importer runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.imports.values import (
    EXCEL_EPOCH,
    amount_sql,
    date_sql,
    parse_amount,
    parse_date,
)
from lib.imports.vocab import classify_type, is_total_label, type_sql

# One in-memory DuckDB for the property tests (hypothesis re-runs a test body many times).
SHARED = duckdb.connect()


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    yield SHARED


def _apply_sql(con: duckdb.DuckDBPyConnection, expression: str, texts: list[str | None]) -> list:
    """The SQL expression over column x, applied to each text, results in input order."""
    rows = con.execute(
        f"SELECT i, {expression} FROM (SELECT unnest(range(len(l))) AS i, unnest(l) AS x "
        "FROM (SELECT ?::VARCHAR[] AS l)) ORDER BY i", [texts]).fetchall()
    return [r[1] for r in rows]


def sql_amounts(con: duckdb.DuckDBPyConnection, texts: list[str | None], comma: bool) -> list:
    return _apply_sql(con, amount_sql("x", comma), texts)


def sql_dates(con: duckdb.DuckDBPyConnection, texts: list[str | None], order: str) -> list:
    return _apply_sql(con, date_sql("x", order), texts)


AMOUNTS = [
    ("1,234.50", False, "1234.50"), ("(1,234.50)", False, "-1234.50"),
    ("1,234.50-", False, "-1234.50"), ("-12", False, "-12"), ("£1,234.50", False, "1234.50"),
    ("-£5.00", False, "-5"), ("£-5.00", False, "-5"), ("GBP 12.00", False, "12"),
    ("12.00 EUR", False, "12"), ("1 234.5", False, "1234.5"), ("1'234.50", False, "1234.5"),
    (" 7 ", False, "7"), (".5", False, "0.5"), ("12.345678", False, "12.3457"),
    ("1.234,56", True, "1234.56"), ("234,56-", True, "-234.56"), ("€ 1.234,50", True, "1234.5"),
    ("(1.234,56)", True, "-1234.56"), ("1 234,56", True, "1234.56"), ("0,5", True, "0.5"),
    ("\u22125.00", False, "-5"),
    # The ledger side after the amount (Sage, MYOB, aged-receivables reports).
    ("1,234.50 CR", False, "-1234.50"), ("1,234.50DR", False, "1234.50"),
    ("$1,234.50 Cr", False, "-1234.50"), ("1.234,50 CR", True, "-1234.50"),
    ("GBP 12.00 dr", False, "12"),
]


@pytest.mark.parametrize(("text", "comma", "expected"), AMOUNTS)
def test_amounts_in_every_written_form(text: str, comma: bool, expected: str, duck) -> None:
    assert parse_amount(text, comma) == Decimal(expected)
    assert sql_amounts(duck, [text], comma) == [Decimal(expected)]


@pytest.mark.parametrize(("text", "comma"), [
    ("abc", False), ("", False), ("1,23", False), ("(12", False), ("--5", False),
    ("-(5)", False), ("12e3", False), ("1.234,5", False), ("1,234.50", True), ("n/a", False),
    ("99999999999999.99995", False), ("12-3", False),
    # A sign and a ledger side together contradict each other or are a typo.
    ("-5 CR", False), ("(5) CR", False), ("5- DR", False), ("+5 DR", False), ("CR", False),
    ("5 CR DR", False), ("CR 5", False),
])
def test_text_that_is_not_an_amount(text: str, comma: bool, duck) -> None:
    assert parse_amount(text, comma) is None
    assert sql_amounts(duck, [text], comma) == [None]


DATES = [
    ("31/03/2026", "DMY", date(2026, 3, 31)), ("3/4/2026", "DMY", date(2026, 4, 3)),
    ("3/4/2026", "MDY", date(2026, 3, 4)), ("10/31/2011 10:42", "MDY", date(2011, 10, 31)),
    ("31.03.2026", "DMY", date(2026, 3, 31)), ("31-03-26", "DMY", date(2026, 3, 31)),
    ("2026-03-31", "MDY", date(2026, 3, 31)), ("2026-03-31T10:00:00Z", "DMY", date(2026, 3, 31)),
    ("2026-01-05 00:00:00", "DMY", date(2026, 1, 5)), ("31 Mar 2026", "DMY", date(2026, 3, 31)),
    ("31-Mar-2026", "MDY", date(2026, 3, 31)), ("Mar 31, 2026", "DMY", date(2026, 3, 31)),
    ("1 Sept 2026", "DMY", date(2026, 9, 1)), ("20260331", "YMD", date(2026, 3, 31)),
    ("45678", "DMY", date(2025, 1, 21)), ("45678.75", "MDY", date(2025, 1, 21)),
    ("2026/3/5", "YMD", date(2026, 3, 5)), ("03/31/2026 10:42:05 PM", "MDY", date(2026, 3, 31)),
    # Excel serials: any length up to five digits, a fraction is the time of day.
    ("45291.5", "DMY", date(2023, 12, 31)), ("4000", "DMY", date(1910, 12, 13)),
    ("1", "DMY", date(1900, 1, 1)), ("59", "MDY", date(1900, 2, 28)),
    ("61", "YMD", date(1900, 3, 1)), ("99999.999", "DMY", date(2173, 10, 13)),
]


@pytest.mark.parametrize(("text", "order", "expected"), DATES)
def test_dates_in_every_written_form(text: str, order: str, expected: date, duck) -> None:
    assert parse_date(text, order) == expected
    assert sql_dates(duck, [text], order) == [expected]


@pytest.mark.parametrize(("text", "order"), [
    ("31/02/2026", "DMY"), ("13/13/2026", "DMY"), ("10/31/2011", "DMY"), ("31/03/2026", "YMD"),
    ("2026-02-30", "DMY"), ("1 xyz 2026", "DMY"), ("yesterday", "DMY"), ("10:30", "DMY"),
    ("1850-01-01", "DMY"),
    # 60 is Excel's 29/02/1900; no serial has a leading zero; six digits are more likely a
    # compact date (100126 for 10/01/26) than the year 2174.
    ("60", "DMY"), ("0", "DMY"), ("045291", "DMY"), ("100126", "DMY"), ("2958465", "DMY"),
    ("45291.", "DMY"), ("-45291", "DMY"),
])
def test_text_that_is_not_a_date(text: str, order: str, duck) -> None:
    assert parse_date(text, order) is None
    assert sql_dates(duck, [text], order) == [None]


# ---- property tests: format a value in every supported style, parse it back exactly -----------

money = st.decimals(min_value=Decimal("-999999999999.9999"), max_value=Decimal("999999999999.9999"),
                    places=4, allow_nan=False, allow_infinity=False)


def _grouped(value: Decimal, thousands: str, point: str, places: int) -> str:
    text = f"{abs(value):,.{places}f}"
    return text.replace(",", "\0").replace(".", point).replace("\0", thousands)


def amount_styles(value: Decimal, comma: bool) -> list[str]:
    """The same amount as different exports would write it."""
    point, seps = (",", [".", " ", "'", ""]) if comma else (".", [",", " ", "'", ""])
    places = max(0, -value.as_tuple().exponent)  # type: ignore[operator]  # finite decimals
    out = []
    for sep in seps:
        body = _grouped(value, sep, point, places)
        if value < 0:
            out += [f"-{body}", f"({body})", f"{body}-", f"-£{body}", f"(€{body})",
                    f"-{body} EUR", f"\u2212{body}", f"{body} CR", f"£{body}Cr"]
        else:
            out += [body, f"£{body}", f"GBP {body}", f"{body} USD", f"$ {body}", f"+{body}",
                    f"{body} DR"]
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(money, min_size=1, max_size=8), st.booleans())
def test_amount_round_trip_python_and_sql_agree(values: list[Decimal], comma: bool) -> None:
    texts = [t for v in values for t in amount_styles(v, comma)]
    expected = [v for v in values for _ in amount_styles(v, comma)]
    from_sql = sql_amounts(SHARED, texts, comma)
    for text, value, sql_value in zip(texts, expected, from_sql, strict=True):
        assert parse_amount(text, comma) == value, text
        assert sql_value == value, text


days = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def date_styles(day: date, order: str) -> list[str]:
    """The same date as different exports would write it in one day/month order."""
    d, m, y = day.day, day.month, day.year
    first, second = (d, m) if order == "DMY" else (m, d)
    out = [day.isoformat(), f"{day.isoformat()} 10:42:00", f"{day.isoformat()}T23:59:59Z",
           f"{d} {MONTHS[m - 1]} {y}", f"{d:02d}-{MONTHS[m - 1]}-{y}",
           f"{MONTHS[m - 1]} {d}, {y}", f"{y}{m:02d}{d:02d}", f"{y}/{m}/{d}"]
    if order != "YMD":
        out += [f"{first:02d}/{second:02d}/{y}", f"{first}/{second}/{y}",
                f"{first:02d}.{second:02d}.{y}", f"{first}-{second}-{y} 7:05",
                f"{first}/{second}/{y} 10:42:05 PM"]
        if 1969 <= y <= 2068:
            out.append(f"{first:02d}/{second:02d}/{y % 100:02d}")
    serial = excel_serial(day)
    if serial <= 99999:
        out += [str(serial), f"{serial}.25"]
    return out


def excel_serial(day: date) -> int:
    """Excel's number for a day: it counts a 29 February 1900 that never was."""
    return (day - EXCEL_EPOCH).days - (1 if day < date(1900, 3, 1) else 0)


@settings(max_examples=40, deadline=None)
@given(st.lists(days, min_size=1, max_size=8), st.sampled_from(["DMY", "MDY", "YMD"]))
def test_date_round_trip_python_and_sql_agree(values: list[date], order: str) -> None:
    texts = [t for v in values for t in date_styles(v, order)]
    expected = [v for v in values for _ in date_styles(v, order)]
    from_sql = sql_dates(SHARED, texts, order)
    for text, value, sql_value in zip(texts, expected, from_sql, strict=True):
        assert parse_date(text, order) == value, text
        assert sql_value == value, text


noise = st.text(alphabet="0123456789.,-+()£$€' \u00a0\t\vEURGBPusdCDr", max_size=14)
date_noise = st.text(alphabet="0123456789/.-: TZAPMJanFebSepDec,\t\n\v\u00a0", max_size=22)
# Dates with odd times after them: the shortcut (strptime) and the grammar must agree.
suffixes = st.sampled_from(["", " 1:5", "\t10:42:5", "T10:42", " 10:42 PM", "  25:99", " 10",
                            "\n10:42", " 10:42:05.5", " +10:42", "10:42", " 010:42", " 10:42 "])
odd_dates = st.builds(lambda d, f, s: f(d) + s, days, st.sampled_from([
    lambda d: f"{d.day}/{d.month}/{d.year}", lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: d.isoformat(), lambda d: f"{d.month}-{d.day}-{d.year % 100:02d}",
    lambda d: f" {d.day}/{d.month}/{d.year}"]), suffixes)


@settings(max_examples=30, deadline=None)
@given(st.lists(noise, min_size=1, max_size=30), st.booleans())
def test_any_text_parses_to_the_same_amount_in_python_and_sql(texts: list[str],
                                                               comma: bool) -> None:
    assert sql_amounts(SHARED, texts, comma) == [parse_amount(t, comma) for t in texts]


@settings(max_examples=30, deadline=None)
@given(st.lists(date_noise | odd_dates, min_size=1, max_size=30),
       st.sampled_from(["DMY", "MDY", "YMD"]))
def test_any_text_parses_to_the_same_date_in_python_and_sql(texts: list[str], order: str) -> None:
    assert sql_dates(SHARED, texts, order) == [parse_date(t, order) for t in texts]


# ---- document types and total rows ----------------------------------------------------------


@pytest.mark.parametrize(("text", "kind"), [
    ("Invoice", "invoice"), ("Sales invoice", "invoice"), ("SI", "invoice"),
    ("Rechnung", "invoice"), ("out_invoice", "invoice"), ("Credit Memo", "credit_note"),
    ("Sales credit note", "credit_note"), ("Customer Credit Note", "credit_note"),
    ("SC", "credit_note"), ("CN", "credit_note"), ("Gutschrift", "credit_note"),
    ("Credit Note", "credit_note"), ("DZ", "other"), ("Payment", "other"), ("SR", "other"),
    ("Frobnicate", "unknown"), ("", None),
])
def test_document_type_words(text: str, kind: str | None, duck) -> None:
    assert classify_type(text) == kind
    assert duck.execute(f"SELECT {type_sql('x')} FROM (SELECT ?::VARCHAR AS x)",
                        [text]).fetchone()[0] == kind


@pytest.mark.parametrize(("text", "total"), [
    ("Total", True), ("TOTAL", True), ("Totals:", True), ("Total for Cafe Rosa", True),
    ("Grand Total", True), ("Subtotal", True), ("*", True), ("**", True), ("Summe", True),
    ("Total Supplies Ltd", True), ("INV-1", False), ("Totally Gifts", False), ("", False),
])
def test_total_row_labels(text: str, total: bool) -> None:
    assert is_total_label(text) is total


def test_excel_serial_dates_count_from_1899_12_30() -> None:
    assert parse_date("45658", "DMY") == date(2025, 1, 1)
    assert EXCEL_EPOCH + timedelta(days=45658) == date(2025, 1, 1)


@pytest.mark.parametrize("serial", [1, 2, 58, 59, 61, 62, 366, 4000, 45291, 99999])
def test_excel_serials_match_excel_including_its_1900_leap_day(serial: int, duck) -> None:
    expected = next(d for d in (EXCEL_EPOCH + timedelta(days=serial + k) for k in (0, 1))
                    if excel_serial(d) == serial)
    assert parse_date(str(serial)) == expected == parse_date(f"{serial}.75")
    assert sql_dates(duck, [str(serial), f"{serial}.75"], "DMY") == [expected, expected]
