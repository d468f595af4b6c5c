"""Words that name a field before its value (`TOTAL 9.00`, `Date: 25/12/2018`), graded as the dataset
builder grades them when it picks which print of a value to label (src/dataset/align.ts, `nameGrade`):

- 3: a word equal to one of the field's keywords, or one OCR edit from a keyword of four or more letters
  (`total`, `lotal`, `Dale`);
- 2: a word containing such a keyword (`GRANDTOTAL`, `InvoiceDate`);
- 1: either of them qualified by `sub` (`SUB TOTAL`, `SUBTOTAL`: a part, not the whole);
- 0: none.

A field's keywords are the words of its label type (`TOTAL_AMOUNT` -> total, amount). The compact model
gets, per word and per entity type, the best grade among the words right before it and those earlier on
its printed line, so "the amount after the plainest TOTAL" is an input it can use from the first epoch
rather than a relation it must learn from a few hundred receipts. The dataset builder labels equal prints
of a value by the same grades, so the model sees the rule its labels follow.

Written by hand: a mirror of a few lines of the TypeScript aligner, with no library to share them."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

# As in align.ts: content words looked back over, and words looked back along the printed line.
KEYWORD_LOOKBACK = 3
SAME_LINE_LOOKBACK = 8
MAX_GRADE = 3
_SUB = "sub"

Box = tuple[int, int, int, int]


def normalize_token(text: str) -> str:
    """Lowercase a-z0-9 only, accents dropped (align.ts `normalizeToken`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


def field_keywords(entity_type: str) -> tuple[str, ...]:
    """`TOTAL_AMOUNT` -> ("total", "amount"): the words of a label type that may name it on the page."""
    words = [w for w in entity_type.lower().split("_") if len(w) >= 3]
    return tuple(dict.fromkeys(words))


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


def word_grade(norm: str, before: str, keywords: Sequence[str]) -> int:
    """How plainly a normalised word names a field with `keywords`, given the content word before it."""
    if not norm:
        return 0
    if any(norm == k or (len(k) >= 4 and _one_edit(norm, k)) for k in keywords):
        return 1 if before == _SUB else 3
    if any(len(k) >= 4 and k in norm for k in keywords):
        return 1 if norm.startswith(_SUB) else 2
    return 0


def _same_line(a: Box, b: Box) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    shorter = min(a[3] - a[1], b[3] - b[1])
    return shorter > 0 and overlap >= shorter / 2


def name_grades(
    words: Sequence[str], bboxes: Sequence[Box], entity_types: Sequence[str]
) -> list[list[float]]:
    """Per word, per entity type: the best grade (/ MAX_GRADE) of a word naming that type among the
    KEYWORD_LOOKBACK content words before it and the words before it on its printed line (walked word by
    word to the left, each beside the next, so a skewed line is followed)."""
    norms = [normalize_token(w) for w in words]
    previous: list[str] = []
    last = ""
    for norm in norms:
        previous.append(last)
        if norm:
            last = norm
    keywords = [field_keywords(t) for t in entity_types]
    grades = [[word_grade(norm, previous[i], kws) for kws in keywords] for i, norm in enumerate(norms)]
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
            best = [max(b, g) for b, g in zip(best, grades[i], strict=True)]
        out.append([b / MAX_GRADE for b in best])
    return out
