from __future__ import annotations

import pytest

from doctrain_trainer.metrics import entity_report, get_entities, token_accuracy


def test_get_entities_seqeval_semantics() -> None:
    tags = ["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC", "I-PER", "B-ORG"]
    # I- after O starts a chunk; a type change inside I- splits it; trailing chunk is closed.
    assert get_entities(tags) == [("PER", 0, 1), ("LOC", 3, 4), ("LOC", 5, 5), ("PER", 6, 6), ("ORG", 7, 7)]


def test_perfect_prediction() -> None:
    gold = [["B-TOTAL", "O", "B-DATE", "I-DATE"]]
    report = entity_report(gold, gold)
    assert (report.micro.precision, report.micro.recall, report.micro.f1) == (1.0, 1.0, 1.0)
    assert report.token_accuracy == 1.0


def test_hand_computed_case() -> None:
    gold = [
        ["B-COMPANY", "I-COMPANY", "O", "B-TOTAL"],
        ["B-DATE", "O", "B-ITEM", "I-ITEM"],
    ]
    pred = [
        ["B-COMPANY", "I-COMPANY", "O", "B-TAX"],  # COMPANY right, TOTAL missed, TAX spurious
        ["B-DATE", "O", "B-ITEM", "O"],  # DATE right, ITEM boundary wrong
    ]
    report = entity_report(gold, pred)
    # gold 4 entities, predicted 4, correct 2
    assert report.micro.correct == 2 and report.micro.predicted == 4 and report.micro.support == 4
    assert report.micro.precision == pytest.approx(0.5)
    assert report.micro.recall == pytest.approx(0.5)
    assert report.micro.f1 == pytest.approx(0.5)
    assert report.per_type["TAX"].precision == 0.0 and report.per_type["TAX"].support == 0
    assert report.per_type["TOTAL"].recall == 0.0
    assert report.token_accuracy == pytest.approx(6 / 8)
    assert token_accuracy(gold, pred) == pytest.approx(6 / 8)


def test_uneven_precision_recall() -> None:
    gold = [["B-A", "I-A", "O", "B-B", "O", "B-C"]]
    pred = [["B-A", "I-A", "O", "O", "O", "O"]]
    report = entity_report(gold, pred)
    p, r = 1.0, 1 / 3
    assert report.micro.precision == pytest.approx(p)
    assert report.micro.recall == pytest.approx(r)
    assert report.micro.f1 == pytest.approx(2 * p * r / (p + r))


def test_same_span_in_different_documents_counts_separately() -> None:
    gold = [["B-A"], ["B-A"]]
    pred = [["B-A"], ["O"]]
    assert entity_report(gold, pred).micro.recall == pytest.approx(0.5)


def test_no_entities_gives_zero_not_error() -> None:
    report = entity_report([["O", "O"]], [["O", "O"]])
    assert report.micro.f1 == 0.0 and report.token_accuracy == 1.0


def test_length_mismatch_rejected() -> None:
    with pytest.raises(ValueError):
        entity_report([["O"]], [["O", "O"]])
