"""Task classification (doctrain_trainer/classification.py): both heads train on page records, score
documents (pages pooled), print the metric line, and the artifact predicts a class."""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from doctrain_trainer.class_metrics import class_report
from doctrain_trainer.classification import class_metric_line, load_class_file, load_pages, pool_documents
from doctrain_trainer.data import Document
from doctrain_trainer.errors import UserError
from doctrain_trainer.inference import load_model
from doctrain_trainer.paths import resolve_paths
from doctrain_trainer.predict import main as predict_main
from doctrain_trainer.predict import predict_classes
from doctrain_trainer.stop import StopFlag
from doctrain_trainer.train import run_training
from tests.conftest import TINY
from tests.synthetic import make_document
from tests.tiny_hf import build_tiny_model

CLASSES = ["letter", "receipt"]
LETTER_WORDS = "dear sir madam we write to inform you that your application has been received kindly".split()

METRIC_RE = re.compile(
    r"^\[metric\] epoch=\d+ step=\d+ train_loss=\d+\.\d{4} val_loss=\d+\.\d{4} val_accuracy=[01]\.\d{4} "
    r"val_macro_f1=[01]\.\d{4} val_precision_letter=[01]\.\d{4} val_recall_letter=[01]\.\d{4} "
    r"val_precision_receipt=[01]\.\d{4} val_recall_receipt=[01]\.\d{4}$"
)


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _letter_page(rng: random.Random, doc_id: str) -> dict[str, Any]:
    words = [rng.choice(LETTER_WORDS) for _ in range(rng.randint(20, 40))]
    boxes = [
        [60 + (i % 8) * 110, 80 + (i // 8) * 30, 150 + (i % 8) * 110, 100 + (i // 8) * 30]
        for i in range(len(words))
    ]
    return {"id": doc_id, "words": words, "bboxes": boxes}


def _page(rng: random.Random, doc_id: str, cls: str) -> dict[str, Any]:
    if cls == "receipt":
        record = make_document(rng, doc_id)
        return {"id": doc_id, "words": record["words"], "bboxes": record["bboxes"]}
    return _letter_page(rng, doc_id)


def write_class_dataset(data_dir: Path, n_train: int = 12, n_val: int = 6, seed: int = 0) -> None:
    """Documents alternating letter/receipt; every third one has two pages (`<id>#1`, `<id>#2`)."""
    rng = random.Random(seed)
    for channel, count in (("train", n_train), ("validation", n_val)):
        (data_dir / channel).mkdir(parents=True, exist_ok=True)
        lines = []
        for i in range(count):
            cls, doc = CLASSES[i % 2], f"{channel}-{i:03d}"
            pages = 2 if i % 3 == 0 else 1
            for number in range(1, pages + 1):
                page = _page(rng, f"{doc}#{number}" if pages > 1 else doc, cls)
                lines.append(json.dumps({**page, "documentId": doc, "class": cls}))
        (data_dir / channel / f"{channel}-00000.jsonl").write_text("\n".join(lines) + "\n")
    (data_dir / "labels").mkdir(parents=True, exist_ok=True)
    (data_dir / "labels" / "labels.json").write_text(
        json.dumps({"schemaVersion": 1, "task": "classification", "labels": CLASSES})
    )


def _opt_ml(root: Path, hp: dict[str, str]) -> Path:
    write_class_dataset(root / "input" / "data")
    (root / "input" / "config").mkdir(parents=True)
    (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hp))
    return root


def _train(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], list[str]]:
    final = run_training(resolve_paths({"DOCTRAIN_OPT_ML": str(root)}), StopFlag())
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[metric]")]
    return final, lines


def test_class_report_gives_accuracy_macro_f1_and_per_class_scores() -> None:
    # Prepare: 4 documents of 3 classes; "form" is neither present nor predicted.
    classes = ["invoice", "receipt", "form"]
    # Act
    report = class_report([0, 0, 1, 1], [0, 1, 1, 1], classes)
    # Assess
    assert report.accuracy == 0.75
    assert report.per_class["invoice"].precision == 1.0 and report.per_class["invoice"].recall == 0.5
    assert (
        report.per_class["receipt"].precision == pytest.approx(2 / 3)
        and report.per_class["receipt"].recall == 1.0
    )
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)  # "form" says nothing about this set
    assert report.per_class["form"].support == 0


def test_a_multi_page_document_is_its_pages_mean_probabilities() -> None:
    # Prepare: a cover page unsure of its class, then the page that says it is an invoice.
    docs = [
        Document("d#1", ("a",), ((0, 0, 1, 1),), ("O",), "x", document_id="d", doc_class="invoice"),
        Document("d#2", ("b",), ((0, 0, 1, 1),), ("O",), "x", document_id="d", doc_class="invoice"),
        Document("e", ("c",), ((0, 0, 1, 1),), ("O",), "x", document_id="e", doc_class="letter"),
    ]
    probs = torch.tensor([[0.45, 0.55], [0.9, 0.1], [0.2, 0.8]])
    # Act
    pooled = pool_documents(docs, probs)
    # Assess: the document is invoice, though its first page leant to letter.
    assert [(key, cls) for key, cls, _ in pooled] == [("d", "invoice"), ("e", "letter")]
    assert pooled[0][2].tolist() == pytest.approx([0.675, 0.325])


