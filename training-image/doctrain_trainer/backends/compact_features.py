"""The compact model's hand-built inputs, per word of a document (plain Python lists; the backend makes
tensors of them): binary cues of the word itself, hashed character n-grams, bucketed and relative box
coordinates, its text line, how the amount it prints compares with the page's other amounts, whether it is
part of a date printed over several words, and (field_names.py) how plainly a word before it names each
field. Computed once per document in `CompactBackend.encode`; the model (compact_model.py) only embeds
them."""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence

from ..data import COORD_MAX, normalize_word
from ..value_rules import ORDINAL_PATTERN, month_number, parse_amount, parse_date

COORD_BUCKETS = 128
NUM_BOX_FEATURES = 10
# Character n-grams (2..4 of "<word>", lowercased, digits -> 0), hashed into a fixed table: a word the
# OCR garbled ("T0TAL", "JOH0R") or never seen in training still shares most n-grams with its clean form,
# so it is not reduced to UNK (fastText-style subword embeddings).
NGRAM_SIZES = (2, 3, 4)
NGRAM_BUCKETS = 4096
MAX_NGRAMS = 32
NUM_LINE_FEATURES = 7
NUM_AMOUNT_FEATURES = 8
NUM_FLAG_FEATURES = 10


def word_flags(word: str) -> list[float]:
    """Cheap binary cues that survive unseen vocabulary (prices vs dates vs words)."""
    w = word.strip()
    digits = sum(ch.isdigit() for ch in w)
    alpha = sum(ch.isalpha() for ch in w)
    return [
        float(digits > 0),
        float(digits > 0 and digits == len(w)),
        float(amount_value(w) is not None),
        float(parse_date(w) is not None),
        float(alpha > 0 and w.isupper()),
        float(alpha > 0 and w[:1].isupper() and not w.isupper()),
        float(w.endswith(":")),
        float(any(ch in "$€£" for ch in w) or w.upper().startswith("RM")),
        float("%" in w),
        min(len(w), 20) / 20.0,
    ]


