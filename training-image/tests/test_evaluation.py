"""Whole-document decoding and per-document field scoring (evaluation.py)."""

from __future__ import annotations

import json

import pytest
import torch

from doctrain_trainer.backends import WordProbs
from doctrain_trainer.data import Document, parse_document
from doctrain_trainer.decoding import BioDecoder, is_valid_bio
from doctrain_trainer.evaluation import DocumentTags, decode_document, document_fields
from doctrain_trainer.fields import field_report

LABELS = ["O", "B-TOTAL", "I-TOTAL", "B-DATE", "I-DATE"]


def _row(**probs: float) -> torch.Tensor:
    names = {"O": 0, "B_TOTAL": 1, "I_TOTAL": 2, "B_DATE": 3, "I_DATE": 4}
    row = torch.full((len(LABELS),), 0.01)
    for name, p in probs.items():
        row[names[name]] = p
    return row / row.sum()


def test_windows_merge_to_the_most_central_row_and_decode_as_valid_bio() -> None:
    merged = WordProbs([3])
    # Window 1 covers words 0-1 (word 1 at its edge), window 2 words 1-2 (word 1 central).
    merged.add(0, torch.tensor([0, 1]), torch.tensor([2.0, 1.0]), torch.stack([_row(O=0.9), _row(O=0.9)]))
    merged.add(
        0, torch.tensor([1, 2]), torch.tensor([3.0, 1.0]), torch.stack([_row(B_TOTAL=0.9), _row(I_TOTAL=0.9)])
    )
    tagged = decode_document(merged.rows[0], BioDecoder(LABELS), LABELS)
    assert tagged.tags == ["O", "B-TOTAL", "I-TOTAL"]
    assert tagged.confidences[1] == pytest.approx(float(_row(B_TOTAL=0.9)[1]))


def test_uncovered_words_are_outside_with_confidence_zero_and_no_dangling_inside() -> None:
    # Word 0 argmaxes to I-TOTAL (invalid at the start); words 2-3 were never covered (beyond max_seq_len).
    rows = [_row(I_TOTAL=0.6, B_TOTAL=0.3), _row(I_TOTAL=0.9), None, None]
    tagged = decode_document(rows, BioDecoder(LABELS), LABELS)
    assert is_valid_bio(tagged.tags) and tagged.tags[:2] == ["B-TOTAL", "I-TOTAL"]
    assert tagged.tags[2:] == ["O", "O"] and tagged.confidences[2:] == [0.0, 0.0]
    assert tagged.probs[3] == [1.0, 0.0, 0.0, 0.0, 0.0]


def _page(record_id: str, words: list[str], fields: dict[str, str] | None) -> Document:
    record = {
        "id": record_id,
        "documentId": record_id.split("#")[0],
        "words": words,
        "bboxes": [[0, 0, 10, 10]] * len(words),
        "labels": ["O"] * len(words),
        **({"fields": fields} if fields is not None else {}),
    }
    return parse_document(json.dumps(record), f"{record_id}:1", None)


def _tags(tags: list[str], conf: list[float]) -> DocumentTags:
    probs = [[1.0 if lab == t else 0.0 for lab in LABELS] for t in tags]
    return DocumentTags(tags, conf, probs)


def test_a_multi_page_document_is_scored_once_with_its_most_confident_values() -> None:
    fields = {"total": "9.00", "date": "01/02/2019"}
    docs = [
        _page("inv#1", ["DATE", "01/02/2019", "SUB", "5.00"], fields),
        _page("inv#2", ["TOTAL", "RM9.00", "NOTE"], fields),
        _page("other", ["TOTAL", "3.00"], {"total": "3.00"}),
    ]
    assert [d.document for d in docs] == ["inv", "inv", "other"]
    tagged = [
        _tags(["O", "B-DATE", "O", "B-TOTAL"], [0.9, 0.8, 0.9, 0.4]),  # a wrong total, less sure
        _tags(["O", "B-TOTAL", "O"], [0.9, 0.95, 0.9]),
        _tags(["O", "O"], [0.9, 0.9]),  # no total tagged: the likeliest span is all that is left
    ]
    gold, pred = document_fields(docs, tagged, LABELS)
    assert gold == [{"total": ("9.00",), "date": ("01/02/2019",)}, {"total": ("3.00",)}]
    assert pred[0]["total"][0].value == "RM9.00" and pred[0]["date"][0].value == "01/02/2019"
    report = field_report(gold, pred)
    assert report.per_field["total"].support == 2 and report.per_field["date"].support == 1
    assert report.exact("date") == 1.0 and report.per_field["total"].correct == 1


