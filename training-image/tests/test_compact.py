from __future__ import annotations

import random

import torch

from doctrain_trainer.backends.compact import CompactBackend
from doctrain_trainer.backends.compact_model import REL_BUCKETS, relative_bucket
from doctrain_trainer.config import TrainConfig
from doctrain_trainer.data import Document, Vocabulary
from tests.synthetic import ALL_LABELS, make_document


def _docs(n: int) -> list[Document]:
    rng = random.Random(3)
    out = []
    for i in range(n):
        d = make_document(rng, f"d{i}")
        boxes = tuple((b[0], b[1], b[2], b[3]) for b in d["bboxes"])
        out.append(Document(d["id"], tuple(d["words"]), boxes, tuple(d["labels"]), "x"))
    return out


def test_relative_bucket_range_and_sign() -> None:
    d = torch.tensor([-5000.0, -1000.0, -9.0, -1.0, 0.0, 1.0, 9.0, 1000.0, 5000.0])
    b = relative_bucket(d, 8, 1000, REL_BUCKETS)
    assert int(b.min()) >= 0 and int(b.max()) <= 2 * REL_BUCKETS
    assert int(b[4]) == REL_BUCKETS  # zero distance in the middle
    assert torch.equal(b - REL_BUCKETS, -(b.flip(0) - REL_BUCKETS))  # symmetric
    assert int(b[5]) == REL_BUCKETS + 1 and int(b[-1]) == 2 * REL_BUCKETS


def test_predictions_do_not_depend_on_batch_padding() -> None:
    docs = _docs(3)
    config = TrainConfig(hidden_size=32, num_heads=2, num_layers=1)
    vocab = Vocabulary.build(docs)
    backend = CompactBackend()
    torch.manual_seed(0)
    model = backend.build_model(config, vocab, ALL_LABELS).eval()
    enc = backend.encode(docs, vocab, {lab: i for i, lab in enumerate(ALL_LABELS)}, config.max_seq_len)
    shortest = min(range(3), key=lambda i: int(enc[i].input_ids.shape[0]))
    n = int(enc[shortest].input_ids.shape[0])
    with torch.no_grad():
        alone = model(backend.collate([enc[shortest]]))[0]
        batched = model(backend.collate(enc))[shortest, :n]
    assert batched.shape == alone.shape == (n, len(ALL_LABELS))
    assert torch.allclose(alone, batched, atol=1e-5)


def test_truncates_to_max_seq_len() -> None:
    docs = _docs(1)
    vocab = Vocabulary.build(docs)
    enc = CompactBackend().encode(docs, vocab, {lab: i for i, lab in enumerate(ALL_LABELS)}, 8)
    assert enc[0].input_ids.shape[0] == 8 and enc[0].buckets.shape == (8, 6)


def test_char_ngrams_are_stable_bounded_and_survive_ocr_noise() -> None:
    from doctrain_trainer.backends.compact_features import MAX_NGRAMS, NGRAM_BUCKETS, char_ngrams

    clean, noisy, other = set(char_ngrams("JOHOR")), set(char_ngrams("JOH0R")), set(char_ngrams("TOTAL"))
    assert char_ngrams("JOHOR") == char_ngrams("johor")  # case does not matter; ids stable (crc32)
    assert all(1 <= i < NGRAM_BUCKETS for i in clean) and len(char_ngrams("x" * 200)) <= MAX_NGRAMS
    # One OCR confusion keeps a good share of the n-grams; an unrelated word shares almost none.
    assert len(clean & noisy) / len(clean | noisy) > 0.3
    assert len(clean & other) / len(clean | other) < 0.15


def test_line_features_group_words_by_vertical_overlap() -> None:
    from doctrain_trainer.backends.compact_features import line_features

    boxes = [(10, 100, 80, 120), (90, 102, 150, 121), (160, 99, 200, 119), (10, 200, 90, 220)]
    feats = line_features(boxes)
    line_index = [f[0] for f in feats]
    assert line_index == [0.0, 0.0, 0.0, 1.0]  # three words on the first line, one on the last
    assert [f[2] for f in feats] == [1.0, 0.0, 0.0, 1.0]  # first in line
    assert [f[3] for f in feats] == [0.0, 0.0, 1.0, 1.0]  # last in line
    assert feats[1][5] > 0 and feats[0][5] == 0.0  # gap to the previous word in the line


