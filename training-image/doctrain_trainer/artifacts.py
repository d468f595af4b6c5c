"""The model directory (CONTRACTS.md §4): config.json, labels.json, metrics.json, and the weights:
compact: model.pt + vocab.json; hf: hf/ (save_pretrained of model, tokenizer and image processor)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import SCHEMA_VERSION, __version__
from .backends import Backend
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
) -> None:
    """Everything inference needs, in model/ (SageMaker tars it to model.tar.gz), including the
    SageMaker inference handler code/inference.py (serving.py)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    requirements: list[str] = []
    extra: dict[str, Any] = {}
    if config.backend == "hf":
        from .backends.hf import HFBackend, hf_artifact_info, hf_serving_requirements

        assert isinstance(backend, HFBackend)
        backend.save_pretrained(model, model_dir / hf_artifact_info(backend)["dir"], labels)
        extra["hf"] = hf_artifact_info(backend)
        requirements = hf_serving_requirements()
    else:
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        # Plain tensors and builtins only, so torch.load(..., weights_only=True) can read it.
        torch.save(
            {
                "schemaVersion": SCHEMA_VERSION,
                "backend": config.backend,
                "num_labels": len(labels),
                "state_dict": state,
            },
            model_dir / "model.pt",
        )
        _write_json(model_dir / "vocab.json", vocab.to_json())
    write_serving_code(model_dir, requirements)
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
        },
    )
