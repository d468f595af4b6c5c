"""Validation pass: valid-BIO decoding, entity scores, field-level scores, and the metric line contract.

The metric line (one per evaluation, stdout):
  [metric] epoch=3 step=120 train_loss=0.2134 val_loss=0.3011 val_precision=0.9012 val_recall=0.8890
  val_f1=0.8950 val_field_exact=0.8125 val_field_f1=0.8333 val_exact_company=0.7500 val_exact_total=0.9000 ...
`val_f1` is entity-level F1; `val_field_exact` the share of annotated field values extracted exactly (after
normalisation, see fields.py), `val_field_f1` its F1 counting extracted values of unannotated fields too,
and `val_exact_<field>` the same share per field. The training job's MetricDefinitions are derived from
the dataset's labels by src/contracts/metric-line.ts, which restates `_metric_name` and `fields.field_key`;
test/unit/contracts/metric-line.test.ts runs this module to hold the two to each other.
Entity scores are per record (a page), over all its words; field scores per document (`document_fields`).

With a `champion` channel (champion.py), one more line after the challenger's last one, the champion model
scored on the same validation documents with its own vocabulary, labels and max_seq_len:
  [metric] champion_comparable=1 champion_val_f1=0.8800 champion_val_precision=0.8900
  champion_val_recall=0.8700 champion_val_field_exact=0.8000 champion_val_exact_company=0.7500 ...
(`champion_val_exact_<field>` named as `val_exact_<field>`), or `[metric] champion_comparable=0` alone when
the champion cannot be scored (unreadable artifact, other labels, a model that cannot load); the reason is
logged and kept in metrics.json. Note: a MetricDefinition regex without a left boundary (`val_f1=(...)`)
also matches `champion_val_f1=`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .backends import IGNORE_INDEX, Backend, WordProbs, item_words
from .data import Document
from .decoding import BioDecoder, canonical_prints, fill_missing, keep_most_confident
from .fields import FieldReport, FieldValue, extract_fields, field_report, gold_fields
from .metrics import EntityReport, entity_report


@dataclass
class EvalResult:
    loss: float
    report: EntityReport
    fields: FieldReport


@dataclass
class DocumentTags:
    """One document's decoded tags, one per word (whole document, whatever the backend's items)."""

    tags: list[str]
    confidences: list[float]  # the probability of each word's tag; 0.0 for a word no item covered
    probs: list[list[float]]  # [words][labels]; a word no item covered reads as certainly "O"


def loss_fn(logits: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean cross-entropy over the labelled positions; `weight` [L]: per-label weights (a weighted mean)."""
    return nn.functional.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]),
        labels.reshape(-1),
        weight=weight,
        ignore_index=IGNORE_INDEX,
    )


def label_weights(labels: Sequence[str], entity_weight: float) -> torch.Tensor | None:
    """Per-label loss weights: `entity_weight` for every B-/I- label, 1 for O; None when all are 1."""
    if entity_weight == 1.0:
        return None
    return torch.tensor([1.0 if label == "O" else entity_weight for label in labels])


def decode_document(
    rows: Sequence[torch.Tensor | None],
    decoder: BioDecoder,
    labels: Sequence[str],
    single_valued: Collection[str] = frozenset(),
    page: Document | None = None,
    always_present: Collection[str] = frozenset(),
) -> DocumentTags:
    """Valid-BIO tags over the covered words of one document (in order, as one sequence); words no item
    covered (compact beyond max_seq_len) are "O" with confidence 0. An entity type in `single_valued`
    keeps its most confident entity only (decoding.keep_most_confident), and, given the `page`'s words
    and boxes, on the print of its value the dataset builder labels (decoding.canonical_prints), with the
    confidences the model gave the print it marked; a word that lost its tag has the probability of O.
    A type of `always_present` the path left out is given to its most probable word first
    (decoding.fill_missing), with that word's probability of its tag."""
    covered = [i for i, row in enumerate(rows) if row is not None]
    outside = [0.0] * len(labels)
    outside[labels.index("O")] = 1.0
    tags = ["O"] * len(rows)
    confidences = [0.0] * len(rows)
    probs = [list(outside) for _ in rows]
    if covered:
        matrix = torch.stack([row for row in rows if row is not None]).float()
        path = decoder.decode(
            matrix.clamp_min(1e-12).log()[None], torch.ones(1, len(covered), dtype=torch.bool)
        )[0]
        for word, label_id, row in zip(covered, path, matrix.tolist(), strict=True):
            tags[word] = labels[label_id]
            confidences[word] = row[label_id]
            probs[word] = row
    if always_present:
        filled = fill_missing(tags, probs, labels, always_present)
        for word, (before, after) in enumerate(zip(tags, filled, strict=True)):
            if before != after:
                confidences[word] = probs[word][labels.index(after)]
        tags = filled
    if single_valued:
        kept = keep_most_confident(tags, confidences, single_valued)
        moved_from: dict[int, int] = {}
        if page is not None:
            kept, moved_from = canonical_prints(page.words, page.bboxes, kept, single_valued)
        model_confidences = list(confidences)
        outside_id = labels.index("O")
        for word, (before, after) in enumerate(zip(tags, kept, strict=True)):
            if word in moved_from:  # an entity moved here keeps the confidence the model gave its value
                confidences[word] = model_confidences[moved_from[word]]
            elif before != after:
                confidences[word] = probs[word][outside_id]
        tags = kept
    return DocumentTags(tags, confidences, probs)