def test_encode_carries_ngram_and_line_features_into_the_batch() -> None:
    from doctrain_trainer.backends.compact_features import MAX_NGRAMS, NUM_LINE_FEATURES

    docs = _docs(2)
    vocab = Vocabulary.build(docs)
    backend = CompactBackend()
    enc = backend.encode(docs, vocab, {lab: i for i, lab in enumerate(ALL_LABELS)}, 512)
    batch = backend.collate(enc)
    length = max(len(d.words) for d in docs)
    assert batch["ngram_ids"].shape == (2, length, MAX_NGRAMS)
    assert batch["line_features"].shape == (2, length, NUM_LINE_FEATURES)
    assert int((batch["ngram_ids"][0, : len(docs[0].words)] > 0).sum(-1).min()) > 0


def test_amount_features_compare_each_amount_with_the_others_on_the_page() -> None:
    from doctrain_trainer.backends.compact_features import NUM_AMOUNT_FEATURES, amount_features
    from doctrain_trainer.backends.compact_features import amount_value as parse_amount

    assert parse_amount("RM1,234.50") == 1234.5 and parse_amount("$8.70") == 8.7
    assert parse_amount("12.50-") == 12.5 and parse_amount("9,00") == 9.0
    assert parse_amount("12/05/2018") is None and parse_amount("TOTAL") is None
    assert parse_amount("49.") is None and parse_amount("100100000121-") is None
    words = ["TOTAL", "9.00", "CASH", "RM10.00", "CHANGE", "1.00", "9.00"]
    feats = amount_features(words)
    assert all(len(f) == NUM_AMOUNT_FEATURES for f in feats)
    assert feats[0] == [0.0] * NUM_AMOUNT_FEATURES and feats[2] == feats[0]  # not amounts
    is_amount, _, largest, rank, count, largest_repeated, first, last = zip(*feats, strict=True)
    assert is_amount == (0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0)
    assert largest[3] == 1.0 and largest[1] == 0.0  # 10.00 is the largest ...
    # ... and 9.00 the largest printed twice
    assert largest_repeated[1] == largest_repeated[6] == 1.0 and largest_repeated[3] == 0.0
    assert rank[3] == 0.0 and rank[1] == 0.5 and rank[5] == 1.0
    assert count[1] == 0.5 and count[3] == 0.25
    assert (first[1], last[1], first[6], last[6]) == (1.0, 0.0, 0.0, 1.0)
    assert feats[1][1] < feats[3][1]  # size grows with the amount


def test_encode_gives_each_word_the_name_grade_of_every_entity_type() -> None:
    from doctrain_trainer.backends.compact_features import entity_types

    docs = _docs(1)
    types = entity_types(ALL_LABELS)
    label_to_id = {lab: i for i, lab in enumerate(ALL_LABELS)}
    enc = CompactBackend().encode(docs, Vocabulary.build(docs), label_to_id, 512)[0]
    assert enc.name_features.shape == (len(docs[0].words), len(types))
    total = types.index("TOTAL")
    amount = docs[0].labels.index("B-TOTAL")
    assert float(enc.name_features[amount, total]) > 0  # a word naming the total precedes it
    assert float(enc.name_features[0, total]) == 0.0


def test_date_features_mark_a_date_the_ocr_split_over_words_as_one() -> None:
    from doctrain_trainer.backends.compact_features import date_features

    def marked(words: list[str]) -> list[list[float]]:
        return date_features(words)

    # in a date, first word, later word, date of several words
    assert marked(["Date:", "30", "Dec", "17", "11:02"]) == [
        [0.0, 0.0, 0.0, 0.0],
        [1.0, 1.0, 0.0, 1.0],
        [1.0, 0.0, 1.0, 1.0],
        [1.0, 0.0, 1.0, 1.0],
        [0.0, 0.0, 0.0, 0.0],
    ]
    assert marked(["18-10-", "17"]) == [[1.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 1.0]]
    assert marked(["Dec", "25,", "2018"])[2] == [1.0, 0.0, 1.0, 1.0]
    for one_word in ("25/12/2018", "2018-12-25", "25032018", "25-DEC-18", "12.25.2018"):
        assert marked([one_word]) == [[1.0, 1.0, 0.0, 0.0]], one_word
    # Amounts, times, a day and month without a year, and numbers that are no calendar date.
    for words in (["12.50", "9.00"], ["10:30"], ["31/12"], ["45/13/2018"], ["99999999"], ["1", "2", "3"]):
        assert all(row == [0.0] * 4 for row in marked(words)), words