def test_without_annotated_fields_the_entity_words_of_every_page_are_the_values() -> None:
    docs = [_page("d#1", ["TEA", "1.00"], None), _page("d#2", ["CAKE", "2.00"], None)]
    docs = [
        Document(d.id, d.words, d.bboxes, ("O", "B-TOTAL"), d.source, document_id=d.document_id) for d in docs
    ]
    tagged = [_tags(["O", "B-TOTAL"], [0.9, 0.9]), _tags(["O", "B-TOTAL"], [0.9, 0.8])]
    gold, pred = document_fields(docs, tagged, LABELS)
    assert gold == [{"total": ("1.00", "2.00")}]
    assert [v.value for v in pred[0]["total"]] == ["1.00", "2.00"]
    assert field_report(gold, pred).exact("total") == 1.0


def test_single_valued_decoding_keeps_one_entity_and_its_outside_confidence() -> None:
    rows = [_row(B_TOTAL=0.6), _row(O=0.9), _row(B_TOTAL=0.8), _row(B_DATE=0.7), _row(B_DATE=0.9)]
    both = decode_document(rows, BioDecoder(LABELS), LABELS)
    assert both.tags == ["B-TOTAL", "O", "B-TOTAL", "B-DATE", "B-DATE"]
    one = decode_document(rows, BioDecoder(LABELS), LABELS, frozenset({"TOTAL"}))
    assert one.tags == ["O", "O", "B-TOTAL", "B-DATE", "B-DATE"]
    assert one.confidences[0] == pytest.approx(float(rows[0][0]))  # now the probability of O
    assert one.probs == both.probs


def test_an_always_present_type_the_path_left_out_goes_to_its_most_probable_word() -> None:
    # Prepare: the total is below O on both its prints (the model unsure which), the date is decoded
    rows = [
        _row(O=0.9),
        _row(O=0.6, B_TOTAL=0.3),
        _row(O=0.5, I_TOTAL=0.4),
        _row(O=0.7, B_TOTAL=0.2),
        _row(B_DATE=0.9),
    ]
    # Act
    plain = decode_document(rows, BioDecoder(LABELS), LABELS, frozenset({"TOTAL", "DATE"}))
    filled = decode_document(
        rows, BioDecoder(LABELS), LABELS, frozenset({"TOTAL", "DATE"}), None, {"TOTAL", "DATE"}
    )
    # Assess
    assert plain.tags == ["O", "O", "O", "O", "B-DATE"]
    assert filled.tags == ["O", "B-TOTAL", "O", "O", "B-DATE"]  # I-TOTAL 0.4 < 0.5: not extended
    assert filled.confidences[1] == pytest.approx(float(rows[1][1]))
    assert is_valid_bio(filled.tags)


