"""Load a trained model directory and tag words; the counterpart of artifacts.write_model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .backends import IGNORE_INDEX, Backend, get_backend
from .config import parse_hyperparameters
from .data import Document, Vocabulary
from .decoding import BioDecoder


@dataclass
class Tagged:
    tags: list[str]
    confidences: list[float]
    probs: list[list[float]]  # [predicted words][labels]; shorter than tags when truncated


@dataclass
class LoadedModel:
    backend: Backend
    model: nn.Module
    labels: list[str]
    vocab: Vocabulary
    max_seq_len: int

    def tag(self, words: Sequence[str], bboxes: Sequence[Sequence[int]]) -> Tagged:
        """Valid-BIO labels (constrained Viterbi, as in validation), each label's probability and every
        label's probability per word, for the first max_seq_len words (as in training); the rest are 'O'
        with confidence 0."""
        if not words:
            return Tagged([], [], [])
        boxes = tuple((int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in bboxes)
        doc = Document("predict", tuple(words), boxes, ("O",) * len(words), "predict")
        encoded = self.backend.encode([doc], self.vocab, {"O": self.labels.index("O")}, self.max_seq_len)
        batch = self.backend.collate(encoded)
        with torch.no_grad():
            logits = self.model(batch)
        mask = batch["labels"] != IGNORE_INDEX
        ids = BioDecoder(self.labels).decode(logits, mask)[0]
        probs = logits[0][mask[0]].float().softmax(dim=-1)
        conf = [float(probs[i, j]) for i, j in enumerate(ids)]
        rest = len(words) - len(ids)
        return Tagged([self.labels[i] for i in ids] + ["O"] * rest, conf + [0.0] * rest, probs.tolist())

    def predict(self, words: Sequence[str], bboxes: Sequence[Sequence[int]]) -> list[str]:
        return self.tag(words, bboxes).tags


def load_model(model_dir: Path) -> LoadedModel:
    def read(name: str) -> Any:
        return json.loads((model_dir / name).read_text(encoding="utf-8"))

    config_json = read("config.json")
    config = parse_hyperparameters({k: str(v) for k, v in config_json["hyperparameters"].items()})
    labels = list(read("labels.json")["labels"])
    vocab = Vocabulary.from_json(read("vocab.json"))
    backend = get_backend(config.backend)
    model = backend.build_model(config, vocab, len(labels))
    state = torch.load(model_dir / "model.pt", map_location="cpu")
    model.load_state_dict(state["state_dict"])
    model.eval()
    return LoadedModel(backend, model, labels, vocab, config.max_seq_len)
