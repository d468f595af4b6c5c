from __future__ import annotations

import itertools

import torch

from doctrain_trainer.decoding import BioDecoder, allowed_transitions, is_valid_bio, viterbi
from doctrain_trainer.metrics import get_entities

LABELS = ["O", "B-DATE", "I-DATE", "B-TOTAL", "I-TOTAL"]


def _logits(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows).log()


def test_argmax_that_breaks_bio_is_repaired() -> None:
    # Argmax would say O I-TOTAL (an I- with no B-): the best valid path is O B-TOTAL or B-TOTAL I-TOTAL.
    probs = [[0.6, 0.0, 0.0, 0.4, 0.0], [0.1, 0.0, 0.0, 0.35, 0.55]]
    path = viterbi(_logits(probs), *allowed_transitions(LABELS))
    tags = [LABELS[i] for i in path]
    assert is_valid_bio(tags)
    # 0.4 * 0.55 = 0.22 (B-TOTAL I-TOTAL) beats 0.6 * 0.35 = 0.21 (O B-TOTAL).
    assert tags == ["B-TOTAL", "I-TOTAL"]


def test_type_switch_inside_an_entity_is_forbidden() -> None:
    probs = [[0.0, 0.9, 0.0, 0.1, 0.0], [0.0, 0.0, 0.1, 0.0, 0.9]]
    tags = [LABELS[i] for i in viterbi(_logits(probs), *allowed_transitions(LABELS))]
    assert is_valid_bio(tags) and tags != ["B-DATE", "I-TOTAL"]


def test_viterbi_equals_the_best_valid_sequence_by_brute_force() -> None:
    gen = torch.Generator().manual_seed(7)
    start, trans = allowed_transitions(LABELS)
    for _ in range(20):
        log_probs = torch.randn(4, len(LABELS), generator=gen).log_softmax(-1)
        path = viterbi(log_probs, start, trans)
        best = max(
            (
                seq
                for seq in itertools.product(range(len(LABELS)), repeat=4)
                if is_valid_bio([LABELS[i] for i in seq])
            ),
            key=lambda seq: sum(float(log_probs[t, i]) for t, i in enumerate(seq)),
        )
        assert tuple(path) == best


def test_valid_argmax_is_kept_and_mask_is_honoured() -> None:
    logits = torch.tensor([[[5.0, 0, 0, 0, 0], [0, 5.0, 0, 0, 0], [0, 0, 5.0, 0, 0], [0, 0, 0, 0, 9.0]]])
    mask = torch.tensor([[True, True, True, False]])
    paths = BioDecoder(LABELS).decode(logits, mask)
    assert paths == [[0, 1, 2]]
    assert get_entities([LABELS[i] for i in paths[0]]) == [("DATE", 1, 2)]


def test_is_valid_bio() -> None:
    assert is_valid_bio(["O", "B-DATE", "I-DATE", "O"])
    assert not is_valid_bio(["I-DATE"])
    assert not is_valid_bio(["B-DATE", "I-TOTAL"])


def test_single_valued_types_are_those_no_document_repeats() -> None:
    from doctrain_trainer.decoding import single_valued_types

    docs = [
        ["B-TOTAL", "O", "B-ITEM", "I-ITEM", "B-ITEM"],  # two items
        ["O", "B-DATE", "B-TOTAL", "O", "B-ITEM"],
        ["O", "O"],
    ]
    assert single_valued_types(docs) == frozenset({"TOTAL", "DATE"})
    assert single_valued_types([["B-TOTAL", "O", "B-TOTAL"]]) == frozenset()


def test_keep_most_confident_drops_the_other_entities_of_a_single_valued_type() -> None:
    from doctrain_trainer.decoding import keep_most_confident

    tags = ["B-TOTAL", "O", "B-TOTAL", "I-TOTAL", "B-ITEM", "O", "B-ITEM"]
    conf = [0.6, 0.9, 0.9, 0.5, 0.8, 0.9, 0.7]  # the second total: mean 0.7 > 0.6
    kept = keep_most_confident(tags, conf, {"TOTAL"})
    assert kept == ["O", "O", "B-TOTAL", "I-TOTAL", "B-ITEM", "O", "B-ITEM"]  # ITEM is not single-valued
    assert is_valid_bio(kept) and tags[0] == "B-TOTAL"  # the input is not modified
    # A tie keeps the earlier entity; a type absent or seen once is untouched.
    assert keep_most_confident(["B-TOTAL", "O", "B-TOTAL"], [0.5, 0.9, 0.5], {"TOTAL"}) == [
        "B-TOTAL",
        "O",
        "O",
    ]
    assert keep_most_confident(["O", "B-DATE"], [0.9, 0.4], {"TOTAL", "DATE"}) == ["O", "B-DATE"]


