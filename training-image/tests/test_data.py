from __future__ import annotations

import json
from pathlib import Path

import pytest

from doctrain_trainer.data import (
    Document,
    Vocabulary,
    derive_labels,
    load_channel,
    load_label_file,
    normalize_word,
    word_shape,
)
from doctrain_trainer.errors import UserError

GOOD = {
    "id": "r1",
    "words": ["TOTAL", "12.50"],
    "bboxes": [[10, 900, 80, 920], [700, 900, 780, 920]],
    "labels": ["O", "B-TOTAL"],
    "page": {"width": 1000, "height": 1000},
    "source": "s3://b/r1.png",
}


def write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_loads_jsonl_recursively(tmp_path: Path) -> None:
    write_lines(tmp_path / "train" / "train-00000.jsonl", [json.dumps(GOOD)])
    write_lines(tmp_path / "train" / "sub" / "train-00001.jsonl", [json.dumps({**GOOD, "id": "r2"}), ""])
    docs = load_channel(tmp_path / "train", "train", None)
    assert [d.id for d in docs] == ["r1", "r2"]
    assert docs[0].bboxes[1] == (700, 900, 780, 920)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({**GOOD, "labels": ["O"]}, "differ in length"),
        ({**GOOD, "labels": ["O", "TOTAL"]}, "labels\\[1\\]='TOTAL' is not a BIO label"),
        ({**GOOD, "bboxes": [[10, 900, 80, 920], [700, 900, 1780, 920]]}, "outside 0..1000"),
        ({**GOOD, "bboxes": [[10, 900, 80, 920], [700, 900]]}, "bboxes\\[1\\] must be"),
        ({**GOOD, "bboxes": [[80, 900, 10, 920], [700, 900, 780, 920]]}, "x0 > x1"),
        ({k: v for k, v in GOOD.items() if k != "words"}, "'words' is missing"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, doc: dict[str, object], message: str) -> None:
    write_lines(tmp_path / "train" / "train-00000.jsonl", [json.dumps(GOOD), json.dumps(doc)])
    with pytest.raises(UserError, match=f"train-00000.jsonl:2: .*{message}"):
        load_channel(tmp_path / "train", "train", None)


def test_invalid_json_line(tmp_path: Path) -> None:
    write_lines(tmp_path / "validation" / "v.jsonl", ["{not json"])
    with pytest.raises(UserError, match="v.jsonl:1: not valid JSON"):
        load_channel(tmp_path / "validation", "validation", None)


def test_label_outside_labels_file(tmp_path: Path) -> None:
    write_lines(tmp_path / "train" / "t.jsonl", [json.dumps(GOOD)])
    with pytest.raises(UserError, match="'B-TOTAL' is not in the labels channel"):
        load_channel(tmp_path / "train", "train", frozenset({"O", "B-DATE", "I-DATE"}))


def test_missing_or_empty_channel(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="channel 'train' is missing"):
        load_channel(tmp_path / "train", "train", None)
    (tmp_path / "validation").mkdir()
    with pytest.raises(UserError, match="holds no \\*.jsonl files"):
        load_channel(tmp_path / "validation", "validation", None)


def test_labels_file(tmp_path: Path) -> None:
    (tmp_path / "labels").mkdir()
    payload = {"schemaVersion": 1, "labels": ["O", "B-X", "I-X"]}
    (tmp_path / "labels" / "labels.json").write_text(json.dumps(payload))
    assert load_label_file(tmp_path / "labels") == ["O", "B-X", "I-X"]
    assert load_label_file(tmp_path / "absent") is None
    (tmp_path / "labels" / "labels.json").write_text(json.dumps({"labels": ["B-X"]}))
    with pytest.raises(UserError, match="must include 'O'"):
        load_label_file(tmp_path / "labels")


def _doc(words: list[str], labels: list[str]) -> Document:
    return Document("d", tuple(words), tuple((0, 0, 1, 1) for _ in words), tuple(labels), "x:1")


def test_derived_labels_have_both_prefixes() -> None:
    docs = [_doc(["a", "b"], ["B-TOTAL", "I-DATE"])]
    assert derive_labels(docs) == ["O", "B-DATE", "I-DATE", "B-TOTAL", "I-TOTAL"]


