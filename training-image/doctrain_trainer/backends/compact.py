"""Compact backend: the small layout-aware Transformer (compact_model.py) over hand-built per-word inputs
(compact_features.py), one position per word; a document's words beyond max_seq_len are not seen.

Inputs per word: normalised word id, character n-grams, shape id, a few binary cues, its text line, how
the amount it prints compares with the page's others, how plainly a word before it names each field
(field_names.py), whether it is part of a date printed over several words, reading-order position, and
the box as bucketed coordinate embeddings (LayoutLM style) plus continuous page- and document-relative
coordinates. The artifact: `model.pt` (state dict, loadable with weights_only=True) and `vocab.json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .. import SCHEMA_VERSION, __version__
from ..config import ARCHITECTURE_KEYS, TrainConfig
from ..data import Document, Vocabulary
from ..errors import UserError
from ..field_names import name_grades
from ..tasks import CLASSIFICATION, TOKEN_CLASSIFICATION
from .base import IGNORE_INDEX, Backend, Batch
from .compact_features import (
    MAX_NGRAMS,
    NUM_AMOUNT_FEATURES,
    NUM_BOX_FEATURES,
    NUM_DATE_FEATURES,
    NUM_FLAG_FEATURES,
    NUM_LINE_FEATURES,
    amount_features,
    box_rows,
    char_ngrams,
    date_features,
    entity_types,
    line_features,
    word_flags,
)
from .compact_model import CompactLayoutEncoder, CompactPageClassifier

WEIGHTS_FILE = "model.pt"
VOCAB_FILE = "vocab.json"


@dataclass(frozen=True)
class EncodedDoc:
    input_ids: torch.Tensor  # [T] long
    shape_ids: torch.Tensor  # [T] long
    flags: torch.Tensor  # [T, NUM_FLAG_FEATURES] float
    buckets: torch.Tensor  # [T, 6] long: x0, y0, x1, y1, width, height
    box_features: torch.Tensor  # [T, NUM_BOX_FEATURES] float
    ngram_ids: torch.Tensor  # [T, MAX_NGRAMS] long, 0 = padding
    line_features: torch.Tensor  # [T, NUM_LINE_FEATURES] float
    amount_features: torch.Tensor  # [T, NUM_AMOUNT_FEATURES] float
    name_features: torch.Tensor  # [T, entity types] float: field_names.name_grades
    date_features: torch.Tensor  # [T, NUM_DATE_FEATURES] float
    labels: torch.Tensor  # [T] long


class CompactBackend:
    name = "compact"
    architecture_keys: tuple[str, ...] = ARCHITECTURE_KEYS
    warm_start_keys: tuple[str, ...] = ARCHITECTURE_KEYS  # the champion's layers, as they are

    def __init__(self, task: str = TOKEN_CLASSIFICATION) -> None:
        self.task = task

    @classmethod
    def create(cls, config: TrainConfig, model_channel: Path | None, images_dir: Path | None) -> Backend:
        return cls()  # no pretrained model, no page images

    def for_task(self, task: str) -> Backend:
        return CompactBackend(task)

    def encode(
        self,
        docs: Sequence[Document],
        vocab: Vocabulary,
        label_to_id: Mapping[str, int],
        max_seq_len: int,
    ) -> list[Any]:
        out: list[Any] = []
        types = entity_types(sorted(label_to_id, key=lambda label: label_to_id[label]))
        for doc in docs:
            n = min(len(doc.words), max_seq_len)
            words = doc.words[:n]
            boxes = doc.bboxes[:n]
            buckets, feats = box_rows(boxes)
            out.append(
                EncodedDoc(
                    input_ids=torch.tensor([vocab.word_id(w) for w in words], dtype=torch.long),
                    shape_ids=torch.tensor([vocab.shape_id(w) for w in words], dtype=torch.long),
                    flags=torch.tensor([word_flags(w) for w in words], dtype=torch.float32),
                    buckets=torch.tensor(buckets, dtype=torch.long),
                    box_features=torch.tensor(feats, dtype=torch.float32),
                    ngram_ids=torch.tensor(
                        [(ids := char_ngrams(w)) + [0] * (MAX_NGRAMS - len(ids)) for w in words],
                        dtype=torch.long,
                    ),
                    line_features=torch.tensor(line_features(boxes), dtype=torch.float32),
                    amount_features=torch.tensor(amount_features(words), dtype=torch.float32),
                    name_features=torch.tensor(name_grades(words, boxes, types), dtype=torch.float32).view(
                        n, len(types)
                    ),
                    date_features=torch.tensor(date_features(words), dtype=torch.float32),
                    labels=torch.tensor([label_to_id[lab] for lab in doc.labels[:n]], dtype=torch.long),
                )
            )
        return out

    def collate(self, items: Sequence[Any]) -> Batch:
        # Pad to the longest document in the batch (never beyond max_seq_len, applied in encode).
        length = max(int(item.input_ids.shape[0]) for item in items)
        bsz = len(items)
        batch: Batch = {
            "input_ids": torch.zeros(bsz, length, dtype=torch.long),
            "shape_ids": torch.zeros(bsz, length, dtype=torch.long),
            "flags": torch.zeros(bsz, length, NUM_FLAG_FEATURES),
            "buckets": torch.zeros(bsz, length, 6, dtype=torch.long),
            "box_features": torch.zeros(bsz, length, NUM_BOX_FEATURES),
            "ngram_ids": torch.zeros(bsz, length, MAX_NGRAMS, dtype=torch.long),
            "line_features": torch.zeros(bsz, length, NUM_LINE_FEATURES),
            "amount_features": torch.zeros(bsz, length, NUM_AMOUNT_FEATURES),
            "name_features": torch.zeros(bsz, length, int(items[0].name_features.shape[1])),
            "date_features": torch.zeros(bsz, length, NUM_DATE_FEATURES),
            "labels": torch.full((bsz, length), IGNORE_INDEX, dtype=torch.long),
            "mask": torch.zeros(bsz, length, dtype=torch.bool),
        }
        for i, item in enumerate(items):
            n = int(item.input_ids.shape[0])
            batch["input_ids"][i, :n] = item.input_ids
            batch["shape_ids"][i, :n] = item.shape_ids
            batch["flags"][i, :n] = item.flags
            batch["buckets"][i, :n] = item.buckets
            batch["box_features"][i, :n] = item.box_features
            batch["ngram_ids"][i, :n] = item.ngram_ids
            batch["line_features"][i, :n] = item.line_features
            batch["amount_features"][i, :n] = item.amount_features
            batch["name_features"][i, :n] = item.name_features
            batch["date_features"][i, :n] = item.date_features
            batch["labels"][i, :n] = item.labels
            batch["mask"][i, :n] = True
        return batch

    def build_model(self, config: TrainConfig, vocab: Vocabulary, labels: Sequence[str]) -> nn.Module:
        # A page classifier pools the same encoder's words (labels: the class list; no field names).
        classify = self.task == CLASSIFICATION
        return (CompactPageClassifier if classify else CompactLayoutEncoder)(
            vocab_size=len(vocab.words),
            shape_vocab_size=len(vocab.shapes),
            num_labels=len(labels),
            num_entity_types=0 if classify else len(entity_types(labels)),
            hidden_size=config.hidden_size,
            num_layers=config.num_layers,
            num_heads=config.num_heads,
            dropout=config.dropout,
            max_seq_len=config.max_seq_len,
        )

    def truncated(self, docs: Sequence[Document], max_seq_len: int) -> int:
        return sum(len(d.words) > max_seq_len for d in docs)

    def for_page(self, image: Any) -> Backend:
        return self  # reads no page image

    def for_images(self, images_dir: Path | None) -> Backend:
        return self

    def warm_source(self) -> Path | None:
        return None  # weights are copied by warm_start

    def warm_start(self, model: nn.Module, champion: nn.Module) -> None:
        """Copy every parameter of `champion`; a table the extended vocabulary made longer (word, shape
        embeddings) gets the champion's rows, its new rows keep their fresh init."""
        target = model.state_dict()  # shares storage with the model's parameters
        with torch.no_grad():
            for name, value in champion.state_dict().items():
                mine = target[name]
                if value.shape == mine.shape:
                    mine.copy_(value)
                elif value.dim() and value.shape[1:] == mine.shape[1:] and value.shape[0] < mine.shape[0]:
                    mine[: value.shape[0]].copy_(value)
                else:
                    raise ValueError(
                        f"champion parameter {name} {tuple(value.shape)} does not fit {tuple(mine.shape)}"
                    )

    def save(
        self, model: nn.Module, model_dir: Path, labels: Sequence[str], vocab: Vocabulary
    ) -> dict[str, Any]:
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        # Plain tensors and builtins only, so torch.load(..., weights_only=True) can read it.
        torch.save(
            {
                "schemaVersion": SCHEMA_VERSION,
                "backend": self.name,
                "num_labels": len(labels),
                "state_dict": state,
            },
            model_dir / WEIGHTS_FILE,
        )
        (model_dir / VOCAB_FILE).write_text(json.dumps(vocab.to_json(), indent=2) + "\n", encoding="utf-8")
        return {} if self.task == TOKEN_CLASSIFICATION else {"task": self.task}

    def serving_requirements(self) -> list[str]:
        return []  # the inference container's torch is all it needs

    @classmethod
    def load(
        cls, model_dir: Path, saved: Mapping[str, Any], config: TrainConfig, labels: Sequence[str]
    ) -> tuple[Backend, nn.Module, Vocabulary]:
        vocab = Vocabulary.from_json(json.loads((model_dir / VOCAB_FILE).read_text(encoding="utf-8")))
        backend = cls(str(saved.get("task", TOKEN_CLASSIFICATION)))
        model = backend.build_model(config, vocab, labels)
        state = torch.load(model_dir / WEIGHTS_FILE, map_location="cpu")
        try:
            model.load_state_dict(state["state_dict"])
        except RuntimeError as exc:
            written_by = saved.get("trainer_version", "an unknown version")
            raise UserError(
                f"the model in {model_dir} was written by trainer {written_by}, whose compact model has "
                f"other layers than this trainer's ({__version__}): retrain it with this trainer, or predict "
                f"with trainer {written_by} ({str(exc).splitlines()[0]})"
            ) from exc
        model.eval()
        return backend, model, vocab
