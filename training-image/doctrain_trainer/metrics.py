"""Entity-level precision/recall/F1 over BIO sequences with seqeval's default (non-strict) semantics,
and token accuracy. Implemented here to keep the image free of seqeval/sklearn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

Entity = tuple[str, int, int]  # (type, start, end inclusive)


def split_tag(tag: str) -> tuple[str, str]:
    """(prefix, entity type) of a BIO tag: `B-TOTAL` -> ("B", "TOTAL"); `O` (or a tag without `-`) ->
    ("O", "")."""
    if tag == "O" or "-" not in tag:
        return "O", ""
    prefix, _, etype = tag.partition("-")
    return prefix, etype


def get_entities(tags: Sequence[str]) -> list[Entity]:
    """Chunks as seqeval.get_entities sees them in IOB2: an I- after O or after another type starts a
    new chunk (conlleval behaviour), a B- always does."""
    entities: list[Entity] = []
    current: str | None = None
    start = 0
    for i, tag in enumerate([*tags, "O"]):  # the sentinel closes a trailing chunk
        prefix, etype = split_tag(tag)
        if current is not None and (prefix in ("O", "B") or etype != current):
            entities.append((current, start, i - 1))
            current = None
        if prefix == "B" or (prefix == "I" and current is None):
            current, start = etype, i
    return entities


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int  # gold entities
    predicted: int
    correct: int


def scores_of(correct: int, predicted: int, support: int) -> Scores:
    """Precision, recall and F1 from the counts of correct, predicted and gold (support) items."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, support, predicted, correct)


@dataclass(frozen=True)
class EntityReport:
    micro: Scores
    per_type: dict[str, Scores] = field(default_factory=dict)
    token_accuracy: float = 0.0


def entity_report(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> EntityReport:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sequences but {len(pred)} predicted")
    gold_set: set[tuple[int, str, int, int]] = set()
    pred_set: set[tuple[int, str, int, int]] = set()
    tokens = matches = 0
    for n, (g, p) in enumerate(zip(gold, pred, strict=False)):
        if len(g) != len(p):
            raise ValueError(f"sequence {n}: {len(g)} gold tags but {len(p)} predicted")
        gold_set.update((n, *e) for e in get_entities(g))
        pred_set.update((n, *e) for e in get_entities(p))
        tokens += len(g)
        matches += sum(a == b for a, b in zip(g, p, strict=False))
    correct = gold_set & pred_set
    types = sorted({e[1] for e in gold_set | pred_set})
    per_type = {
        t: scores_of(
            sum(1 for e in correct if e[1] == t),
            sum(1 for e in pred_set if e[1] == t),
            sum(1 for e in gold_set if e[1] == t),
        )
        for t in types
    }
    return EntityReport(
        micro=scores_of(len(correct), len(pred_set), len(gold_set)),
        per_type=per_type,
        token_accuracy=matches / tokens if tokens else 0.0,
    )


def token_accuracy(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    return entity_report(gold, pred).token_accuracy
