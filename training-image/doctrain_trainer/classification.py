"""Task `classification` (tasks.py): one class per document, learnt from its pages.

The dataset: labels.json `{"schemaVersion": 1, "task": "classification", "labels": ["invoice", ...]}` (the
class list, index = class id) and one record per page with its document's `class` (CONTRACTS.md §3).

- Model: the backend's encoder with a sequence head (`Backend.for_task`): compact pools its words
  (compact_model.CompactPageClassifier); hf is transformers' LayoutLMv3ForSequenceClassification /
  LayoutLMForSequenceClassification over the page's first window of max_seq_len tokens (a longer page
  is counted in `truncated`).
- Training: every page is an example labelled with its document's class.
- A multi-page document is classified **pooled**: the mean of its pages' class probabilities, argmax.
  Pooling rather than the first page because the first page of a scanned document is often the one that
  says least (a fax or e-mail cover sheet, a letter in front of the invoice it sends); every page votes
  with its confidence, and a one-page document is its page. Validation scores documents, not pages.

The metric line (one per evaluation, stdout):
  [metric] epoch=3 step=120 train_loss=0.2134 val_loss=0.3011 val_accuracy=0.9000 val_macro_f1=0.8950
  val_precision_invoice=0.9500 val_recall_invoice=0.9000 val_precision_receipt=... val_recall_receipt=...
(`<class>` named as evaluation._metric_name names a field). The training job's MetricDefinitions are
derived from the class list by src/contracts/metric-line.ts (metricDefinitionsForClasses).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .backends import IGNORE_INDEX, Backend, Batch, item_words
from .champion import Champion
from .class_metrics import ClassReport, class_report
from .data import OUTSIDE, Document, Vocabulary, load_records, parse_record, read_label_file
from .errors import UserError
from .evaluation import _metric_name, loss_fn
from .log import log
from .tasks import CLASSIFICATION, TASKS, TOKEN_CLASSIFICATION

SCORE_KEY = "val_macro_f1"  # the history entry's key the best model is chosen by


# ---------------------------------------------------------------------------------------------- dataset


def dataset_task(labels_channel: Path) -> str:
    """The task labels.json names (absent: token classification, as every dataset before tasks)."""
    found = read_label_file(labels_channel)
    task = found[1].get("task", TOKEN_CLASSIFICATION) if found and isinstance(found[1], dict) else None
    if task is None:
        return TOKEN_CLASSIFICATION
    if task not in TASKS:
        raise UserError(f"labels.json names task {task!r}; use one of: {', '.join(TASKS)}")
    return str(task)


def load_class_file(labels_channel: Path) -> list[str]:
    """The class list of a classification dataset's labels.json: at least two distinct class names."""
    found = read_label_file(labels_channel)
    if found is None:
        raise UserError("a classification job needs the labels channel (labels.json with the class list)")
    path, obj = found
    classes = obj.get("labels") if isinstance(obj, dict) else None
    if not isinstance(classes, list) or not all(isinstance(c, str) and c for c in classes):
        raise UserError(
            f'labels channel file {path.name} must be {{"task": "classification", "labels": [...]}}'
        )
    if len(set(classes)) != len(classes):
        raise UserError(f"labels channel file {path.name} lists a class twice")
    if len(classes) < 2:
        raise UserError(
            f"labels channel file {path.name} lists {len(classes)} class(es); a classifier needs two"
        )
    return list(classes)