def tag_documents(
    model: nn.Module,
    backend: Backend,
    encoded: Sequence[Any],
    docs: Sequence[Document],
    labels: Sequence[str],
    batch_size: int,
    to_device: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]],
    autocast: Callable[[], contextlib.AbstractContextManager[Any]],
    single_valued: Collection[str] = frozenset(),
    always_present: Collection[str] = frozenset(),
) -> tuple[list[DocumentTags], float, int]:
    """Decoded tags of every document of `docs` from its encoded items (whole documents or
    windows, base.item_words), plus the summed loss and the number of labelled positions. Entity types in
    `single_valued` keep one entity per document, and those of `always_present` have one (decode_document)."""
    was_training = model.training
    model.eval()
    merged = WordProbs([len(doc.words) for doc in docs])
    loss_sum = 0.0
    tokens = 0
    with torch.no_grad():
        for first in range(0, len(encoded), batch_size):
            rows = list(range(first, min(first + batch_size, len(encoded))))
            batch = to_device(backend.collate([encoded[i] for i in rows]))
            with autocast():
                logits = model(batch)
            target = batch["labels"]
            n = int((target != IGNORE_INDEX).sum())
            if n:
                loss_sum += float(loss_fn(logits, target)) * n
            tokens += n
            probs = logits.float().softmax(dim=-1).cpu()
            for row, i in enumerate(rows):
                doc, word_index, centrality = item_words(encoded[i], i)
                merged.add(doc, word_index, centrality, probs[row])
    model.train(was_training)
    decoder = BioDecoder(labels)
    tagged = [
        decode_document(doc_rows, decoder, labels, single_valued, doc, always_present)
        for doc_rows, doc in zip(merged.rows, docs, strict=True)
    ]
    return tagged, loss_sum, tokens


def evaluate(
    model: nn.Module,
    backend: Backend,
    encoded: Sequence[Any],
    docs: Sequence[Document],
    labels: Sequence[str],
    batch_size: int,
    to_device: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]],
    autocast: Callable[[], contextlib.AbstractContextManager[Any]],
    single_valued: Collection[str] = frozenset(),
    always_present: Collection[str] = frozenset(),
) -> EvalResult:
    """Entity and field scores over whole documents: every word of every validation document, one tag per
    word (a window merge for hf; the words of a compact document beyond max_seq_len count as "O")."""
    tagged, loss_sum, tokens = tag_documents(
        model,
        backend,
        encoded,
        docs,
        labels,
        batch_size,
        to_device,
        autocast,
        single_valued,
        always_present,
    )
    return score_tags(tagged, loss_sum, tokens, docs, labels)


def score_tags(
    tagged: Sequence[DocumentTags],
    loss_sum: float,
    tokens: int,
    docs: Sequence[Document],
    labels: Sequence[str],
) -> EvalResult:
    """Entity and field scores of `tag_documents`'s output against the documents' labels and fields."""
    gold = [list(d.labels) for d in docs]
    pred = [t.tags for t in tagged]
    gold_values, pred_values = document_fields(docs, tagged, labels)
    return EvalResult(
        loss=loss_sum / max(1, tokens),
        report=entity_report(gold, pred),
        fields=field_report(gold_values, pred_values),
    )


