"""Document classification scores: accuracy, macro-F1 and per-class precision / recall / F1 / support.

Pure Python over class indices (no scikit-learn in the image). Macro-F1 averages the F1 of every class of
the class list, so a class the validation set holds no document of, and the model never predicts, counts
as F1 0 only when it was predicted (a false positive) or present (a miss); a class neither present nor
predicted is left out of the average (it says nothing about this validation set)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int  # gold documents of the class
    predicted: int  # documents predicted as the class


@dataclass(frozen=True)
class ClassReport:
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScore]  # in the class list's order
    documents: int


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def class_report(gold: Sequence[int], pred: Sequence[int], classes: Sequence[str]) -> ClassReport:
    """Scores of predicted class ids `pred` against `gold` (same length), for the class list `classes`."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold classes but {len(pred)} predictions")
    per_class: dict[str, ClassScore] = {}
    f1s: list[float] = []
    for c, name in enumerate(classes):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p == c)
        support = sum(1 for g in gold if g == c)
        predicted = sum(1 for p in pred if p == c)
        precision, recall = _ratio(tp, predicted), _ratio(tp, support)
        f1 = _ratio(2 * tp, support + predicted)
        per_class[name] = ClassScore(precision, recall, f1, support, predicted)
        if support or predicted:
            f1s.append(f1)
    correct = sum(1 for g, p in zip(gold, pred, strict=True) if g == p)
    return ClassReport(
        accuracy=_ratio(correct, len(gold)),
        macro_f1=sum(f1s) / len(f1s) if f1s else 0.0,
        per_class=per_class,
        documents=len(gold),
    )
