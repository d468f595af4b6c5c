"""How values are printed and when two prints are the same value: the dataset builder's rules
(src/dataset/normalize.ts, value-words.ts), in Python, over the same table (value-rules.json, shipped in
this package; the builder imports the same file). The trainer's field metrics, its decoding and the
compact model's date and amount features use these, so a value counts as found exactly when the builder
would have labelled that print of it. The cases both sides must agree on are one table,
test/fixtures/value-cases.json, run by vitest (test/unit/dataset/value-cases.test.ts) and pytest
(tests/test_value_cases.py).

- amounts: exact decimal numbers (`RM 9.00` = `9.0` = `9,00`; `1,939.00` = `1.939,00` = `1 939,00` =
  `EUR 1.939,-`); `amounts_equal` also asks for decimals in the print where the value has them;
- dates: calendar dates from numeric prints (`25/12/18`, `07.05.2014`, `2018-03-10`, `20180310`) and
  month names of every language of the table (`August 3, 2014`, `3rd August 2014`, `02 Juillet 2015`,
  `29 maart 2014`, `3 Ogos 2014`); a numeric print that reads both day-first and month-first is the same
  as an ISO value only once the order is known (`compare_dates` says `ambiguous`);
- identifiers: letters and digits, with or without a prefix of the table (`INV-`, `No.`, `#`);
- text: NFKD, accents dropped, lowercase a-z0-9 (`normalize_token`).

Hand-written, as the TypeScript side is (its header says why no date library is used)."""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

RULES_FILE = Path(__file__).with_name("value-rules.json")

DateOrder = Literal["dmy", "mdy"]
DateComparison = Literal["same", "ambiguous", "different"]
ValueKind = Literal["amount", "date", "identifier", "number", "text"]

_MIN_MONTH_PREFIX = 3


