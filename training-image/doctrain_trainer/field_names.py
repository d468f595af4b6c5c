"""Words that name a field before its value (`TOTAL 9.00`, `Datum: 03.08.2014`, `Jumlah RM 9.00`), graded
as the dataset builder grades them when it picks which print of a value to label
(src/dataset/field-names.ts, `wordGrade` and `nameGrade`):

- 3: the word, or the word with the one or two content words before it, is one of the field's names
  (`TOTAL`, `Grand Total`, `Amount Due`), or the word is one OCR edit from a name of four or more letters
  (`lotal`, `Dale`);
- 2: a word containing such a name (`GRANDTOTAL`, `InvoiceDate`, `Rechnungsbetrag`);
- 1: either of them qualified as a part (`SUB TOTAL`, `SUBTOTAL`, `Zwischensumme`, `Sous-total`);
- 0: none.

A field's names are the words of its label type (`TOTAL_AMOUNT` -> total, amount) and the value table's
words for its key in every language (value-rules.json `fieldNames`: `total` -> Gesamt, Totaal, Montant
total, Jumlah, ...; value_rules.field_names), plus those the dataset's labels.json adds (the user's
`fieldNames` setting). The compact model gets, per word and per entity type, the best grade among the
words right before it and those earlier on its printed line, so "the amount after the plainest TOTAL" is
an input it can use from the first epoch rather than a relation it must learn from a few hundred receipts.
The dataset builder labels equal prints of a value by the same grades, so the model sees the rule its
labels follow; test/fixtures/value-cases.json (`nameGrades`) holds the cases both sides run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from .value_rules import PART_QUALIFIERS, field_names, normalize_token

# As in field-names.ts: content words looked back over, words looked back along the printed line, and
# the words of a name spread over several OCR words.
KEYWORD_LOOKBACK = 3
SAME_LINE_LOOKBACK = 8
PHRASE_WORDS = 3
MAX_GRADE = 3

Box = tuple[int, int, int, int]

__all__ = ["field_keywords", "name_grades", "normalize_token", "word_grade"]


def field_keywords(entity_type: str, extra: Mapping[str, Sequence[str]] | None = None) -> tuple[str, ...]:
    """`TOTAL_AMOUNT` -> ("total", "amount", ...the table's names of `total_amount`): the names of a label
    type, normalised."""
    if not extra:
        return _table_keywords(entity_type)
    return field_names(entity_type.lower(), {k: list(v) for k, v in extra.items()})


@lru_cache(maxsize=256)
def _table_keywords(entity_type: str) -> tuple[str, ...]:
    return field_names(entity_type.lower())


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b are exactly one insertion, deletion or substitution apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :] if len(a) < len(b) else a[i + 1 :] == b[i + 1 :]


def word_grade(norm: str, before: Sequence[str], keywords: Sequence[str]) -> int:
    """How plainly a normalised word names a field with `keywords`, given the content words before it
    (nearest first; `before[0]` is the one right before)."""
    if not norm:
        return 0
    qualified = bool(before) and before[0] in PART_QUALIFIERS
    own = _own_grade(norm, tuple(keywords))
    phrase = norm
    for word in before[: PHRASE_WORDS - 1]:
        phrase = word + phrase
        if own != 3 and phrase in keywords:
            own = 3
    if own == 3:
        return 1 if qualified else 3
    if own == 2:
        return 1 if any(norm.startswith(q) for q in PART_QUALIFIERS) else 2
    return 0


@lru_cache(maxsize=1 << 16)
def _own_grade(norm: str, keywords: tuple[str, ...]) -> int:
    """The word alone: 3 when it is a name or one OCR edit from a name of four letters or more, 2 when it
    contains such a name, else 0. Memoised: the trainer grades the same words every epoch (the features
    once, the validation decode each epoch), and a word's grade against a field's names never changes."""
    if any(k == norm or (len(k) >= 4 and _one_edit(norm, k)) for k in keywords):
        return 3
    if any(len(k) >= 4 and k in norm for k in keywords):
        return 2
    return 0


def _same_line(a: Box, b: Box) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    shorter = min(a[3] - a[1], b[3] - b[1])
    return shorter > 0 and overlap >= shorter / 2


def name_grades(
    words: Sequence[str],
    bboxes: Sequence[Box],
    entity_types: Sequence[str],
    extra: Mapping[str, Sequence[str]] | None = None,
) -> list[list[float]]:
    """Per word, per entity type: the best grade (/ MAX_GRADE) of a word naming that type among the
    KEYWORD_LOOKBACK content words before it and the words before it on its printed line (walked word by
    word to the left, each beside the next, so a skewed line is followed)."""
    norms = [normalize_token(w) for w in words]
    previous: list[list[str]] = []
    recent: list[str] = []
    for norm in norms:
        previous.append(list(reversed(recent[-(PHRASE_WORDS - 1) :])))
        if norm:
            recent.append(norm)
    keywords = [field_keywords(t, extra) for t in entity_types]
    grades = [[word_grade(norm, previous[i], kws) for kws in keywords] for i, norm in enumerate(norms)]
    graded = [any(row) for row in grades]  # most words name no field: nothing to take from them
    out: list[list[float]] = []
    for start in range(len(words)):
        best = [0] * len(entity_types)
        candidates: list[int] = []
        seen = 0
        for i in range(start - 1, -1, -1):
            if seen >= KEYWORD_LOOKBACK:
                break
            if norms[i]:
                candidates.append(i)
                seen += 1
        following = bboxes[start]
        for i in range(start - 1, max(-1, start - 1 - SAME_LINE_LOOKBACK), -1):
            box = bboxes[i]
            if not _same_line(box, following) or box[0] > following[0]:
                break
            candidates.append(i)
            following = box
        for i in candidates:
            if graded[i]:
                best = [max(b, g) for b, g in zip(best, grades[i], strict=True)]
        out.append([b / MAX_GRADE for b in best])
    return out