def parse_page(line: str, where: str, classes: Sequence[str]) -> Document:
    """One page record of a classification dataset: its words and boxes as a token record has them
    (data.parse_record), every word "O", and its `class`, one of `classes`."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(f"bad dataset line {where}: not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise UserError(f"bad dataset line {where}: expected a JSON object per line")
    name = obj.get("class")
    if not isinstance(name, str) or name not in classes:
        raise UserError(
            f"bad dataset line {where}: class {name!r} is not in labels.json's classes ({', '.join(classes)})"
        )
    words = obj.get("words")
    page = parse_record(
        {**obj, "labels": [OUTSIDE] * (len(words) if isinstance(words, list) else 0)}, where, None
    )
    return Document(
        id=page.id,
        words=page.words,
        bboxes=page.bboxes,
        labels=page.labels,
        source=page.source,
        document_id=page.document_id,
        doc_class=name,
    )


def load_pages(channel_dir: Path, channel: str, classes: Sequence[str]) -> list[Document]:
    return load_records(channel_dir, channel, lambda line, where: parse_page(line, where, classes))


# --------------------------------------------------------------------------------------------- encoding


@dataclass(frozen=True)
class PageItem:
    item: Any  # the backend's encoded page (hf: its first window)
    label: int  # class id; IGNORE_INDEX for a page of no known class (prediction)
    windows: int  # items the backend made of the page (> 1: the classifier saw its first only)


class PageClassifier:
    """A backend (`Backend.for_task(classification)`) seen by the training loop as a page classifier:
    `encode` makes one item per page labelled with its document's class (label_to_id: class -> id) and
    `collate` batches them with labels [B]; the model maps a batch to class logits [B, C]. Everything
    else is the backend's."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner.for_task(CLASSIFICATION)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode(
        self, docs: Sequence[Document], vocab: Vocabulary, label_to_id: Mapping[str, int], max_seq_len: int
    ) -> list[PageItem]:
        items = self.inner.encode(docs, vocab, {OUTSIDE: IGNORE_INDEX}, max_seq_len)
        first: dict[int, Any] = {}
        windows = [0] * len(docs)
        for position, item in enumerate(items):
            page, _, _ = item_words(item, position)
            first.setdefault(page, item)
            windows[page] += 1
        return [
            PageItem(first[i], label_to_id.get(doc.doc_class, IGNORE_INDEX), windows[i])
            for i, doc in enumerate(docs)
        ]

    def collate(self, items: Sequence[PageItem]) -> Batch:
        batch = self.inner.collate([p.item for p in items])
        batch["labels"] = torch.tensor([p.label for p in items], dtype=torch.long)
        return batch

    def truncated(self, docs: Sequence[Document], max_seq_len: int) -> int:
        """Pages the classifier sees part of: beyond max_seq_len words (compact) or tokens (hf)."""
        windows = [p.windows for p in self.encode(docs, Vocabulary((), ()), {}, max_seq_len)]
        return self.inner.truncated(docs, max_seq_len) + sum(n > 1 for n in windows)


# ------------------------------------------------------------------------------------------- evaluation


@dataclass
class ClassEvalResult:
    loss: float  # mean cross-entropy per page
    report: ClassReport  # per document (pooled pages)


def page_probabilities(
    model: nn.Module,
    backend: Any,
    encoded: Sequence[PageItem],
    batch_size: int,
    to_device: Callable[[Batch], Batch],
    autocast: Callable[[], contextlib.AbstractContextManager[Any]],
) -> tuple[torch.Tensor, float, int]:
    """Class probabilities [pages, C] of encoded pages, the summed loss over labelled pages, their count."""
    was_training = model.training
    model.eval()
    rows: list[torch.Tensor] = []
    loss_sum, labelled = 0.0, 0
    with torch.no_grad():
        for first in range(0, len(encoded), batch_size):
            batch = to_device(backend.collate(encoded[first : first + batch_size]))
            with autocast():
                logits = model(batch)
            n = int((batch["labels"] != IGNORE_INDEX).sum())
            if n:
                loss_sum += float(loss_fn(logits, batch["labels"])) * n
            labelled += n
            rows.append(logits.float().softmax(dim=-1).cpu())
    model.train(was_training)
    return torch.cat(rows), loss_sum, labelled


def pool_documents(docs: Sequence[Document], probs: torch.Tensor) -> list[tuple[str, str, torch.Tensor]]:
    """(document id, its class, mean class probabilities of its pages) per document, in first-seen order."""
    groups: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        groups.setdefault(doc.document, []).append(i)
    return [(key, docs[pages[0]].doc_class, probs[pages].mean(dim=0)) for key, pages in groups.items()]


def evaluate_classes(
    model: nn.Module,
    backend: Any,
    encoded: Sequence[PageItem],
    docs: Sequence[Document],
    labels: Sequence[str],
    batch_size: int,
    to_device: Callable[[Batch], Batch],
    autocast: Callable[[], contextlib.AbstractContextManager[Any]],
    single_valued: Any = None,
    always_present: Any = None,
) -> ClassEvalResult:
    """Scores per document (pages pooled, see the module docstring); the signature of evaluation.evaluate."""
    probs, loss_sum, labelled = page_probabilities(model, backend, encoded, batch_size, to_device, autocast)
    pooled = pool_documents(docs, probs)
    gold = [labels.index(name) for _, name, _ in pooled]
    pred = [int(p.argmax()) for _, _, p in pooled]
    return ClassEvalResult(loss_sum / max(1, labelled), class_report(gold, pred, labels))


def class_metrics_entry(epoch: int, step: int, train_loss: float, result: ClassEvalResult) -> dict[str, Any]:
    r = result.report
    return {
        "epoch": epoch,
        "step": step,
        "train_loss": round(train_loss, 6),
        "val_loss": round(result.loss, 6),
        "val_accuracy": round(r.accuracy, 6),
        "val_macro_f1": round(r.macro_f1, 6),
        "val_documents": r.documents,
        "val_per_class": {
            name: {
                "precision": round(s.precision, 6),
                "recall": round(s.recall, 6),
                "f1": round(s.f1, 6),
                "support": s.support,
            }
            for name, s in r.per_class.items()
        },
    }