def text_key(text: str) -> str:
    """Lowercase, accents dropped (NFKD, combining marks removed); other characters kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def normalize_token(text: str) -> str:
    """Lowercase a-z0-9 only, accents dropped (normalize.ts `normalizeToken`, value-words.ts `wordKey`)."""
    return re.sub(r"[^a-z0-9]", "", text_key(text))


def _load() -> dict[str, Any]:
    rules = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    if not isinstance(rules, dict) or rules.get("schemaVersion") != 1:
        raise ValueError(f"{RULES_FILE}: not a value table of schemaVersion 1")
    for code, months in rules["months"].items():
        if len(months) != 12 or not all(isinstance(m, list) and m for m in months):
            raise ValueError(f"{RULES_FILE}: months.{code} must list twelve months")
    return rules


RULES: dict[str, Any] = _load()


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_EXACT_MONTHS: dict[str, set[int]] = {}
_FULL_MONTHS: list[tuple[str, int]] = []
for _months in RULES["months"].values():
    for _index, _names in enumerate(_months):
        for _position, _name in enumerate(_names):
            _EXACT_MONTHS.setdefault(normalize_token(_name), set()).add(_index + 1)
            if _position == 0:
                _FULL_MONTHS.append((normalize_token(_name), _index + 1))

ORDINAL_PATTERN = _alternatives(RULES["dateWords"]["ordinalSuffixes"])
CONNECTOR_PATTERN = _alternatives(RULES["dateWords"]["connectors"])
CURRENCY_SYMBOL_PATTERN = _alternatives(RULES["currencies"]["symbols"])
CURRENCY_CODES = frozenset(RULES["currencies"]["codes"])
IDENTIFIER_PREFIXES = tuple(
    sorted({normalize_token(p) for p in RULES["identifierPrefixes"]}, key=len, reverse=True)
)
PART_QUALIFIERS = tuple(RULES["partQualifiers"])


@lru_cache(maxsize=4096)
def month_number(name: str) -> int | None:
    """`sept`, `juil.`, `März`, `ogos` -> 1..12; None when not a month, or when languages disagree."""
    key = normalize_token(name)
    months = _EXACT_MONTHS.get(key)
    if months is None and len(key) >= _MIN_MONTH_PREFIX:
        months = {month for full, month in _FULL_MONTHS if full.startswith(key)}
    return next(iter(months)) if months is not None and len(months) == 1 else None


def field_names(field: str, extra: dict[str, list[str]] | None = None) -> tuple[str, ...]:
    """The names of a field in normalize_token form: the key's words of three letters or more
    (`total_amount` -> total, amount), the table's words for the key in every language, the user's."""
    own = [w for w in field.split("_") if len(w) >= 3]
    table = [w for words in RULES["fieldNames"].get(field, {}).values() for w in words]
    added = (extra or {}).get(field, [])
    keys = [normalize_token(w) for w in [*own, *table, *added]]
    return tuple(dict.fromkeys(k for k in keys if k))


# ---------------------------------------------------------------------------------------------------
# Amounts
# ---------------------------------------------------------------------------------------------------

_DIGIT_LOOKALIKES = {"o": "0", "d": "0", "q": "0", "i": "1", "l": "1", "z": "2", "s": "5", "b": "8", "g": "9"}
_LOOKALIKE_LETTERS = "oqdilzsbg"
_CURRENCY = f"(?:{CURRENCY_SYMBOL_PATTERN})"
_PREFIX = re.compile(rf"^[^a-z0-9]*(?:(?:{_CURRENCY}|[a-z]{{1,3}}\$?)\.?)?[^a-z0-9]*$")
_SUFFIX = re.compile(rf"^[^a-z0-9]*(?:{_CURRENCY}|[a-z]{{1,3}})?[^a-z0-9]*$")
_GROUP = "[,.' \u00a0\u202f]"
_DASH_DECIMALS = re.compile(r"^[.,]-{1,2}(?![0-9])")
_BODY = re.compile(rf"^[0-9](?:{_GROUP}?[0-9])*$")


@dataclass(frozen=True)
class Amount:
    negative: bool
    integer: str
    fraction: str
    has_decimals: bool

    @property
    def value(self) -> float:
        return (-1 if self.negative else 1) * float(f"{self.integer}.{self.fraction or '0'}")


def parse_amount(text: str) -> Amount | None:
    """A printed amount (normalize.ts `parseAmount`): `RM 9.00`, `$1,234.50`, `1.234,50`, `1 939,00`,
    `118,37`, `9.0`, `9`, `-0.02`, `12.50-`, `EUR 1.939,-`; None for anything else."""
    s = unicodedata.normalize("NFKC", text).lower().strip()
    digit = re.search(r"[0-9]", s)
    if digit is None:
        return None
    first = digit.start()
    last = max(m.start() for m in re.finditer(r"[0-9]", s))
    lead = re.search(r"(?:^|[^a-z])([oqdilzsbg]{1,2})$", s[:first])
    if lead is not None:
        first -= len(lead.group(1))
    trail = re.match(r"^([oqdilzsbg]{1,2})(?:$|[^a-z])", s[last + 1 :])
    if trail is not None:
        last += len(trail.group(1))
    before, after = s[:first], s[last + 1 :]
    dash = _DASH_DECIMALS.match(after)
    if dash is not None:
        after = after[dash.end() :]
    if not _PREFIX.match(before) or not _SUFFIX.match(after):
        return None
    body = "".join(_DIGIT_LOOKALIKES.get(c, c) if c in _LOOKALIKE_LETTERS else c for c in s[first : last + 1])
    if not _BODY.match(body):
        return None
    integer_part, fraction = body, ""
    decimal = None if dash is not None else re.search(r"[,.]([0-9]{1,2})$", body)
    if decimal is not None:
        integer_part, fraction = body[: decimal.start()], decimal.group(1)
    groups = re.split(_GROUP, integer_part)
    if len(groups) > 1 and (any(len(g) != 3 for g in groups[1:]) or len(groups[0]) > 3):
        return None
    if len(set(re.findall(_GROUP, integer_part))) > 1:
        return None
    negative = bool(re.search(r"-\s*$", before) or before.startswith("-") or re.match(r"^\s*-", after))
    integer = re.sub(r"^0+(?=[0-9])", "", "".join(groups))
    return Amount(negative, integer, fraction.rstrip("0"), decimal is not None or dash is not None)


def same_amount(a: Amount, b: Amount) -> bool:
    """The same decimal number and sign, however printed (the rule field metrics compare amounts by)."""
    return (a.integer, a.fraction, a.negative) == (b.integer, b.fraction, b.negative)


def amounts_equal(annotated: Amount, printed: Amount) -> bool:
    """The same number, printed with decimals where the value has them (`9` is not plainly `9.00`)."""
    if annotated.has_decimals and not printed.has_decimals:
        return False
    return same_amount(annotated, printed)


# ---------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedDate:
    readings: tuple[str, ...]
    dmy: str | None
    mdy: str | None
    numeric: bool
    printed: str
    index: int
    length: int


def _full_year(year: str) -> int:
    n = int(year)
    return (2000 + n if n < 70 else 1900 + n) if len(year) == 2 else n


def _valid(y: int, m: int, d: int) -> bool:
    return 1900 <= y <= 2199 and 1 <= m <= 12 and 1 <= d <= calendar.monthrange(y, m)[1]


def _iso(y: int, m: int, d: int) -> str:
    return f"{y}-{m:02d}-{d:02d}"


def _digits_of(text: str) -> str:
    return "".join(_DIGIT_LOOKALIKES.get(c, c) for c in text.lower())


_NUM = r"[0-9oOilIzZsSbB]*[0-9][0-9oOilIzZsSbB]*"
_SEP = r"\s*[\/\-.]\s*"
_ORDINAL = rf"(?:{ORDINAL_PATTERN})?\.?"
_CONNECTOR = rf"(?:(?:{CONNECTOR_PATTERN})\s+)?"
_LETTER = r"[^\W\d_]"
_MONTH = rf"({_LETTER}{{3,12}}\.?)"

_Reading = tuple[list[int], list[tuple[int, int, int]], bool]


def _read_numeric(m: re.Match[str]) -> _Reading | None:
    a, b, c = (_digits_of(m.group(i)) for i in (1, 3, 5))
    if len(a) == 4 and len(b) <= 2 and len(c) <= 2:
        return [int(a), int(b), int(c)], [(int(a), int(b), int(c))], False
    if len(a) > 2 or len(b) > 2 or len(c) not in (2, 4):
        return None
    y = _full_year(c)
    day_first = (y, int(b), int(a))
    dotted = m.group(2).strip() == "." and m.group(4).strip() == "."
    readings = [day_first] if dotted else [day_first, (y, int(a), int(b))]
    return [int(a), int(b), y], readings, True


def _read_day_month(m: re.Match[str]) -> _Reading | None:
    day, month, year = _digits_of(m.group(1)), month_number(m.group(2)), _digits_of(m.group(3))
    if month is None or len(day) > 2 or len(year) not in (2, 4):
        return None
    y = _full_year(year)
    return [int(day), month, y], [(y, month, int(day))], False


def _read_month_day(m: re.Match[str]) -> _Reading | None:
    month, day, year = month_number(m.group(1)), _digits_of(m.group(2)), _digits_of(m.group(3))
    if month is None or len(day) > 2 or len(year) not in (2, 4):
        return None
    y = _full_year(year)
    return [int(day), month, y], [(y, month, int(day))], False


def _read_basic(m: re.Match[str]) -> _Reading | None:
    parts = [int(m.group(i)) for i in (1, 2, 3)]
    return parts, [(parts[0], parts[1], parts[2])], False


_DATE_PATTERNS = (
    (re.compile(rf"(?<![0-9])({_NUM})({_SEP})({_NUM})({_SEP})({_NUM})(?![0-9])"), _read_numeric),
    (
        re.compile(
            rf"(?<![0-9])({_NUM}){_ORDINAL}[\s\-\/.]*{_CONNECTOR}{_MONTH}[\s\-\/.,]*{_CONNECTOR}({_NUM})(?![0-9])"
        ),
        _read_day_month,
    ),
    (
        re.compile(rf"(?<!{_LETTER}){_MONTH}[\s\-\/.]*({_NUM}){_ORDINAL}[\s\-\/.,]+({_NUM})(?![0-9])"),
        _read_month_day,
    ),
    (
        re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(?![0-9])"),
        _read_basic,
    ),
)


def find_dates(text: str) -> list[ParsedDate]:
    """Every date printed in `text`, by position (normalize.ts `findDates`)."""
    found: list[ParsedDate] = []
    for pattern, read in _DATE_PATTERNS:
        pos = 0
        while True:
            m = pattern.search(text, pos)
            if m is None:
                break
            got = read(m)
            if got is not None:
                printed, raw, numeric = got
                valid = [_iso(*r) if _valid(*r) else None for r in raw]
                readings = tuple(dict.fromkeys(r for r in valid if r is not None))
                if readings:
                    dmy = valid[0] if numeric else None
                    mdy = valid[1] if numeric and len(valid) > 1 else None
                    found.append(
                        ParsedDate(
                            readings,
                            dmy,
                            mdy,
                            numeric,
                            "|".join(map(str, printed)),
                            m.start(),
                            len(m.group(0)),
                        )
                    )
            pos = m.start() + 1
    return sorted(found, key=lambda d: (d.index, -d.length))


def parse_date(value: str) -> ParsedDate | None:
    """The one date a whole value is, or None."""
    trimmed = value.strip()
    return next((d for d in find_dates(trimmed) if d.index == 0 and d.length == len(trimmed)), None)


def readings_in(date: ParsedDate, order: DateOrder | None) -> tuple[str, ...]:
    if order is None or not date.numeric:
        return date.readings
    reading = date.dmy if order == "dmy" else date.mdy
    return () if reading is None else (reading,)


def date_order_of(dates: list[ParsedDate]) -> DateOrder | None:
    """The day/month order a text's numeric dates say, when they all agree (normalize.ts `dateOrderOf`)."""
    orders: set[DateOrder] = set()
    for d in dates:
        if d.numeric and d.dmy is not None and d.mdy is None:
            orders.add("dmy")
        if d.numeric and d.mdy is not None and d.dmy is None:
            orders.add("mdy")
    return next(iter(orders)) if len(orders) == 1 else None


