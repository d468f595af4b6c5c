"""What the training loop needs from a model family; one implementation per backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from ..config import TrainConfig
from ..data import Document, Vocabulary

IGNORE_INDEX = -100
Batch = dict[str, torch.Tensor]


class Backend(Protocol):
    """A model family: everything the loop, the model writer and the loader ask of one, so that none of
    them asks which backend it holds. Batches always carry "labels" ([B, T], IGNORE_INDEX where no word
    label applies) and the model maps a batch to logits [B, T, num_labels], so the loop and loss stay
    backend-agnostic.

    `encode` returns items in document order. An item is either one whole document with one position per
    word (compact), or a window of a document (hf: subword tokens, long documents split with overlap);
    a windowed item carries `doc_index` (index into `encode`'s docs), `word_index` ([T] long: the word of
    the document whose first subtoken sits at that position, -1 elsewhere) and `centrality` ([T] float: how
    far that position is from the window's edges). `item_words` reads either kind, and `WordProbs` merges
    the windows' predictions back to one label per word."""

    name: str
    # The hyperparameters a checkpoint must have been written with for this backend to resume it (they
    # shape the model or its inputs); a difference is a user error naming the key.
    architecture_keys: tuple[str, ...]
    # The hyperparameters a champion must share with the job for a warm start from it (champion.py).
    warm_start_keys: tuple[str, ...]
    # What the model learns (tasks.py): token classification unless `for_task` said otherwise.
    task: str

    @classmethod
    def create(cls, config: TrainConfig, model_channel: Path | None, images_dir: Path | None) -> Backend:
        """The backend for a training job of `config`; `model_channel` and `images_dir` are the job's
        `model` and `images` channels (which may not exist)."""
        ...

    def for_task(self, task: str) -> Backend:
        """This backend for `task` (tasks.py): `build_model` then builds that task's model (classification:
        logits [B, num_classes] per page), and `save`/`load` keep the task in the artifact."""
        ...

    def encode(
        self,
        docs: Sequence[Document],
        vocab: Vocabulary,
        label_to_id: Mapping[str, int],
        max_seq_len: int,
    ) -> list[Any]: ...

    def collate(self, items: Sequence[Any]) -> Batch: ...

    def build_model(self, config: TrainConfig, vocab: Vocabulary, labels: Sequence[str]) -> nn.Module: ...

    def truncated(self, docs: Sequence[Document], max_seq_len: int) -> int:
        """How many of `docs` lose words to `max_seq_len` (compact keeps a document's first max_seq_len
        words; hf splits long documents into windows and loses none)."""
        ...

    def for_page(self, image: Any) -> Backend:
        """This backend for tagging one page whose image is `image` (a PIL image, a path, or None); a
        backend that reads no page image returns itself."""
        ...

    def for_images(self, images_dir: Path | None) -> Backend:
        """This backend reading each document's page image from `images_dir` (an `images` channel, by
        record id); a backend that reads no page image returns itself."""
        ...

    def warm_source(self) -> Path | None:
        """For a loaded artifact's backend: the pretrained-model directory a warm-started job of this
        backend takes as its model source (hf: the artifact's hf/), None when `warm_start` copies the
        weights instead (compact)."""
        ...

    def warm_start(self, model: nn.Module, champion: nn.Module) -> None:
        """Initialise the freshly built `model` from a champion's model of this backend, same labels and
        `warm_start_keys`, whose vocabulary ids this job's vocabulary extends (Vocabulary.extended).
        compact: every parameter copied, of the embedding tables the champion's rows; hf: nothing left to
        do (build_model loaded the champion's `warm_source`)."""
        ...

    def save(
        self, model: nn.Module, model_dir: Path, labels: Sequence[str], vocab: Vocabulary
    ) -> dict[str, Any]:
        """Write the trained model's weights (and whatever loading them needs) into `model_dir`; return the
        entries this backend adds to the artifact's config.json (read back by `load`)."""
        ...

    def serving_requirements(self) -> list[str]:
        """Packages the SageMaker inference container must pip-install to serve the artifact (written to
        code/requirements.txt); none when the container's torch suffices."""
        ...

    @classmethod
    def load(
        cls, model_dir: Path, saved: Mapping[str, Any], config: TrainConfig, labels: Sequence[str]
    ) -> tuple[Backend, nn.Module, Vocabulary]:
        """The backend, model (in eval mode) and vocabulary of an artifact written by `save`; `saved` is the
        artifact's config.json, `config` its hyperparameters."""
        ...


def item_words(item: Any, position: int) -> tuple[int, torch.Tensor, torch.Tensor]:
    """(document index, word index per position (-1: none), centrality per position) of an encoded item;
    `position` is the item's index in `encode`'s output (the document index of a whole-document item)."""
    word_index = getattr(item, "word_index", None)
    if word_index is None:  # a whole document, one position per word, in order (compact)
        n = int(item.labels.shape[0])
        return position, torch.arange(n), torch.zeros(n)
    return int(item.doc_index), word_index, item.centrality


class WordProbs:
    """Per word of each document, the label probabilities [L] merged from the windows covering it: each
    word takes the window where it sits most centrally (farthest from that window's edges, where the model
    sees the least context); ties go to the earlier window. So valid-BIO decoding and field extraction run
    over whole documents whatever the backend. None where no item covered the word (a compact document
    beyond max_seq_len)."""

    def __init__(self, word_counts: Sequence[int]) -> None:
        self.rows: list[list[torch.Tensor | None]] = [[None] * n for n in word_counts]
        self._score = [[float("-inf")] * n for n in word_counts]

    def add(self, doc: int, word_index: torch.Tensor, centrality: torch.Tensor, probs: torch.Tensor) -> None:
        """probs: [T, L] label probabilities of one item (positions beyond the item's length are ignored)."""
        rows, score = self.rows[doc], self._score[doc]
        for t, (w, c) in enumerate(zip(word_index.tolist(), centrality.tolist(), strict=True)):
            if w >= 0 and c > score[w]:
                score[w] = c
                rows[w] = probs[t]