def test_fill_missing_extends_over_likely_inside_words_and_never_below_its_floor() -> None:
    from doctrain_trainer.decoding import MIN_FILL_PROBABILITY, fill_missing

    def probs(b_total: float, i_total: float) -> list[float]:
        return [1.0 - b_total - i_total, b_total, i_total, 0.0, 0.0]

    tags = ["O", "O", "O", "B-DATE"]
    rows = [probs(0.3, 0.0), probs(0.1, 0.6), probs(0.0, 0.4), probs(0.0, 0.9)]
    # the I- run stops at a word below 0.5 (the likeliest span of field extraction)
    assert fill_missing(tags, rows, LABELS, {"TOTAL"}) == ["B-TOTAL", "I-TOTAL", "O", "B-DATE"]
    weak = [probs(MIN_FILL_PROBABILITY / 2, 0.0) for _ in tags]
    assert fill_missing(tags, weak, LABELS, {"TOTAL"}) == tags
    # a type already present, or not always present, is left alone
    assert fill_missing(["B-TOTAL", "O", "O", "B-DATE"], rows, LABELS, {"TOTAL"}) == [
        "B-TOTAL",
        "O",
        "O",
        "B-DATE",
    ]
    assert fill_missing(tags, rows, LABELS, set()) == tags
    # ... and never enters another entity
    into_date = [probs(0.3, 0.0), probs(0.0, 0.9), probs(0.0, 0.9), probs(0.0, 0.9)]
    assert fill_missing(
        ["O", "O", "B-DATE", "I-DATE"], into_date, ["O", "B-TOTAL", "I-TOTAL", "B-DATE", "I-DATE"], {"TOTAL"}
    ) == [
        "B-TOTAL",
        "I-TOTAL",
        "B-DATE",
        "I-DATE",
    ]


def test_always_present_types_are_the_single_valued_ones_nearly_every_document_holds() -> None:
    from doctrain_trainer.decoding import always_present_types

    with_both = ["B-TOTAL", "O", "B-DATE"]
    docs = [with_both] * 19 + [["B-TOTAL", "O", "O"]]  # the date on 19 of 20 (95%), the total on all
    assert always_present_types(docs, {"TOTAL", "DATE"}) == frozenset({"TOTAL", "DATE"})
    docs = [with_both] * 18 + [["B-TOTAL", "O", "O"]] * 2  # the date on 90%: not forced
    assert always_present_types(docs, {"TOTAL", "DATE"}) == frozenset({"TOTAL"})
    assert always_present_types(docs, {"DATE"}) == frozenset()  # only single-valued types
    assert always_present_types([], {"TOTAL"}) == frozenset()


def test_entity_loss_weight_weighs_entity_words_above_outside_words() -> None:
    from doctrain_trainer.evaluation import label_weights, loss_fn

    assert label_weights(LABELS, 1.0) is None
    weights = label_weights(LABELS, 3.0)
    assert weights is not None and weights.tolist() == [1.0, 3.0, 3.0, 3.0, 3.0]
    # One O word predicted badly, one B-TOTAL word predicted well: the weight pulls the mean towards the
    # entity word's (small) loss, as a weighted mean of the two.
    logits = torch.tensor([[[0.0, 2.0, 0.0, 0.0, 0.0], [0.0, 4.0, 0.0, 0.0, 0.0]]])
    labels = torch.tensor([[0, 1]])
    per_word = torch.nn.functional.cross_entropy(logits[0], labels[0], reduction="none")
    assert float(loss_fn(logits, labels)) == pytest.approx(float(per_word.mean()))
    weighted = float(loss_fn(logits, labels, weights))
    assert weighted == pytest.approx(float((per_word[0] + 3 * per_word[1]) / 4))


def test_decoding_with_the_page_puts_a_single_valued_entity_on_its_labelled_print() -> None:
    words = ("TOTAL", "9.00", "CASH", "9.00")
    page = Document("p", words, tuple((0, 30 * i, 50, 30 * i + 20) for i in range(4)), ("O",) * 4, "p")
    rows = [_row(O=0.9), _row(O=0.6, B_TOTAL=0.3), _row(O=0.9), _row(B_TOTAL=0.8)]
    where_tagged = decode_document(rows, BioDecoder(LABELS), LABELS, frozenset({"TOTAL"}))
    assert where_tagged.tags == ["O", "O", "O", "B-TOTAL"]
    moved = decode_document(rows, BioDecoder(LABELS), LABELS, frozenset({"TOTAL"}), page)
    assert moved.tags == ["O", "B-TOTAL", "O", "O"]
    # The entity keeps the confidence the model gave the value (on the print it marked); the print it left
    # has the probability of O.
    assert moved.confidences[1] == pytest.approx(where_tagged.confidences[3])
    assert moved.confidences[3] == pytest.approx(float(rows[3][0]))