def compare_dates(
    annotated: ParsedDate, printed: ParsedDate, order: DateOrder | None = None
) -> DateComparison:
    """normalize.ts `compareDates`: `same`, `ambiguous` (the print may mean the value's date, the order is
    not known) or `different`."""
    if annotated.printed == printed.printed:
        return "same"
    if len(annotated.readings) > 1 and len(printed.readings) > 1:
        return "different"
    a, p = readings_in(annotated, order), readings_in(printed, order)
    if not set(a) & set(p):
        return "different"
    return "same" if len(p) == 1 else "ambiguous"


# ---------------------------------------------------------------------------------------------------
# Identifiers, kinds
# ---------------------------------------------------------------------------------------------------


def strip_identifier_prefix(norm: str) -> str:
    """normalize_token text without its identifier prefixes (`invoiceno4711` -> `4711`), when digits
    follow them (normalize.ts `stripIdentifierPrefix`)."""
    for prefix in IDENTIFIER_PREFIXES:
        if len(norm) <= len(prefix) or not norm.startswith(prefix):
            continue
        rest = norm[len(prefix) :]
        if rest[0].isdigit():
            return rest
        stripped = strip_identifier_prefix(rest)
        if stripped != rest:
            return stripped
    return norm


def identifier_core(text: str) -> str:
    """An identifier without its prefix (`INV-2014-0815` -> `20140815`, `No. 12` -> `12`)."""
    return strip_identifier_prefix(normalize_token(text))


