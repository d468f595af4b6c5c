"""Validation pass: valid-BIO decoding, entity scores, field-level scores, and the metric line contract.

The metric line (one per evaluation, stdout):
  [metric] epoch=3 step=120 train_loss=0.2134 val_loss=0.3011 val_precision=0.9012 val_recall=0.8890
  val_f1=0.8950 val_field_exact=0.8125 val_field_f1=0.8333 val_exact_company=0.7500 val_exact_total=0.9000 ...
`val_f1` is entity-level F1; `val_field_exact` the share of annotated field values extracted exactly (after
normalisation, see fields.py), `val_field_f1` its F1 counting extracted values of unannotated fields too,
and `val_exact_<field>` the same share per field. The state machine's MetricDefinitions match these names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .backends import IGNORE_INDEX, Backend
from .data import Document
from .decoding import BioDecoder
from .fields import FieldReport, extract_fields, field_report, gold_fields
from .metrics import EntityReport, entity_report


@dataclass
class EvalResult:
    loss: float
    report: EntityReport
    fields: FieldReport


def loss_fn(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX
    )


def evaluate(
    model: nn.Module,
    backend: Backend,
    encoded: Sequence[Any],
    docs: Sequence[Document],
    labels: Sequence[str],
    batch_size: int,
    to_device: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]],
    autocast: Callable[[], contextlib.AbstractContextManager[Any]],
) -> EvalResult:
    """`encoded[i]` is `docs[i]` encoded; the words of a document beyond the encoded length (truncation)
    are not predicted."""
    was_training = model.training
    model.eval()
    decoder = BioDecoder(labels)
    gold: list[list[str]] = []
    pred: list[list[str]] = []
    gold_values: list[dict[str, tuple[str, ...]]] = []
    pred_values: list[Any] = []
    loss_sum = 0.0
    tokens = 0
    with torch.no_grad():
        for first in range(0, len(encoded), batch_size):
            rows = list(range(first, min(first + batch_size, len(encoded))))
            batch = to_device(backend.collate([encoded[i] for i in rows]))
            with autocast():
                logits = model(batch)
            target = batch["labels"]
            valid = target != IGNORE_INDEX
            n = int(valid.sum())
            loss_sum += float(loss_fn(logits, target)) * n
            tokens += n
            probs = logits.float().softmax(dim=-1)
            for row, (doc_index, path) in enumerate(zip(rows, decoder.decode(logits, valid), strict=True)):
                keep = valid[row]
                tags = [labels[i] for i in path]
                conf = probs[row][keep].gather(1, torch.tensor(path, device=probs.device)[:, None])
                gold_tags = [labels[i] for i in target[row][keep].tolist()]
                gold.append(gold_tags)
                pred.append(tags)
                doc = docs[doc_index]
                words = doc.words[: len(tags)]
                gold_values.append(gold_fields(doc.fields, doc.words, doc.labels))
                word_probs = probs[row][keep].tolist()
                pred_values.append(extract_fields(words, tags, conf[:, 0].tolist(), word_probs, labels))
    if was_training:
        model.train()
    return EvalResult(
        loss=loss_sum / max(1, tokens),
        report=entity_report(gold, pred),
        fields=field_report(gold_values, pred_values),
    )


def _metric_name(key: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in key)


def metrics_entry(epoch: int, step: int, train_loss: float, result: EvalResult) -> dict[str, Any]:
    m = result.report.micro
    f = result.fields
    return {
        "epoch": epoch,
        "step": step,
        "train_loss": round(train_loss, 6),
        "val_loss": round(result.loss, 6),
        "val_precision": round(m.precision, 6),
        "val_recall": round(m.recall, 6),
        "val_f1": round(m.f1, 6),
        "val_token_accuracy": round(result.report.token_accuracy, 6),
        "val_field_exact": round(f.exact_micro, 6),
        "val_field_f1": round(f.micro.f1, 6),
        "val_per_type": {
            t: {
                "precision": round(s.precision, 6),
                "recall": round(s.recall, 6),
                "f1": round(s.f1, 6),
                "support": s.support,
            }
            for t, s in result.report.per_type.items()
        },
        "val_per_field": {
            key: {
                "exact": round(f.exact(key), 6),
                "precision": round(s.precision, 6),
                "recall": round(s.recall, 6),
                "f1": round(s.f1, 6),
                "support": s.support,
            }
            for key, s in f.per_field.items()
        },
    }


def metric_line(entry: dict[str, Any]) -> str:
    """The contract line for one history entry (see the module docstring)."""
    per_field = " ".join(
        f"val_exact_{_metric_name(key)}={scores['exact']:.4f}"
        for key, scores in entry["val_per_field"].items()
    )
    line = (
        f"[metric] epoch={entry['epoch']} step={entry['step']} train_loss={entry['train_loss']:.4f} "
        f"val_loss={entry['val_loss']:.4f} val_precision={entry['val_precision']:.4f} "
        f"val_recall={entry['val_recall']:.4f} val_f1={entry['val_f1']:.4f} "
        f"val_field_exact={entry['val_field_exact']:.4f} val_field_f1={entry['val_field_f1']:.4f}"
    )
    return f"{line} {per_field}" if per_field else line