def class_metric_line(entry: Mapping[str, Any]) -> str:
    """The contract line for one history entry (see the module docstring)."""
    per_class = " ".join(
        f"val_precision_{_metric_name(name)}={s['precision']:.4f} "
        f"val_recall_{_metric_name(name)}={s['recall']:.4f}"
        for name, s in entry["val_per_class"].items()
    )
    return (
        f"[metric] epoch={entry['epoch']} step={entry['step']} train_loss={entry['train_loss']:.4f} "
        f"val_loss={entry['val_loss']:.4f} val_accuracy={entry['val_accuracy']:.4f} "
        f"val_macro_f1={entry['val_macro_f1']:.4f} {per_class}"
    )


# ------------------------------------------------------------------------------------------- prediction


def classify_pages(
    backend: Backend,
    model: nn.Module,
    classes: Sequence[str],
    vocab: Vocabulary,
    max_seq_len: int,
    pages: Sequence[tuple[Sequence[str], Sequence[Sequence[int]]]],
) -> dict[str, Any]:
    """One document's class from its pages' (words, boxes), pooled as in validation: `{"class": ...,
    "confidence": ..., "scores": {class: probability}, "pages": n}`. Pages without words are left out."""
    docs = [
        Document(
            f"page-{i + 1}",
            tuple(words),
            tuple((b[0], b[1], b[2], b[3]) for b in boxes),
            (OUTSIDE,) * len(words),
            "predict",
        )
        for i, (words, boxes) in enumerate(pages)
        if words
    ]
    if not docs:
        raise UserError("the document has no words on any page: nothing to classify")
    classifier = PageClassifier(backend)
    encoded = classifier.encode(docs, vocab, {}, max_seq_len)
    probs, _, _ = page_probabilities(model, classifier, encoded, 8, lambda b: b, contextlib.nullcontext)
    mean = probs.mean(dim=0)
    best = int(mean.argmax())
    return {
        "class": classes[best],
        "confidence": round(float(mean[best]), 4),
        "scores": {name: round(float(p), 4) for name, p in zip(classes, mean.tolist(), strict=True)},
        "pages": len(docs),
    }


# --------------------------------------------------------------------------------------------- champion


def class_champion_not_comparable(reason: str) -> dict[str, Any]:
    log(f"champion not comparable: {reason}")
    return {
        "comparable": False,
        "reason": reason,
        "val_macro_f1": None,
        "val_accuracy": None,
        "val_per_class": None,
    }


def score_class_champion(
    champion: Champion,
    docs: Sequence[Document],
    classes: Sequence[str],
    batch_size: int,
    device: torch.device,
    to_device: Callable[[Batch], Batch],
    autocast: Callable[[], contextlib.AbstractContextManager[Any]],
) -> dict[str, Any]:
    """metrics.json's `champion` for a classifier: the champion classifier scored on this job's validation
    pages (its own vocabulary and max_seq_len), documents pooled as for the challenger; `comparable` false
    and the reason when it is no classifier of the same classes or cannot be scored."""
    if champion.model is None:
        return class_champion_not_comparable(str(champion.reason))
    loaded = champion.model
    if loaded.backend.task != CLASSIFICATION:
        return class_champion_not_comparable(
            "the champion is a token classifier, this job trains a classifier"
        )
    if set(loaded.labels) != set(classes):
        return class_champion_not_comparable(
            f"the champion's classes ({', '.join(loaded.labels)}) are not this job's ({', '.join(classes)})"
        )
    try:
        classifier = PageClassifier(loaded.backend)
        label_to_id = {name: i for i, name in enumerate(loaded.labels)}
        encoded = classifier.encode(docs, loaded.vocab, label_to_id, loaded.max_seq_len)
        model = loaded.model.to(device)
        result = evaluate_classes(
            model, classifier, encoded, docs, loaded.labels, batch_size, to_device, autocast
        )
    except Exception as exc:  # as champion.score_champion: the champion's failure is not the job's
        return class_champion_not_comparable(f"the champion cannot be scored: {type(exc).__name__}: {exc}")
    entry = class_metrics_entry(0, 0, 0.0, result)
    return {
        "comparable": True,
        "reason": None,
        **{k: entry[k] for k in ("val_macro_f1", "val_accuracy", "val_per_class")},
    }


def class_champion_metric_line(champion: Mapping[str, Any]) -> str:
    """`[metric] champion_comparable=1 champion_val_macro_f1=... champion_val_accuracy=...
    champion_val_recall_<class>=...`, or `champion_comparable=0` alone."""
    if not champion["comparable"]:
        return "[metric] champion_comparable=0"
    recalls = " ".join(
        f"champion_val_recall_{_metric_name(name)}={s['recall']:.4f}"
        for name, s in champion["val_per_class"].items()
    )
    return (
        f"[metric] champion_comparable=1 champion_val_macro_f1={champion['val_macro_f1']:.4f} "
        f"champion_val_accuracy={champion['val_accuracy']:.4f} {recalls}"
    )