def identifiers_equal(a: str, b: str) -> bool:
    """The same letters and digits, or the same once their prefixes are dropped (`INV-0042`, `#0042`)."""
    return normalize_token(a) == normalize_token(b) or identifier_core(a) == identifier_core(b)


def _has_identifier_prefix(value: str) -> bool:
    trimmed = value.strip()
    if not re.search(r"[0-9]", trimmed) or len(trimmed.split()) > 3:
        return False
    if re.match(r"^#\s*[0-9a-z]", trimmed, re.IGNORECASE):
        return True
    first = normalize_token(re.split(r"[\s.:#\-/]+", trimmed)[0])
    return first in IDENTIFIER_PREFIXES and identifier_core(trimmed) != normalize_token(trimmed)


def _is_code(value: str) -> bool:
    trimmed = value.strip()
    norm = normalize_token(trimmed)
    return (
        not re.search(r"\s", trimmed)
        and bool(re.search(r"[0-9]", norm))
        and bool(re.search(r"[a-z]", norm))
        and len(norm) >= 4
    )


_CURRENCY_RE = re.compile(_CURRENCY)


def value_kind(value: str) -> ValueKind:
    """What kind of value an annotation holds, from the value itself (normalize.ts `valueKind`)."""
    if parse_date(value) is not None:
        return "date"
    if _has_identifier_prefix(value):
        return "identifier"
    amount = parse_amount(value)
    currency = (
        bool(_CURRENCY_RE.search(value)) or re.sub(r"[0-9]", "", normalize_token(value)) in CURRENCY_CODES
    )
    if amount is not None and (amount.has_decimals or currency or re.search(r"[,.' ]", value.strip())):
        return "amount"
    if _is_code(value):
        return "identifier"
    if re.fullmatch(r"[0-9]+", normalize_token(value)):
        return "number"
    return "text"
