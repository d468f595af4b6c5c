"""What the training loop needs from a model family; one implementation per backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import torch
from torch import nn

from ..config import TrainConfig
from ..data import Document, Vocabulary

IGNORE_INDEX = -100
Batch = dict[str, torch.Tensor]


class Backend(Protocol):
    """A model family. Batches always carry "labels" ([B, T], IGNORE_INDEX where no word label applies)
    and the model maps a batch to logits [B, T, num_labels], one position per labelled word, so the loop,
    loss and word-level metrics stay backend-agnostic."""

    name: str

    def encode(
        self,
        docs: Sequence[Document],
        vocab: Vocabulary,
        label_to_id: Mapping[str, int],
        max_seq_len: int,
    ) -> list[Any]: ...

    def collate(self, items: Sequence[Any]) -> Batch: ...

    def build_model(self, config: TrainConfig, vocab: Vocabulary, num_labels: int) -> nn.Module: ...
