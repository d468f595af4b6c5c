"""The model directory (CONTRACTS.md §4): config.json, labels.json, metrics.json, code/ (serving.py), and
the weights, as the backend saves them (`Backend.save`: compact: model.pt + vocab.json; hf: hf/, the
save_pretrained of model, tokenizer and image processor)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import SCHEMA_VERSION, __version__
from .backends.base import Backend
from .config import TrainConfig
from .data import Vocabulary, label_file_payload
from .serving import write_serving_code


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def write_model(
    model_dir: Path,
    *,
    backend: Backend,
    config: TrainConfig,
    labels: Sequence[str],
    vocab: Vocabulary,
    model: nn.Module,
    final: dict[str, Any],
    history: list[dict[str, Any]],
    documents: dict[str, int],
    truncated: int,
    seconds: float,
    throughput: dict[str, Any] | None = None,
    single_valued: frozenset[str] = frozenset(),
    always_present: frozenset[str] = frozenset(),
    warm_start: dict[str, Any] | None = None,
) -> None:
    """Everything inference needs, in model/ (SageMaker tars it to model.tar.gz), including the
    SageMaker inference handler code/inference.py (serving.py)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    extra = backend.save(model, model_dir, labels, vocab)  # its entries of config.json, read back by load
    write_serving_code(model_dir, backend.serving_requirements())
    _write_json(model_dir / "labels.json", label_file_payload(labels))
    _write_json(
        model_dir / "config.json",
        {
            "schemaVersion": SCHEMA_VERSION,
            "backend": config.backend,
            "hyperparameters": config.to_dict(),
            "num_labels": len(labels),
            "vocab_size": len(vocab.words),
            "shape_vocab_size": len(vocab.shapes),
            # Entity types decoded as one entity per document (decoding.single_valued_types).
            "single_valued_types": sorted(single_valued),
            # ... and those every document holds (decoding.always_present_types).
            "always_present_types": sorted(always_present),
            "trainer_version": __version__,
            "torch_version": torch.__version__,
            **extra,
        },
    )
    _write_json(
        model_dir / "metrics.json",
        {
            "schemaVersion": SCHEMA_VERSION,
            "final": final,
            "history": history,
            "documents": documents,
            "truncated_documents": truncated,
            "seconds": round(seconds, 2),
            "throughput": throughput or {},
            # Whether training started from the champion (champion.WarmStart.record).
            "warm_start": warm_start,
            # The champion scored on the same validation documents (record_champion); null: no champion.
            "champion": None,
        },
    )


def record_champion(model_dir: Path, champion: dict[str, Any]) -> None:
    """metrics.json's `champion`: the champion scored after the model was written
    (champion.score_champion)."""
    path = model_dir / "metrics.json"
    metrics = json.loads(path.read_text(encoding="utf-8"))
    _write_json(path, {**metrics, "champion": champion})


PREDICTIONS_SCHEMA_FILE = Path(__file__).with_name("schemas") / "model-predictions.schema.json"
PREDICTIONS_FILE = "predictions.json"


def predictions_payload(doc_ids: Sequence[str], tags: Sequence[Sequence[str]]) -> dict[str, Any]:
    """predictions.json (model-predictions.schema.json, emitted from src/contracts/model-metrics.ts): the
    written model's tag of each word of the first validation records, as many as the schema's
    maxProperties allows, validated against that schema before it is written."""
    import jsonschema

    schema = json.loads(PREDICTIONS_SCHEMA_FILE.read_text(encoding="utf-8"))
    cap = int(schema["properties"]["records"]["maxProperties"])
    records = {doc_id: list(doc_tags) for doc_id, doc_tags in list(zip(doc_ids, tags, strict=True))[:cap]}
    payload = {"schemaVersion": SCHEMA_VERSION, "records": records}
    jsonschema.Draft202012Validator(schema).validate(payload)
    return payload


def write_predictions(model_dir: Path, doc_ids: Sequence[str], tags: Sequence[Sequence[str]]) -> None:
    """predictions.json in the model directory, for the run report's validation pages."""
    _write_json(model_dir / PREDICTIONS_FILE, predictions_payload(doc_ids, tags))