def test_metric_line_names_every_class() -> None:
    entry = {
        "epoch": 1,
        "step": 3,
        "train_loss": 0.5,
        "val_loss": 0.4,
        "val_accuracy": 1.0,
        "val_macro_f1": 1.0,
        "val_per_class": {c: {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1} for c in CLASSES},
    }
    assert METRIC_RE.match(class_metric_line(entry))


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"schemaVersion": 1, "task": "classification", "labels": ["invoice"]}, "a classifier needs two"),
        ({"schemaVersion": 1, "task": "classification", "labels": ["a", "a"]}, "lists a class twice"),
        ({"schemaVersion": 1, "task": "sorting", "labels": ["a", "b"]}, "names task 'sorting'"),
    ],
)
def test_a_class_list_a_classifier_cannot_learn_is_a_user_error(
    tmp_path: Path, labels: dict[str, Any], message: str
) -> None:
    root = _opt_ml(tmp_path / "opt_ml", dict(TINY))
    (root / "input" / "data" / "labels" / "labels.json").write_text(json.dumps(labels))
    with pytest.raises(UserError, match=message):
        run_training(resolve_paths({"DOCTRAIN_OPT_ML": str(root)}), StopFlag())


def test_a_page_of_an_unknown_class_is_a_user_error(tmp_path: Path) -> None:
    write_class_dataset(tmp_path)
    shard = tmp_path / "train" / "train-00000.jsonl"
    shard.write_text(shard.read_text().replace('"class": "letter"', '"class": "memo"', 1))
    with pytest.raises(UserError, match=r"train-00000.jsonl:1: class 'memo' is not in labels.json's classes"):
        load_pages(tmp_path / "train", "train", load_class_file(tmp_path / "labels"))


def test_compact_classifier_trains_scores_documents_and_predicts_a_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prepare
    # Every epoch runs: with patience on, a perfect first epoch (these classes differ plainly) ends it.
    hyperparameters = {**TINY, "epochs": "4", "learning_rate": "0.003", "early_stopping_patience": "0"}
    root = _opt_ml(tmp_path / "opt_ml", hyperparameters)
    # Act
    final, lines = _train(root, capsys)
    # Assess: one line per epoch (and the best once more when it is not the last), in the contract.
    assert len(lines) >= 4 and all(METRIC_RE.match(line) for line in lines), lines
    assert final["val_documents"] == 6 and final["val_accuracy"] == 1.0  # letters and receipts differ plainly
    metrics = json.loads((root / "model" / "metrics.json").read_text())
    assert metrics["final"] == final
    model = load_model(root / "model")
    assert model.labels == CLASSES and model.backend.task == "classification"
    pages = [
        json.loads(line)
        for line in (root / "input" / "data" / "validation" / "validation-00000.jsonl")
        .read_text()
        .splitlines()
    ]
    predicted = predict_classes(model, pages)
    assert [p["class"] for p in predicted] == [CLASSES[i % 2] for i in range(6)]
    assert predicted[0]["pages"] == 2 and sum(predicted[0]["scores"].values()) == pytest.approx(1, abs=1e-3)

    # The CLI prints one object per document.
    record_file = tmp_path / "pages.jsonl"
    record_file.write_text("\n".join(json.dumps(p) for p in pages[:3]))  # document 0 (2 pages), document 1
    capsys.readouterr()
    assert predict_main(["--model", str(root / "model"), "--input", str(record_file)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["class"] for o in out] == ["letter", "receipt"]


@pytest.mark.parametrize("arch", ["layoutlm", "layoutlmv3"])
def test_hf_sequence_classification_heads_train_and_predict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arch: str
) -> None:
    # Prepare: a tiny LayoutLM / LayoutLMv3 built here; its sequence head is transformers' own.
    model_dir = build_tiny_model(tmp_path / arch, arch)
    hp = {
        "backend": "hf",
        "model_id": str(model_dir),
        "device": "cpu",
        "batch_size": "4",
        "epochs": "2",
        "max_seq_len": "64",
        "learning_rate": "0.003",
    }
    root = _opt_ml(tmp_path / "opt_ml", hp)
    # Act
    final, lines = _train(root, capsys)
    # Assess
    assert lines and all(METRIC_RE.match(line) for line in lines), lines
    hf_config = json.loads((root / "model" / "hf" / "config.json").read_text())
    expected = (
        "LayoutLMv3ForSequenceClassification" if arch == "layoutlmv3" else "LayoutLMForSequenceClassification"
    )
    assert hf_config["architectures"] == [expected] and hf_config["id2label"] == {
        "0": "letter",
        "1": "receipt",
    }
    model = load_model(root / "model")
    pages = [
        json.loads(line)
        for line in (root / "input" / "data" / "validation" / "validation-00000.jsonl")
        .read_text()
        .splitlines()
    ]
    predicted = predict_classes(model, pages)
    assert len(predicted) == final["val_documents"] == 6
    assert all(p["class"] in CLASSES for p in predicted)


def test_a_champion_classifier_is_scored_on_the_same_validation_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Prepare: a first classifier, then the champion channel of a second job holding it.
    first = _opt_ml(tmp_path / "first", dict(TINY))
    _train(first, capsys)
    second = _opt_ml(tmp_path / "second", dict(TINY))
    shutil.copytree(first / "model", second / "input" / "data" / "champion")
    # Act
    _, lines = _train(second, capsys)
    # Assess: the champion's line after the challenger's, with its macro-F1 and per-class recall.
    assert re.match(
        r"^\[metric\] champion_comparable=1 champion_val_macro_f1=[01]\.\d{4} "
        r"champion_val_accuracy=[01]\.\d{4} champion_val_recall_letter=[01]\.\d{4} "
        r"champion_val_recall_receipt=[01]\.\d{4}$",
        lines[-1],
    ), lines
    champion = json.loads((second / "model" / "metrics.json").read_text())["champion"]
    assert champion["comparable"] is True and set(champion["val_per_class"]) == set(CLASSES)
