"""Amount and date grammar of ERP exports, as Python parsers and as DuckDB SQL expressions.

Both forms implement one grammar, written once as regular expressions that mean the same in
Python's `re` and in DuckDB's RE2; a hypothesis test checks that they agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DATE_ORDERS = ("DMY", "MDY", "YMD")
SCALE = Decimal("0.0001")  # the store keeps money with 4 decimals
MAX_AMOUNT = Decimal(10) ** 14  # DECIMAL(18,4): at most 14 digits before the point
EXCEL_EPOCH = date(1899, 12, 30)  # from serial 61 (1900-03-01) on: Excel counts 29/02/1900
PHANTOM_SERIAL = 60  # Excel's 29 February 1900, a day that never was
MIN_YEAR, MAX_YEAR = 1900, 2199

WHITESPACE = " \t\r\n\v\f\u00a0\u202f"
SYMBOLS = "£€$¥₹"
# The number itself once codes, symbols and spaces are gone: (1) 1- -1 +1, and the ledger side
# that Sage, MYOB and aged-receivables reports write after it: 1 CR is -1, 1 DR is 1.
MINUS = "\u2212"  # the typographic minus some exports write
SIGNED = r"(\()?([-+" + MINUS + r"])?([0-9.,']+)(-)?(\))?([CcDd][Rr])?"
BODY_POINT = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?:'[0-9]{3})+|[0-9]+)?(?:\.[0-9]*)?"
BODY_COMMA = r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:'[0-9]{3})+|[0-9]+)?(?:,[0-9]*)?"
PLAIN_POINT = r"-?[0-9]{1,14}(?:\.[0-9]{1,4})?"  # fast path: already a plain number
PLAIN_COMMA = r"-?[0-9]{1,14}(?:,[0-9]{1,4})?"
GROUPED_POINT = r"(?:[0-9]{1,3}(?:,[0-9]{3})*|[0-9]+)(?:\.[0-9]+)?"  # SQL fast paths
GROUPED_COMMA = r"(?:[0-9]{1,3}(?:\.[0-9]{3})*|[0-9]+)(?:,[0-9]+)?"

# A time after the date is allowed and ignored; its form is as loose as strptime's.
TIME = (
    r"(?:(?:T|[ \t\n\r\v\f])[ \t\n\r\v\f]*[0-9]{1,2}:[0-9]{1,2}(?::[0-9]{1,2}(?:\.[0-9]+)?)?"
    r"(?: *[AaPp][Mm])?(?: *(?:Z|[+-][0-9]{2}:?[0-9]{2}))?)?"
)
# Each date pattern captures three parts; the function after it says what they are.
DATE_ISO = r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})" + TIME
DATE_NUM = r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4}|[0-9]{2})" + TIME
DATE_MON = r"([0-9]{1,2})[- ]([A-Za-z]{3,9})\.?[- ]([0-9]{4}|[0-9]{2})" + TIME
DATE_MON_US = r"([A-Za-z]{3,9})\.? ([0-9]{1,2}),? ([0-9]{4})" + TIME
DATE_COMPACT = r"([0-9]{4})([0-9]{2})([0-9]{2})"
# An Excel serial (days, a fraction is the time of day): 1 is 1900-01-01. Excel goes up to
# 2958465 (9999-12-31), but after 99999 (2173-10-13) a plain number is far more likely a
# compact date such as 100126 (10/01/26): reading it as the year 2174 would be silently wrong.
DATE_SERIAL = r"([1-9][0-9]{0,4})(?:\.[0-9]+)?"
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip


def clean_text(text: str | None) -> str:
    """The value without surrounding whitespace ('' for a missing cell)."""
    return (text or "").strip(WHITESPACE)


# ---------------------------------------------------------------- Python parsers


def parse_amount(text: str | None, decimal_comma: bool = False) -> Decimal | None:
    """An amount as written in an export, or None when it is empty or not a number."""
    raw = clean_text(text)
    if not raw:
        return None
    if re.fullmatch(PLAIN_COMMA if decimal_comma else PLAIN_POINT, raw):
        return Decimal(raw.replace(",", ".")).quantize(SCALE, ROUND_HALF_UP)
    raw = re.sub(r"^[A-Z]{3}|[A-Z]{3}$", "", raw)
    raw = re.sub(f"[{SYMBOLS}{WHITESPACE}]", "", raw)
    match = re.fullmatch(SIGNED, raw)
    if not match:
        return None
    left, sign, body, trailing, right, side = match.groups()
    negatives = (left is not None) + (sign in ("-", MINUS)) + (trailing is not None)
    if (left is None) != (right is None) or negatives > 1:
        return None
    if side is not None:  # a side with a sign as well is a contradiction or a typo: refuse
        if sign is not None or negatives:
            return None
        negatives = side.upper() == "CR"
    if not re.fullmatch(BODY_COMMA if decimal_comma else BODY_POINT, body):
        return None
    if not re.search("[0-9]", body):
        return None
    digits = _plain_digits(body, decimal_comma)
    try:
        value = Decimal(digits).quantize(SCALE, ROUND_HALF_UP)
    except InvalidOperation:
        return None
    if abs(value) >= MAX_AMOUNT:
        return None
    return -value if negatives else value


def _plain_digits(body: str, decimal_comma: bool) -> str:
    thousands, point = (".", ",") if decimal_comma else (",", ".")
    digits = body.replace(thousands, "").replace("'", "").replace(point, ".")
    return "0" + digits if digits.startswith(".") else digits


def parse_date(text: str | None, order: str = "DMY") -> date | None:
    """A date as written in an export (the order settles dd/mm against mm/dd), or None."""
    raw = clean_text(text)
    if not raw:
        return None
    for pattern, build in _DATE_RULES:
        match = re.fullmatch(pattern, raw)
        if match:
            return build(match.groups(), order)
    return None


def _year(text: str) -> int:
    value = int(text)
    if len(text) == 2:  # the same pivot as strptime's %y
        value += 2000 if value < 69 else 1900
    return value


def _make(year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month(word: str) -> int:
    word = word.lower()
    for number, name in enumerate(MONTHS, start=1):
        if name.startswith(word) and len(word) >= 3:
            return number
    return 0


def _from_num(parts: tuple[str, ...], order: str) -> date | None:
    first, second, year = parts
    if order == "DMY":
        return _make(_year(year), int(second), int(first))
    if order == "MDY":
        return _make(_year(year), int(first), int(second))
    return None


def _from_serial(parts: tuple[str, ...], order: str) -> date | None:
    serial = int(parts[0])
    if serial == PHANTOM_SERIAL:
        return None
    return EXCEL_EPOCH + timedelta(days=serial + (1 if serial < PHANTOM_SERIAL else 0))


_DATE_RULES = (
    (DATE_ISO, lambda p, o: _make(int(p[0]), int(p[1]), int(p[2]))),
    (DATE_NUM, _from_num),
    (DATE_MON, lambda p, o: _make(_year(p[2]), _month(p[1]), int(p[0]))),
    (DATE_MON_US, lambda p, o: _make(int(p[2]), _month(p[0]), int(p[1]))),
    (DATE_COMPACT, lambda p, o: _make(int(p[0]), int(p[1]), int(p[2]))),
    (DATE_SERIAL, _from_serial),
)


# ---------------------------------------------------------------- SQL expressions


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def amount_sql(col: str, decimal_comma: bool = False) -> str:
    """A DuckDB expression giving DECIMAL(18,4) (or NULL) from the text column `col`."""
    thousands, point = (".", ",") if decimal_comma else (",", ".")
    plain = f"replace(replace({col}, {lit(thousands)}, ''), {lit(point)}, '.')"
    grouped = GROUPED_COMMA if decimal_comma else GROUPED_POINT
    # Fast paths for what nearly every row looks like; the general grammar handles the rest.
    fast = [
        (f"-?{grouped}", f"TRY_CAST({plain} AS DECIMAL(18,4))"),
        (rf"\({grouped}\)", f"-TRY_CAST(trim({plain}, '()') AS DECIMAL(18,4))"),
        (f"{grouped}-", f"-TRY_CAST(rtrim({plain}, '-') AS DECIMAL(18,4))"),
    ]
    whens = " ".join(
        f"WHEN regexp_full_match({col}, {lit(pattern)}) THEN {value}" for pattern, value in fast
    )
    general = _general_amount(col, decimal_comma)
    return f"(CASE WHEN {col} IS NULL THEN NULL {whens} ELSE {general} END)"


def _general_amount(col: str, decimal_comma: bool) -> str:
    stripped = (
        f"regexp_replace(regexp_replace(trim({col}, {lit(WHITESPACE)}), '^[A-Z]{{3}}|[A-Z]{{3}}$',"
        f" '', 'g'), {lit('[' + SYMBOLS + WHITESPACE + ']')}, '', 'g')"
    )
    parts = (f"regexp_extract({stripped}, {lit('^' + SIGNED + '$')}, "
             "['l', 's', 'b', 't', 'r', 'd'])")
    body = BODY_COMMA if decimal_comma else BODY_POINT
    thousands, point = (".", ",") if decimal_comma else (",", ".")
    digits = f"replace(replace(replace(m.b, {lit(thousands)}, ''), '''', ''), {lit(point)}, '.')"
    signs = f"((m.l = '(')::INT + (m.s IN ('-', '{MINUS}'))::INT + (m.t = '-')::INT)"
    negatives = f"({signs} + (upper(m.d) = 'CR')::INT)"
    return (
        f"list_transform([{parts}], lambda m: CASE WHEN (m.l = '(') = (m.r = ')') "
        f"AND {signs} <= 1 AND (m.d = '' OR ({signs} = 0 AND m.s = '')) "
        f"AND regexp_full_match(m.b, {lit(body)}) "
        f"AND regexp_matches(m.b, '[0-9]') THEN "
        f"(CASE WHEN {negatives} = 1 THEN -1 ELSE 1 END) * TRY_CAST({digits} AS DECIMAL(18,4)) "
        f"END)[1]"
    )


def date_sql(col: str, order: str = "DMY", samples: Sequence[str] = ()) -> str:
    """A DuckDB expression giving DATE (or NULL) from the text column `col`.

    `samples` (the column's first values) only choose which strptime layouts to try first:
    a layout that fails costs far more than one that fits.
    """
    text = f"trim({col}, {lit(WHITESPACE)})"
    year2 = "(CASE WHEN length({y}) = 2 THEN (CASE WHEN {y}::INT < 69 THEN 2000 ELSE 1900 END)" \
        " + {y}::INT ELSE {y}::INT END)"
    month = (
        "list_position(['jan','feb','mar','apr','may','jun','jul','aug','sep','oct','nov','dec'],"
        " lower({w}[1:3]))"
    )
    mon_ok = "starts_with(['" + "','".join(MONTHS) + "'][greatest(" + month + ", 1)], lower({w}))"
    rules = [
        (DATE_ISO, "m.a::INT", "m.b::INT", "m.c::INT"),
        (DATE_COMPACT, "m.a::INT", "m.b::INT", "m.c::INT"),
        (DATE_MON, year2.format(y="m.c"),
         f"(CASE WHEN {mon_ok.format(w='m.b')} THEN {month.format(w='m.b')} END)", "m.a::INT"),
        (DATE_MON_US, "m.c::INT",
         f"(CASE WHEN {mon_ok.format(w='m.a')} THEN {month.format(w='m.a')} END)", "m.b::INT"),
    ]
    if order in ("DMY", "MDY"):
        first, second = ("m.b::INT", "m.a::INT") if order == "DMY" else ("m.a::INT", "m.b::INT")
        rules.insert(1, (DATE_NUM, year2.format(y="m.c"), first, second))
    branches = [_date_branch(text, *rule) for rule in rules]
    serial = (
        f"WHEN regexp_full_match({text}, {lit(DATE_SERIAL)}) THEN "
        f"list_transform([regexp_extract({text}, '^([0-9]+)', 1)::INT], lambda n: CASE "
        f"WHEN n < {PHANTOM_SERIAL} THEN DATE '1899-12-31' + n "
        f"WHEN n > {PHANTOM_SERIAL} THEN DATE '1899-12-30' + n END)[1]"
    )
    general = f"(CASE WHEN {col} IS NULL THEN NULL {' '.join(branches)} {serial} END)"
    formats = quick_formats(order, samples)
    return f"coalesce({_fast_date(col, formats)}, {general})" if formats else general


def quick_formats(order: str, samples: Sequence[str] = ()) -> tuple[str, ...]:
    """strptime layouts for the shortcut, those that fit the samples first.

    With samples, only layouts that fit at least one of them are kept (every other value
    still goes the general way); without, all of them in a sensible order.
    """
    day_month = {"DMY": "%d/%m/%Y", "MDY": "%m/%d/%Y"}.get(order)
    formats = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S"]
    if day_month:
        formats = [day_month, day_month.replace("/", "."), day_month.replace("/", "-"),
                   f"{day_month} %H:%M", f"{day_month} %H:%M:%S", *formats]
    values = [clean_text(v) for v in samples if clean_text(v)]
    if not values:
        return tuple(formats)
    fits = {f: sum(1 for v in values if _fits(v, f)) for f in formats}
    return tuple(sorted((f for f in formats if fits[f]), key=lambda f: -fits[f]))


def _fits(value: str, layout: str) -> bool:
    try:
        datetime.strptime(value, layout)
    except ValueError:
        return False
    return True


def _fast_date(col: str, formats: Sequence[str]) -> str:
    """Common layouts through strptime, no regular expression: NULL when none fits.

    Only a shortcut: whatever it accepts, the grammar accepts with the same meaning (a year
    strptime reads from fewer digits fails the range check and goes the general way).
    """
    quick = f"try_strptime({col}, [{', '.join(lit(f) for f in formats)}])"
    return (f"(CASE WHEN year({quick}) BETWEEN {MIN_YEAR} AND {MAX_YEAR} "
            f"THEN CAST({quick} AS DATE) END)")


def _date_branch(text: str, pattern: str, year: str, month: str, day: str) -> str:
    parts = f"regexp_extract({text}, {lit('^' + pattern + '$')}, ['a', 'b', 'c'])"
    make = (
        f"list_transform([{parts}], lambda m: list_transform([[{year}, {month}, {day}]], "
        f"lambda v: CASE WHEN v[1] BETWEEN {MIN_YEAR} AND {MAX_YEAR} "
        f"THEN TRY(make_date(v[1], v[2], v[3])) END)[1])[1]"
    )
    return f"WHEN regexp_full_match({text}, {lit('^' + pattern + '$')}) THEN {make}"