def document_fields(
    docs: Sequence[Document], tagged: Sequence[DocumentTags], labels: Sequence[str]
) -> tuple[list[dict[str, tuple[str, ...]]], list[dict[str, list[FieldValue]]]]:
    """Annotated and predicted values per document, its page records grouped by `Document.document` (in
    first-seen order). Annotated: the records' `fields` (the same on every page of a document), else the
    words of every labelled entity on any of its pages. Predicted: the values tagged on every page, most
    confident first (a single-valued field takes the most confident one); a field tagged on no page gets
    the likeliest span of the page where that span is most confident (fields.extract_fields), so a
    one-page document is scored exactly as extract_fields reads it."""
    groups: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        groups.setdefault(doc.document, []).append(i)
    gold: list[dict[str, tuple[str, ...]]] = []
    pred: list[dict[str, list[FieldValue]]] = []
    for members in groups.values():
        annotated: dict[str, tuple[str, ...]] = {}
        found: dict[str, list[FieldValue]] = {}
        fallback: dict[str, FieldValue] = {}
        for i in members:
            doc, page = docs[i], tagged[i]
            for key, values in gold_fields(doc.fields, doc.words, doc.labels).items():
                # Annotated fields repeat on every page; entity words (no `fields`) add up over the pages.
                annotated[key] = values if doc.fields else annotated.get(key, ()) + values
            tagged_here = extract_fields(doc.words, page.tags, page.confidences)
            for key, page_values in tagged_here.items():
                found.setdefault(key, []).extend(page_values)
            with_spans = extract_fields(doc.words, page.tags, page.confidences, page.probs, labels)
            for key, page_values in with_spans.items():
                best = fallback.get(key)
                if key not in tagged_here and (best is None or page_values[0].confidence > best.confidence):
                    fallback[key] = page_values[0]
        for key, value in fallback.items():
            found.setdefault(key, [value])
        for page_values in found.values():
            page_values.sort(key=lambda v: -v.confidence)
        gold.append(annotated)
        pred.append(found)
    return gold, pred


def _metric_name(key: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in key)


def metrics_entry(epoch: int, step: int, train_loss: float, result: EvalResult) -> dict[str, Any]:
    return {"epoch": epoch, "step": step, "train_loss": round(train_loss, 6), **score_entry(result)}


def score_entry(result: EvalResult) -> dict[str, Any]:
    """The validation scores of a history entry (metrics_entry less epoch, step and train_loss)."""
    m = result.report.micro
    f = result.fields
    return {
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


def _exact_metrics(per_field: Mapping[str, Mapping[str, Any]], prefix: str = "") -> str:
    return " ".join(
        f"{prefix}val_exact_{_metric_name(key)}={scores['exact']:.4f}" for key, scores in per_field.items()
    )


def metric_line(entry: dict[str, Any]) -> str:
    """The contract line for one history entry (see the module docstring)."""
    per_field = _exact_metrics(entry["val_per_field"])
    line = (
        f"[metric] epoch={entry['epoch']} step={entry['step']} train_loss={entry['train_loss']:.4f} "
        f"val_loss={entry['val_loss']:.4f} val_precision={entry['val_precision']:.4f} "
        f"val_recall={entry['val_recall']:.4f} val_f1={entry['val_f1']:.4f} "
        f"val_field_exact={entry['val_field_exact']:.4f} val_field_f1={entry['val_field_f1']:.4f}"
    )
    return f"{line} {per_field}" if per_field else line


# The scores of a champion entry (champion.py) its metric line names, `champion_<name>`, in this order.
CHAMPION_SCORES = ("val_f1", "val_precision", "val_recall", "val_field_exact")


def champion_metric_line(champion: Mapping[str, Any]) -> str:
    """The champion's line (see the module docstring): `champion_comparable=0` alone when it could not
    be scored."""
    if not champion["comparable"]:
        return "[metric] champion_comparable=0"
    scores = " ".join(f"champion_{key}={champion[key]:.4f}" for key in CHAMPION_SCORES)
    per_field = _exact_metrics(champion["val_per_field"], "champion_")
    line = f"[metric] champion_comparable=1 {scores}"
    return f"{line} {per_field}" if per_field else line
