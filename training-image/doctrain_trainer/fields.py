"""Fields out: from word tags to `{field: value}`, and field-level metrics (the SROIE task-3 measure).

A field's value is the text of its predicted entity (words joined by a space, less OCR noise words: a
table rule `|`, a lone dot between two words; see `value_text`); when a document has
several entities of one type, the one with the highest confidence (mean probability of its words' tags)
wins; when it has none, the likeliest span of that type (`likeliest_span`). Repeated fields (annotated
as a list) are compared as a multiset of all predicted values. Values are compared after normalisation:
by the kind of the annotated value, with the dataset builder's rules (value_rules.py, the same table and
cases as src/dataset/normalize.ts): amounts compare as decimal numbers (`RM 9.00` = `9.00` = `9,00` = `9`;
`1939.00` = `1.939,00` = `EUR 1.939,-`), dates as calendar dates whatever the separators, month names (any
language of the table) or two-digit year (`2014-08-03` = `August 3, 2014` = `03.08.2014`; a print that
reads both day- and month-first counts when one reading is the value's), identifiers with or without their
prefix (`INV-0042` = `0042`), plain numbers by their digits, and text with case and whitespace ignored.
Written here, not taken from a library: the measure is the SROIE competition's, which ships as a script.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .metrics import Scores, get_entities, scores_of
from .value_rules import (
    Amount,
    compare_dates,
    find_dates,
    identifiers_equal,
    parse_amount,
    parse_date,
    same_amount,
    value_kind,
)


@dataclass(frozen=True)
class FieldValue:
    value: str
    confidence: float


def field_key(entity_type: str) -> str:
    """Label type `ITEM_NAME` -> annotation key `item_name` (the inverse of the dataset builder's)."""
    return entity_type.lower()


# OCR reads a receipt's table rules as `|`, and specks between words as a lone `.`: never part of a value.
_RULE_WORD = re.compile(r"^[|¦]+$")
_SPECK_WORD = re.compile(r"^[.·•]+$")


def value_text(words: Sequence[str]) -> str:
    """The value of a span of words: joined by a space, without the words that are OCR noise, a table
    rule (`|`) anywhere or a lone dot between two words (a dot that ends the value may be its own)."""
    last = len(words) - 1
    kept = [
        w
        for i, w in enumerate(words)
        if not _RULE_WORD.match(w) and not (0 < i < last and _SPECK_WORD.match(w))
    ]
    return " ".join(kept)


def _text(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper()


def _amount_in(text: str) -> Amount | None:
    """The amount a predicted value prints: the whole text, else its longest word that is one."""
    whole = parse_amount(text)
    if whole is not None:
        return whole
    words = sorted(text.split(), key=len, reverse=True)
    return next((a for a in (parse_amount(w) for w in words) if a is not None), None)


def values_equal(annotated: str, predicted: str) -> bool:
    """Whether a predicted value is the annotated one, compared by the annotated value's kind
    (value_rules.value_kind), as the dataset builder compares a value with its prints."""
    kind = value_kind(annotated)
    if kind in ("amount", "number"):
        gold, guess = parse_amount(annotated), _amount_in(predicted)
        if gold is not None and guess is not None and (kind == "amount" or guess.has_decimals):
            return same_amount(gold, guess)
    if kind == "number":
        return re.sub(r"[^0-9]", "", annotated) == re.sub(r"[^0-9]", "", predicted)
    if kind == "date":
        gold_date = parse_date(annotated)
        if gold_date is not None:
            return any(compare_dates(gold_date, found) != "different" for found in find_dates(predicted))
    if kind == "identifier":
        return identifiers_equal(annotated, predicted)
    return _text(annotated) == _text(predicted)


def values_match(annotated: Sequence[str], predicted: Sequence[str]) -> bool:
    """Whether two lists of values are the same multiset under values_equal (each annotated value paired
    with its own predicted one)."""
    if len(annotated) != len(predicted):
        return False
    free = list(predicted)
    for value in annotated:
        match = next((i for i, guess in enumerate(free) if values_equal(value, guess)), None)
        if match is None:
            return False
        free.pop(match)
    return True


def entity_spans(tags: Sequence[str], confidences: Sequence[float]) -> list[tuple[str, int, int, float]]:
    """(type, start, end inclusive, confidence) per entity; adjacent entities of one type (`B-X I-X B-X`,
    e.g. an address over two lines) are merged into one."""
    merged: list[tuple[str, int, int]] = []
    for etype, start, end in get_entities(tags):
        if merged and merged[-1][0] == etype and merged[-1][2] == start - 1:
            merged[-1] = (etype, merged[-1][1], end)
        else:
            merged.append((etype, start, end))
    out: list[tuple[str, int, int, float]] = []
    for etype, start, end in merged:
        conf = sum(confidences[start : end + 1]) / (end - start + 1)
        out.append((etype, start, end, conf))
    return out


def likeliest_span(
    probs: Sequence[Sequence[float]], labels: Sequence[str], etype: str
) -> tuple[int, int, float] | None:
    """The most probable entity of `etype` even where no word's best label is one of its tags: the word
    with the highest P(B-etype), extended over the following words whose P(I-etype) is at least 0.5.
    (start, end inclusive, confidence = mean of those probabilities), or None when the labels lack it."""
    try:
        b, i = labels.index(f"B-{etype}"), labels.index(f"I-{etype}")
    except ValueError:
        return None
    if not probs:
        return None
    start = max(range(len(probs)), key=lambda t: probs[t][b])
    scores = [probs[start][b]]
    end = start
    while end + 1 < len(probs) and probs[end + 1][i] >= 0.5:
        end += 1
        scores.append(probs[end][i])
    return start, end, sum(scores) / len(scores)


def extract_fields(
    words: Sequence[str],
    tags: Sequence[str],
    confidences: Sequence[float],
    probs: Sequence[Sequence[float]] | None = None,
    labels: Sequence[str] | None = None,
    min_confidence: float = 0.0,
) -> dict[str, list[FieldValue]]:
    """Field key -> every predicted value, most confident first. With the per-word label probabilities
    (`probs`, columns in `labels` order), a field of the label set that no decoded entity covers gets its
    likeliest span when that span's confidence reaches `min_confidence`: a receipt has a total even when
    the model is not sure enough to tag one, and the user sees how sure it was."""
    found: dict[str, list[FieldValue]] = {}
    for etype, start, end, conf in entity_spans(tags, confidences):
        value = value_text(words[start : end + 1])
        found.setdefault(field_key(etype), []).append(FieldValue(value, conf))
    if probs is not None and labels is not None:
        for etype in sorted({lab[2:] for lab in labels if lab.startswith("B-")}):
            if field_key(etype) in found:
                continue
            span = likeliest_span(probs, labels, etype)
            if span is not None and span[2] >= min_confidence:
                value = value_text(words[span[0] : span[1] + 1])
                found[field_key(etype)] = [FieldValue(value, span[2])]
    for values in found.values():
        values.sort(key=lambda v: -v.confidence)
    return found


def best_fields(extracted: Mapping[str, Sequence[FieldValue]]) -> dict[str, FieldValue]:
    return {key: values[0] for key, values in extracted.items() if values}


@dataclass(frozen=True)
class FieldReport:
    micro: Scores
    per_field: dict[str, Scores]

    def exact(self, key: str) -> float:
        """Share of the documents annotated with `key` whose extracted value equals the annotation."""
        s = self.per_field[key]
        return s.correct / s.support if s.support else 0.0

    @property
    def exact_micro(self) -> float:
        return self.micro.correct / self.micro.support if self.micro.support else 0.0


def field_report(
    gold: Sequence[Mapping[str, Sequence[str]]],
    predicted: Sequence[Mapping[str, Sequence[FieldValue]]],
) -> FieldReport:
    """Per document, per field: one prediction (the most confident) against one annotated value; for a
    field annotated as several values, the predicted values against the annotated ones as multisets."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predicted")
    counts: dict[str, list[int]] = {}  # key -> [correct, predicted, support]
    for gold_doc, pred_doc in zip(gold, predicted, strict=True):
        for key in {*gold_doc, *pred_doc}:
            c = counts.setdefault(key, [0, 0, 0])
            annotated = [v for v in gold_doc.get(key, ()) if v.strip()]
            values = pred_doc.get(key, ())
            if len(annotated) > 1:
                guessed = [v.value for v in values]
                c[0] += int(values_match(annotated, guessed))
                c[1] += int(bool(guessed))
                c[2] += 1
                continue
            guess = values[0].value if values else None
            c[0] += int(guess is not None and bool(annotated) and values_equal(annotated[0], guess))
            c[1] += int(guess is not None)
            c[2] += int(bool(annotated))
    per_field = {key: scores_of(*counts[key]) for key in sorted(counts)}
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return FieldReport(micro=scores_of(*total), per_field=per_field)


def gold_fields(
    fields: Mapping[str, Sequence[str]], words: Sequence[str], tags: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """The annotated values of a record; for a record without `fields` (datasets before it existed), the
    words of its labelled entities stand in for them."""
    if fields:
        return {k: tuple(v) for k, v in fields.items()}
    out: dict[str, list[str]] = {}
    for etype, start, end in get_entities(tags):
        out.setdefault(field_key(etype), []).append(" ".join(words[start : end + 1]))
    return {k: tuple(v) for k, v in out.items()}