def test_vocabulary_normalisation_and_unk() -> None:
    assert normalize_word(" Total12.50 ") == "total00.00"
    assert word_shape("RM12.50") == "Xd.d" and word_shape("Total:") == "Xx:"
    vocab = Vocabulary.build([_doc(["TOTAL", "total", "12.50", "98.10", "once"], ["O"] * 5)], min_count=2)
    assert vocab.words[:2] == ("[PAD]", "[UNK]")
    assert vocab.word_id("Total") == vocab.word_id("TOTAL") != 1
    assert vocab.word_id("77.77") == vocab.word_id("12.50") != 1  # digits share an entry
    assert vocab.word_id("once") == 1  # below min_count -> UNK
    assert Vocabulary.from_json(vocab.to_json()) == vocab


def test_annotated_fields_are_read_and_optional(tmp_path: Path) -> None:
    with_fields = {**GOOD, "id": "r2", "fields": {"total": "12.50", "item_name": ["TEA", "CAKE"]}}
    write_lines(tmp_path / "train" / "a.jsonl", [json.dumps(GOOD), json.dumps(with_fields)])
    docs = load_channel(tmp_path / "train", "train", None)
    assert docs[0].fields == {}
    assert docs[1].fields == {"total": ("12.50",), "item_name": ("TEA", "CAKE")}
    write_lines(tmp_path / "bad" / "a.jsonl", [json.dumps({**GOOD, "fields": {"total": 12.5}})])
    with pytest.raises(UserError, match=r"a.jsonl:1: fields\['total'\] must be a string or a list"):
        load_channel(tmp_path / "bad", "bad", None)


# What the dataset builder writes (docs/CONTRACTS.md section 3): every key of the emitted contract.
PIPELINE_RECORD = {
    **GOOD,
    "documentId": "r1",
    "page": {"number": 1, "width": 1000, "height": 1000},
    "fields": {"total": "12.50"},
}


def test_the_record_schema_is_the_emitted_contract() -> None:
    from doctrain_trainer import data

    assert data.RECORD_SCHEMA["$id"] == "doctrain_trainer/schemas/dataset-record.schema.json"
    validator = data._record_validator()
    assert validator is data._record_validator()  # compiled once per process
    for key in data.READ_KEYS:  # each read key is checked by the contract's own definition of it
        assert validator.schema["properties"][key] == data.RECORD_SCHEMA["properties"][key]
    assert set(data.REQUIRED_KEYS) <= set(data.RECORD_SCHEMA["required"])


def test_pipeline_records_and_reader_tolerance(tmp_path: Path) -> None:
    extra = {**GOOD, "id": "r2", "page": {"width": 1000, "height": 1000}, "comment": "hand-made"}
    write_lines(tmp_path / "train" / "a.jsonl", [json.dumps(PIPELINE_RECORD), json.dumps(extra)])
    docs = load_channel(tmp_path / "train", "train", None)
    assert [(d.id, d.document) for d in docs] == [("r1", "r1"), ("r2", "r2")]
    assert docs[0].fields == {"total": ("12.50",)}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {**GOOD, "bboxes": [[10, 900, 80, 920], [700, 900, 780.5, 920]]},
            r"bboxes\[1\] holds a non-integer 780.5",
        ),
        ({**GOOD, "bboxes": [[10, 900, 80, 920], [700, 900, 780, 920, 1]]}, r"bboxes\[1\] must be"),
        ({**GOOD, "words": ["TOTAL", 12.5]}, r"words\[1\] is not a string"),
        ({**GOOD, "labels": "O O"}, "field 'labels' is missing or not a list"),
        ({**GOOD, "documentId": 7}, "field 'documentId': 7 is not of type 'string'"),
        ({**GOOD, "fields": ["total"]}, "field 'fields' must be an object"),
        (["words"], "expected a JSON object per line"),
    ],
)
def test_schema_errors_name_the_key(tmp_path: Path, doc: object, message: str) -> None:
    write_lines(tmp_path / "train" / "train-00000.jsonl", [json.dumps(doc)])
    with pytest.raises(UserError, match=f"train-00000.jsonl:1: {message}"):
        load_channel(tmp_path / "train", "train", None)
