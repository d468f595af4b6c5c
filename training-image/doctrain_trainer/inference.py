"""Load a trained model directory and tag words; the counterpart of artifacts.write_model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .backends import Backend, WordVotes, get_backend, item_words
from .backends.hf import HFBackend
from .config import parse_hyperparameters
from .data import Document, Vocabulary

PREDICT_BATCH = 8  # windows of one document per forward pass


@dataclass
class LoadedModel:
    backend: Backend
    model: nn.Module
    labels: list[str]
    vocab: Vocabulary
    max_seq_len: int

    def predict(self, words: Sequence[str], bboxes: Sequence[Sequence[int]], image: Any = None) -> list[str]:
        """One BIO label per word. compact: the first max_seq_len words (as in training), the rest 'O';
        hf: long documents in overlapping windows merged back per word. `image`: the page (PIL image or
        path), needed by a LayoutLMv3 model trained with page images, ignored otherwise."""
        if not words:
            return []
        boxes = tuple((int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in bboxes)
        doc = Document("predict", tuple(words), boxes, ("O",) * len(words), "predict")
        backend: Backend = self.backend
        if isinstance(backend, HFBackend):
            backend = backend.for_page(image)
        encoded = backend.encode([doc], self.vocab, {"O": self.labels.index("O")}, self.max_seq_len)
        votes = WordVotes([len(words)])
        with torch.no_grad():
            for start in range(0, len(encoded), PREDICT_BATCH):
                chunk = encoded[start : start + PREDICT_BATCH]
                best = self.model(backend.collate(chunk)).argmax(dim=-1)
                for row, item in enumerate(chunk):
                    _, word_index, centrality = item_words(item, 0)
                    votes.add(0, word_index, centrality, best[row])
        return [self.labels[i] if i >= 0 else "O" for i in votes.labels[0]]


def load_model(model_dir: Path) -> LoadedModel:
    def read(name: str) -> Any:
        return json.loads((model_dir / name).read_text(encoding="utf-8"))

    config_json = read("config.json")
    config = parse_hyperparameters({k: str(v) for k, v in config_json["hyperparameters"].items()})
    labels = list(read("labels.json")["labels"])
    if config.backend == "hf":
        from .backends.hf import load_hf_artifact

        hf_backend, hf_model = load_hf_artifact(model_dir, config_json["hf"])
        return LoadedModel(hf_backend, hf_model, labels, Vocabulary((), ()), config.max_seq_len)
    vocab = Vocabulary.from_json(read("vocab.json"))
    backend = get_backend(config.backend)
    model = backend.build_model(config, vocab, len(labels))
    state = torch.load(model_dir / "model.pt", map_location="cpu")
    model.load_state_dict(state["state_dict"])
    model.eval()
    return LoadedModel(backend, model, labels, vocab, config.max_seq_len)