def test_touching_entities_of_a_single_valued_type_are_kept_together() -> None:
    from doctrain_trainer.decoding import keep_most_confident

    # An address over two lines (two touching entities, mean 0.75) against a lone one elsewhere (0.7):
    # both lines stay, as one entity, the value field extraction reads.
    tags = ["B-ADDRESS", "I-ADDRESS", "B-ADDRESS", "O", "B-ADDRESS"]
    conf = [0.9, 0.6, 0.75, 0.9, 0.7]
    assert keep_most_confident(tags, conf, {"ADDRESS"}) == ["B-ADDRESS", "I-ADDRESS", "I-ADDRESS", "O", "O"]
    # The lone one wins when it is the more confident: the two lines go together.
    kept = keep_most_confident(tags, [0.6, 0.6, 0.6, 0.9, 0.8], {"ADDRESS"})
    assert kept == ["O", "O", "O", "O", "B-ADDRESS"]


def _line_boxes(lines: list[list[str]]) -> tuple[list[str], list[tuple[int, int, int, int]]]:
    words: list[str] = []
    boxes: list[tuple[int, int, int, int]] = []
    for row, line in enumerate(lines):
        for col, word in enumerate(line):
            words.append(word)
            boxes.append((100 * col, 40 * row, 100 * col + 80, 40 * row + 20))
    return words, boxes


def test_canonical_prints_move_an_entity_to_the_print_after_the_plainest_name() -> None:
    from doctrain_trainer.decoding import canonical_prints

    words, boxes = _line_boxes(
        [["SUBTOTAL", "9.00"], ["Rounding", "0.00"], ["TOTAL", "RM9.00"], ["CASH", "9.00"], ["25/12/2018"]]
    )
    predicted = ["O"] * 7 + ["B-TOTAL", "B-DATE"]  # the model marked the CASH print
    moved, moved_from = canonical_prints(words, boxes, predicted, {"TOTAL", "DATE"})
    assert moved == ["O"] * 5 + ["B-TOTAL", "O", "O", "B-DATE"]  # `RM9.00` = `9.00`, after TOTAL
    assert moved_from == {5: 7}
    assert predicted[7] == "B-TOTAL"  # the input is not modified
    # Not single-valued: left where the model put it.
    assert canonical_prints(words, boxes, predicted, {"DATE"}) == (predicted, {})


def test_canonical_prints_prefer_the_earliest_of_equal_names_and_never_take_another_entity() -> None:
    from doctrain_trainer.decoding import canonical_prints

    words, boxes = _line_boxes(
        [["Total", "Sales", "21.20"], ["Total", "Rounded", "21.20"], ["Item", "21.20"]]
    )
    later = ["O"] * 5 + ["B-TOTAL", "O", "O"]
    assert canonical_prints(words, boxes, later, {"TOTAL"})[0] == ["O", "O", "B-TOTAL"] + ["O"] * 5
    # The earlier print is another entity's word (an item price here): the total stays where it is.
    taken = ["O", "O", "B-ITEM", "O", "O", "B-TOTAL", "O", "O"]
    assert canonical_prints(words, boxes, taken, {"TOTAL"}) == (taken, {})
    # A value printed once, or a different value, stays.
    other = ["O"] * 7 + ["B-TOTAL"]
    words[7] = "21.30"
    assert canonical_prints(words, boxes, other, {"TOTAL"}) == (other, {})


def test_canonical_prints_need_the_same_digits_and_rank_a_digits_only_print_last() -> None:
    from doctrain_trainer.decoding import canonical_prints

    # `Total Qty 6` names the total more plainly than `Grand Total`, but `6` is no print of 6.00.
    words, boxes = _line_boxes([["Total", "Qty", "6"], ["Grand", "Total", "6.00"]])
    tags = ["O"] * 5 + ["B-TOTAL"]
    assert canonical_prints(words, boxes, tags, {"TOTAL"}) == (tags, {})
    # `Date 25122018` (separators lost: the builder matches it by its digits, ranked below an exact print)
    # against `Printed 25-12-2018`: the exact print stays although `Date` names the other.
    words, boxes = _line_boxes([["Date", "25122018"], ["Printed", "25-12-2018"]])
    exact = ["O", "O", "O", "B-DATE"]
    assert canonical_prints(words, boxes, exact, {"DATE"}) == (exact, {})