def _bucket(value: int) -> int:
    return min(COORD_BUCKETS - 1, max(0, value) * COORD_BUCKETS // (COORD_MAX + 1))


def box_rows(bboxes: Sequence[tuple[int, int, int, int]]) -> tuple[list[list[int]], list[list[float]]]:
    # Document-relative coordinates make a receipt photographed small or off-centre look like any other.
    min_x = min(b[0] for b in bboxes)
    min_y = min(b[1] for b in bboxes)
    span_x = max(1, max(b[2] for b in bboxes) - min_x)
    span_y = max(1, max(b[3] for b in bboxes) - min_y)
    buckets: list[list[int]] = []
    feats: list[list[float]] = []
    for x0, y0, x1, y1 in bboxes:
        w, h = x1 - x0, y1 - y0
        buckets.append([_bucket(x0), _bucket(y0), _bucket(x1), _bucket(y1), _bucket(w), _bucket(h)])
        feats.append(
            [
                x0 / COORD_MAX,
                y0 / COORD_MAX,
                x1 / COORD_MAX,
                y1 / COORD_MAX,
                w / COORD_MAX,
                h / COORD_MAX,
                (x0 - min_x) / span_x,
                (y0 - min_y) / span_y,
                (x1 - min_x) / span_x,
                (y1 - min_y) / span_y,
            ]
        )
    return buckets, feats


def char_ngrams(word: str) -> list[int]:
    """Hashed ids (1..NGRAM_BUCKETS-1) of the word's character n-grams; crc32 so ids are stable across
    processes (Python's hash() is salted)."""
    text = f"<{normalize_word(word)[:30]}>"
    grams = {text[i : i + n] for n in NGRAM_SIZES for i in range(len(text) - n + 1)}
    ids = sorted(1 + zlib.crc32(g.encode("utf-8")) % (NGRAM_BUCKETS - 1) for g in grams)
    return ids[:MAX_NGRAMS]


def line_features(bboxes: Sequence[tuple[int, int, int, int]]) -> list[list[float]]:
    """Per word: where its text line sits and where the word sits in it. Words come in reading order;
    a word starts a new line unless it overlaps the current line vertically by half its height or more.
    Features: line index / lines, position in line / line length, first, last, words in line (/10, capped),
    gap to the previous word in the line (/ page width, capped), line's x-extent start (0..1)."""
    lines: list[list[int]] = []
    line_top = line_bottom = 0
    for i, (_, y0, _, y1) in enumerate(bboxes):
        height = max(1, y1 - y0)
        overlap = min(y1, line_bottom) - max(y0, line_top)
        if lines and overlap >= 0.5 * min(height, max(1, line_bottom - line_top)):
            lines[-1].append(i)
            line_top, line_bottom = min(line_top, y0), max(line_bottom, y1)
        else:
            lines.append([i])
            line_top, line_bottom = y0, y1
    feats: list[list[float]] = [[0.0] * NUM_LINE_FEATURES for _ in bboxes]
    for li, members in enumerate(lines):
        n = len(members)
        start_x = min(bboxes[m][0] for m in members) / COORD_MAX
        for pos, m in enumerate(members):
            gap = bboxes[m][0] - bboxes[members[pos - 1]][2] if pos > 0 else 0
            feats[m] = [
                li / max(1, len(lines) - 1),
                pos / max(1, n - 1),
                float(pos == 0),
                float(pos == n - 1),
                min(n, 10) / 10.0,
                min(max(gap, 0), 300) / 300.0,
                start_x,
            ]
    return feats


def entity_types(labels: Sequence[str]) -> list[str]:
    """The entity types of a label list (`B-TOTAL`, `I-TOTAL` -> `TOTAL`), in label order."""
    return list(dict.fromkeys(label[2:] for label in labels if label[:2] in ("B-", "I-")))


NUM_DATE_FEATURES = 4
DATE_SPAN_WORDS = 4
# A month's name or abbreviation in any language of the value table (value_rules.month_number).
_MONTH = r"(?P<mon>[^\W\d_]{3,12})\.?"
_ORDINAL_RE = re.compile(rf"^(?:{ORDINAL_PATTERN})")
_DATE_PATTERNS = (
    # 25/12/2018, 25-12-18, 25.12.2018 (and month-first: the features say "a date", not which part is what)
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?:\d{2}|\d{4})$"),
    re.compile(r"^\d{4}[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),  # 2018-12-25
    # 25 Dec 2018, 25-DEC-18, 3rd August 2014, 02 juillet 2015
    re.compile(rf"^(?P<d>\d{{1,2}})\.?[-/.,]?{_MONTH}[-/.,]?(?:\d{{2}}|\d{{4}})$"),
    re.compile(rf"^{_MONTH}[-/.,]?(?P<d>\d{{1,2}})[-/.,]*(?:\d{{2}}|\d{{4}})$"),  # Dec 25, 2018
    # 25122018, 20181225: a date whose separators the OCR lost
    re.compile(r"^(?P<d>\d{2})(?P<m>\d{2})(?:19|20)\d{2}$"),
    re.compile(r"^(?:19|20)\d{2}(?P<m>\d{2})(?P<d>\d{2})$"),
)


def _is_date(text: str) -> bool:
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        name = match.groupdict().get("mon")
        if name is not None and month_number(name) is None:
            # `3rdaugust2014`: the day's ordinal suffix is glued to the month's name.
            suffix = _ORDINAL_RE.match(name)
            if suffix is None or month_number(name[suffix.end() :]) is None:
                continue
        day, month = int(match.group("d")), int(match.groupdict().get("m") or 1)
        if (1 <= day <= 31 and 1 <= month <= 12) or (1 <= month <= 31 and 1 <= day <= 12):
            return True
    return False


def date_features(words: Sequence[str]) -> list[list[float]]:
    """Per word: whether it is part of a date printed over one to DATE_SPAN_WORDS words (`25 Dec 2018`,
    `18-10- 17`, `25032018`), the first word of it, a later word of it, and whether that date spans more
    than one word. A date split by the OCR is one entity; a word at a time, only its first word looks
    like a date (the per-word date cue in word_flags sees `25/12/2018` but not `25`, `Dec`, `2018`).
    The longest date starting at a word wins; words already inside an earlier date are not restarted."""
    lowered = [w.strip().lower() for w in words]
    feats = [[0.0] * NUM_DATE_FEATURES for _ in words]
    i = 0
    while i < len(words):
        length = next(
            (
                n
                for n in range(min(DATE_SPAN_WORDS, len(words) - i), 0, -1)
                if _is_date("".join(lowered[i : i + n]))
            ),
            0,
        )
        for k in range(length):
            feats[i + k] = [1.0, float(k == 0), float(k > 0), float(length > 1)]
        i += max(length, 1)
    return feats


def amount_value(word: str) -> float | None:
    """The decimal amount a word prints with decimals ("RM1,234.50" -> 1234.5, "1.939,-" -> 1939.0), by
    the dataset builder's rule (value_rules.parse_amount); None for anything else, a whole number too (a
    quantity or a phone number is no amount to rank)."""
    amount = parse_amount(word)
    # A discount printed `12.50-` ranks by its size, as the other prints of 12.50 do.
    return abs(amount.value) if amount is not None and amount.has_decimals else None


def amount_features(words: Sequence[str]) -> list[list[float]]:
    """Per word, how the amount it prints compares with the document's other amounts: is an amount, its
    size (log scale), is the largest, rank from the largest (0 = largest .. 1 = smallest), how often the
    same amount is printed (capped at 4), whether it is the largest amount printed more than once, and
    whether this is the first / the last print of that amount. A document's total is usually among its
    largest amounts and printed more than once (total, cash, rounded total); embeddings of single words
    cannot compare numbers across the page, so these say it directly."""
    values = [amount_value(w) for w in words]
    amounts = sorted({v for v in values if v is not None}, reverse=True)
    counts: dict[float, int] = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    largest_repeated = max((v for v, c in counts.items() if c > 1), default=None)
    seen: dict[float, int] = {}
    feats: list[list[float]] = []
    for v in values:
        if v is not None:
            seen[v] = seen.get(v, 0) + 1
        if v is None:
            feats.append([0.0] * NUM_AMOUNT_FEATURES)
            continue
        rank = amounts.index(v)
        feats.append(
            [
                1.0,
                min(math.log10(1.0 + v) / 5.0, 1.0),
                float(rank == 0),
                rank / max(1, len(amounts) - 1),
                min(counts[v], 4) / 4.0,
                float(largest_repeated is not None and v == largest_repeated),
                float(seen[v] == 1),
                float(seen[v] == counts[v]),
            ]
        )
    return feats
