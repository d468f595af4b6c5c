"""Load a trained model directory and tag words; the counterpart of artifacts.write_model."""

from __future__ import annotations

import contextlib
import json
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from torch import nn

from .backends import Backend, backend_class
from .config import TrainConfig, parse_hyperparameters
from .data import Document, Vocabulary
from .errors import UserError
from .evaluation import DocumentTags, tag_documents

# One document's tags, confidences and per-label probabilities (see evaluation.DocumentTags).
Tagged = DocumentTags

PREDICT_BATCH = 8  # windows of one document per forward pass


@dataclass
class LoadedModel:
    backend: Backend
    model: nn.Module
    labels: list[str]
    vocab: Vocabulary
    config: TrainConfig  # the hyperparameters it was trained with (config.json)
    # Entity types kept to one entity per document (config.json "single_valued_types"; none for artifacts
    # written before it existed).
    single_valued: frozenset[str] = frozenset()
    # Entity types every document holds, given to their most probable word when decoding left them out
    # (config.json "always_present_types"; none for artifacts written before it existed).
    always_present: frozenset[str] = frozenset()

    @property
    def max_seq_len(self) -> int:
        return self.config.max_seq_len

    def tag(self, words: Sequence[str], bboxes: Sequence[Sequence[int]], image: Any = None) -> Tagged:
        """Valid-BIO labels (constrained Viterbi, as in validation), each label's probability and every
        label's probability per word. compact: the first max_seq_len words (as in training), the rest 'O'
        with confidence 0; hf: long documents in overlapping windows merged back per word. `image`: the
        page (PIL image or path), needed by a LayoutLMv3 model trained with page images, ignored
        otherwise."""
        if not words:
            return Tagged([], [], [])
        boxes = tuple((int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in bboxes)
        doc = Document("predict", tuple(words), boxes, ("O",) * len(words), "predict")
        backend = self.backend.for_page(image)
        label_to_id = {label: i for i, label in enumerate(self.labels)}
        encoded = backend.encode([doc], self.vocab, label_to_id, self.max_seq_len)
        tagged, _, _ = tag_documents(
            self.model,
            backend,
            encoded,
            [doc],
            self.labels,
            PREDICT_BATCH,
            lambda batch: batch,
            contextlib.nullcontext,
            self.single_valued,
            self.always_present,
        )
        return tagged[0]

    def predict(self, words: Sequence[str], bboxes: Sequence[Sequence[int]], image: Any = None) -> list[str]:
        """One valid-BIO label per word (see `tag`)."""
        return self.tag(words, bboxes, image).tags


def load_model(model_dir: Path) -> LoadedModel:
    def read(name: str) -> Any:
        return json.loads((model_dir / name).read_text(encoding="utf-8"))

    config_json = read("config.json")
    config = parse_hyperparameters({k: str(v) for k, v in config_json["hyperparameters"].items()})
    labels = list(read("labels.json")["labels"])
    single_valued = frozenset(config_json.get("single_valued_types", ()))
    always_present = frozenset(config_json.get("always_present_types", ()))
    backend, model, vocab = backend_class(config.backend).load(model_dir, config_json, config, labels)
    return LoadedModel(backend, model, labels, vocab, config, single_valued, always_present)


@contextlib.contextmanager
def model_directory(path: Path) -> Iterator[Path]:
    """A model directory as is, or a model.tar.gz (what SageMaker writes) unpacked to a temp dir."""
    if path.is_dir():
        yield path
        return
    if not path.is_file():
        raise UserError(f"model {path} not found (a model directory or a model.tar.gz)")
    with tempfile.TemporaryDirectory(prefix="doctrain-model-") as tmp:
        with tarfile.open(path, "r:*") as archive:
            safe_extract(archive, Path(tmp))
        yield Path(tmp)


def safe_extract(archive: tarfile.TarFile, dest: Path) -> None:
    """Extract regular files and folders only, never outside `dest`: a member with an absolute name, a
    `..` segment, or of another kind (link, device) rejects the whole archive (a UserError naming it)
    before anything is written; tarfile's "data" filter then guards the extraction itself."""
    root = dest.resolve()
    for member in archive.getmembers():
        name = PurePosixPath(member.name)
        target = (dest / member.name).resolve()
        if (
            name.is_absolute()
            or ".." in name.parts
            or not (member.isfile() or member.isdir())
            or not target.is_relative_to(root)
        ):
            raise UserError(f"model archive member {member.name!r} is not a plain file inside the archive")
    archive.extractall(dest, filter="data")
