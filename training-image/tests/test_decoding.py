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
