"""Fields out: a trained model predicts the fields of receipts it never saw (checked against their
annotation), through the Python entry (`python -m doctrain_trainer predict`) and through the SageMaker
inference handler shipped in the artifact (`code/inference.py`), loaded the way the PyTorch serving
container loads it: from the unpacked model.tar.gz, with nothing but `code/` on the path."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from doctrain_trainer.fields import gold_fields, values_equal
from doctrain_trainer.inference import load_model
from doctrain_trainer.predict import predict_fields
from tests.conftest import ROOT, make_opt_ml, train_env
from tests.synthetic import make_document

SINGLE_FIELDS = ("company", "address", "date", "subtotal", "tax", "total")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Small enough for seconds on an idle 2-core machine; synthetic receipts are learnt quickly.
    hp = {"hidden_size": "48", "num_heads": "2", "num_layers": "1", "epochs": "10", "batch_size": "4"}
    root = make_opt_ml(tmp_path_factory.mktemp("predict") / "opt_ml", hp, n_train=32, n_val=4, seed=1)
    result = subprocess.run(
        [sys.executable, "-m", "doctrain_trainer", "train"],
        cwd=ROOT,
        env=train_env(root),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr
    return root / "model"


def unseen_receipts(n: int) -> list[dict[str, Any]]:
    rng = random.Random(99)  # the training data used seed 1: these receipts were never seen
    docs = [make_document(rng, f"unseen-{i}") for i in range(n)]
    for doc in docs:  # the annotation: the labelled words of each field
        doc["fields"] = {k: list(v) for k, v in gold_fields({}, doc["words"], doc["labels"]).items()}
    return docs


def matches(fields: dict[str, Any], doc: dict[str, Any], keys: tuple[str, ...] = SINGLE_FIELDS) -> int:
    return sum(key in fields and values_equal(doc["fields"][key][0], fields[key]["value"]) for key in keys)


def test_artifact_ships_the_inference_handler_and_the_package(trained: Path) -> None:
    assert (trained / "code" / "inference.py").is_file()
    assert (trained / "code" / "doctrain_trainer" / "serving.py").is_file()
    assert (trained / "code" / "doctrain_trainer" / "backends" / "compact.py").is_file()


def test_predict_returns_the_fields_of_unseen_receipts(trained: Path) -> None:
    model = load_model(trained)
    docs = unseen_receipts(4)
    results = [predict_fields(model, {"words": d["words"], "bboxes": d["bboxes"]}) for d in docs]
    for fields in results:
        assert set(fields) <= {
            "company",
            "address",
            "date",
            "item_name",
            "item_price",
            "subtotal",
            "tax",
            "total",
        }
        for value in fields.values():
            assert set(value) == {"value", "confidence"} and 0.0 < value["confidence"] <= 1.0
    # A small model trained for seconds: company and date come out exactly on every receipt, the total on
    # most, and more than half of all single-valued fields (24) exactly as annotated.
    pairs = list(zip(results, docs, strict=True))
    assert all(matches(f, d, ("company", "date")) == 2 for f, d in pairs)
    assert sum(matches(f, d, ("total",)) for f, d in pairs) >= 2
    assert sum(matches(f, d) for f, d in pairs) >= 14


def test_python_entry_reads_a_model_tar_gz_and_records(trained: Path, tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:  # as SageMaker packs SM_MODEL_DIR: its contents at the root
        for path in sorted(trained.iterdir()):
            tar.add(path, arcname=path.name)
    doc = unseen_receipts(1)[0]
    record = tmp_path / "record.json"
    record.write_text(json.dumps(doc))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "doctrain_trainer",
            "predict",
            "--model",
            str(archive),
            "--input",
            str(record),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    fields = json.loads(result.stdout)
    assert fields == predict_fields(load_model(trained), doc)
    assert matches(fields, doc, ("company", "date")) == 2

    bad = subprocess.run(
        [sys.executable, "-m", "doctrain_trainer", "predict", "--model", str(archive)],
        cwd=ROOT,
        input='{"words": ["a"]}',
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "words and bboxes" in bad.stderr


def test_sagemaker_handler_serves_from_the_artifact_alone(trained: Path, tmp_path: Path) -> None:
    doc = unseen_receipts(2)[1]
    script = f"""
import json, sys
sys.path.insert(0, {str(trained / "code")!r})
import inference, doctrain_trainer
assert doctrain_trainer.__file__.startswith({str(trained / "code")!r}), doctrain_trainer.__file__
model = inference.model_fn({str(trained)!r})
body = json.dumps([{{"words": {doc["words"]!r}, "bboxes": {doc["bboxes"]!r}}}]).encode()
data = inference.input_fn(body, "application/json")
print(inference.output_fn(inference.predict_fn(data, model), "application/json"))
"""
    # A bare environment in another directory: the trainer package is found only inside the artifact.
    result = subprocess.run(
        [sys.executable, "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout)
    assert served == [predict_fields(load_model(trained), doc)]
    assert matches(served[0], doc, ("company", "date")) == 2


def test_a_model_with_other_compact_layers_fails_to_load_with_a_clear_error(
    trained: Path, tmp_path: Path
) -> None:
    import shutil

    import torch

    from doctrain_trainer.errors import UserError

    older = tmp_path / "model"
    shutil.copytree(trained, older)
    state = torch.load(older / "model.pt", map_location="cpu")
    del state["state_dict"]["names.weight"]  # as written by a trainer before the field-name features
    torch.save(state, older / "model.pt")
    with pytest.raises(UserError, match="other layers than this trainer's.*retrain it"):
        load_model(older)
