"""hf backend: fine-tunes a pretrained transformers LayoutLM (v1) or LayoutLMv3 for token classification.

- Model source, first match wins: the `model` input channel (a directory saved with `save_pretrained`, or
  one `*.tar.gz` of it; for network-isolated jobs), else hyperparameter `model_id`: an absolute local
  directory or a hub id (`microsoft/layoutlmv3-base`, downloaded by the job). The architecture comes from
  the model's config.json (`model_type` layoutlm or layoutlmv3).
- Tokenisation: the model's fast tokenizer splits each word into subtokens (`word_ids()`); the first
  subtoken of a word carries its label, the others IGNORE_INDEX; every subtoken gets its word's box
  (0..1000). A word that yields no subtoken at all is fed as the unknown token, so every word is predicted.
- Long documents: the subtoken sequence is cut into windows of max_seq_len - 2 tokens (plus CLS/SEP) that
  overlap by WINDOW_OVERLAP tokens; training sees every window; prediction merges them back to one label
  per word, each word taking the window where it is most central (base.WordProbs).
- LayoutLMv3 page images: from the `images` channel, `<record id>.png|.jpg|.jpeg` (the record id of the
  dataset line), resized and normalised by LayoutLMv3ImageProcessor(apply_ocr=False). Without an images
  channel LayoutLMv3 trains on text and layout only (and the artifact says so, so prediction does the same).
"""

from __future__ import annotations

import copy
import json
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..config import ARCHITECTURE_KEYS, TrainConfig
from ..data import Document, Vocabulary
from ..errors import UserError
from ..log import log
from ..tasks import CLASSIFICATION, TOKEN_CLASSIFICATION
from .base import IGNORE_INDEX, Backend, Batch

ARCHITECTURES = ("layoutlm", "layoutlmv3")
WINDOW_OVERLAP = 128  # tokens shared by consecutive windows (capped at half a window)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
ARTIFACT_SUBDIR = "hf"
# Besides the shared architecture keys: the pretrained model a checkpoint was fine-tuned from.
HF_ARCHITECTURE_KEYS = ("model_id",)
_V1_SEP_BOX = (1000, 1000, 1000, 1000)  # LayoutLM (v1) fine-tuning convention; v3 uses zeros for both
_ZERO_BOX = (0, 0, 0, 0)

ImageLookup = Callable[[str], Any]  # record id -> PIL image or path, None when there is none


@dataclass(frozen=True)
class Window:
    doc_index: int
    input_ids: torch.Tensor  # [T] long, CLS ... SEP
    bbox: torch.Tensor  # [T, 4] long
    labels: torch.Tensor  # [T] long, IGNORE_INDEX except first subtokens
    word_index: torch.Tensor  # [T] long, -1 except first subtokens
    centrality: torch.Tensor  # [T] float
    pixel_values: torch.Tensor | None  # [3, H, W] float16, shared by the windows of one page


def _load_errors() -> tuple[type[BaseException], ...]:
    return (OSError, ValueError, KeyError, json.JSONDecodeError)


def find_pretrained_dir(channel: Path) -> Path:
    """The directory holding config.json inside a `model` channel: the channel itself, a folder below it,
    or a single *.tar.gz (extracted once to a temp dir)."""
    if (channel / "config.json").is_file():
        return channel
    tarballs = sorted(channel.rglob("*.tar.gz"))
    if tarballs:
        target = Path(tempfile.mkdtemp(prefix="doctrain-model-"))
        with tarfile.open(tarballs[0]) as tar:
            tar.extractall(target, filter="data")
        channel = target
    configs = sorted(channel.rglob("config.json"), key=lambda p: (len(p.parts), str(p)))
    if not configs:
        raise UserError(
            f"the model channel ({channel}) holds no config.json: upload a directory written by "
            "save_pretrained (model + tokenizer), or its .tar.gz"
        )
    return configs[0].parent


def resolve_model_source(config: TrainConfig, model_channel: Path | None) -> str:
    if model_channel is not None and model_channel.exists():
        return str(find_pretrained_dir(model_channel))
    if config.model_id.startswith("/") and not Path(config.model_id).is_dir():
        raise UserError(f"hyperparameter model_id={config.model_id} is not a directory")
    return config.model_id


def _image_lookup(images_dir: Path | None) -> ImageLookup | None:
    if images_dir is None or not images_dir.is_dir():
        return None
    root = images_dir.resolve()

    def lookup(record_id: str) -> Path | None:
        for suffix in IMAGE_SUFFIXES:
            path = (root / f"{record_id}{suffix}").resolve()
            if path.is_relative_to(root) and path.is_file():
                return path
        return None

    return lookup


# A blank page's size before the image processor resizes it (any size gives the same blank input).
BLANK_PAGE_SIZE = (224, 224)


class HFTokenClassifier(nn.Module):
    """Maps a doctrain batch to logits [B, T, num_labels] with a transformers token classifier inside (or
    [B, num_classes] with a sequence classifier inside, for task classification)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Batch) -> torch.Tensor:
        kwargs: dict[str, torch.Tensor] = {
            "input_ids": batch["input_ids"],
            "bbox": batch["bbox"],
            "attention_mask": batch["attention_mask"],
        }
        if "pixel_values" in batch:
            kwargs["pixel_values"] = batch["pixel_values"]
        logits: torch.Tensor = self.model(**kwargs).logits  # LayoutLMv3 drops the visual tokens itself
        return logits


class HFBackend:
    name = "hf"
    architecture_keys: tuple[str, ...] = ARCHITECTURE_KEYS + HF_ARCHITECTURE_KEYS
    # The champion's hf/ is the model source, whatever its model_id, hidden_size or max_seq_len.
    warm_start_keys: tuple[str, ...] = ("backend",)

    @classmethod
    def create(cls, config: TrainConfig, model_channel: Path | None, images_dir: Path | None) -> Backend:
        try:
            import transformers  # noqa: F401
        except ImportError:
            raise UserError(
                "backend hf needs the transformers package (installed in the training image); "
                "run the training image or set hyperparameter backend=compact"
            ) from None
        return cls(resolve_model_source(config, model_channel), _image_lookup(images_dir))

    def __init__(self, source: str, images: ImageLookup | None, use_images: bool | None = None) -> None:
        """source: a local directory or hub id. images: where page images come from (None: no images
        channel). use_images: force text-only (False) or image input (True); default: images given."""
        from transformers import AutoConfig, AutoTokenizer

        self.source = source
        self.task = TOKEN_CLASSIFICATION  # for_task: classification heads instead
        try:
            self.hf_config = AutoConfig.from_pretrained(source)
            self.tokenizer: Any = AutoTokenizer.from_pretrained(source)  # type: ignore[no-untyped-call]
        except _load_errors() as exc:
            raise UserError(
                f"could not load pretrained model {source!r}: {exc}. On a job without internet access pass "
                "the model as a `model` input channel (a save_pretrained directory)"
            ) from None
        self.architecture = str(getattr(self.hf_config, "model_type", ""))
        if self.architecture not in ARCHITECTURES:
            raise UserError(
                f"pretrained model {source!r} is a {self.architecture or 'unknown'} model; backend hf "
                f"supports {', '.join(ARCHITECTURES)}"
            )
        if not getattr(self.tokenizer, "is_fast", False):
            raise UserError(f"pretrained model {source!r} has no fast tokenizer (tokenizer.json) to load")
        self.images = images if self.architecture == "layoutlmv3" else None
        self.use_images = (self.images is not None) if use_images is None else use_images
        self.image_processor: Any = None
        if self.architecture == "layoutlmv3":
            self.image_processor = self._load_image_processor()

    def _load_image_processor(self) -> Any:
        from transformers import LayoutLMv3ImageProcessor

        try:
            return LayoutLMv3ImageProcessor.from_pretrained(self.source, apply_ocr=False)
        except _load_errors():
            side = int(getattr(self.hf_config, "input_size", 224))
            return LayoutLMv3ImageProcessor(apply_ocr=False, size={"height": side, "width": side})

    # ------------------------------------------------------------------------------------- encoding

    def _word_tokens(self, words: Sequence[str]) -> list[list[int]]:
        tok = self.tokenizer
        if self.architecture == "layoutlmv3":
            enc = tok(list(words), boxes=[list(_ZERO_BOX)] * len(words), add_special_tokens=False)
        else:
            enc = tok(list(words), is_split_into_words=True, add_special_tokens=False)
        per_word: list[list[int]] = [[] for _ in words]
        for token_id, word in zip(enc["input_ids"], enc.word_ids(), strict=True):
            if word is not None:
                per_word[word].append(int(token_id))
        unk = int(tok.unk_token_id)
        return [ids if ids else [unk] for ids in per_word]

    def _pixels(self, doc: Document) -> torch.Tensor | None:
        if not self.use_images:
            return None
        if self.images is None:
            raise UserError("this model was trained with page images: pass the document's page image")
        from PIL import Image

        image = self.images(doc.id)
        if image is None:
            # Data prep copies PNG/JPEG documents only (no PDF/TIFF renderer in its Lambda): a record
            # without an image trains on a blank page, as LayoutLMv3 does without any images.
            log(
                f"warning: no page image for record {doc.id!r} in the images channel (looked for "
                f"{doc.id}.png, .jpg, .jpeg); using a blank page"
            )
            image = Image.new("RGB", BLANK_PAGE_SIZE, "white")
        try:
            pil = image if isinstance(image, Image.Image) else Image.open(image)
            pil = pil.convert("RGB")
        except OSError as exc:
            raise UserError(f"page image of record {doc.id!r} cannot be decoded: {exc}") from None
        values: torch.Tensor = self.image_processor(pil, return_tensors="pt")["pixel_values"][0]
        return values.to(torch.float16)  # half the memory per cached page; exact enough for 0..1 pixels

    def encode(
        self,
        docs: Sequence[Document],
        vocab: Vocabulary,
        label_to_id: Mapping[str, int],
        max_seq_len: int,
    ) -> list[Any]:
        tok = self.tokenizer
        cls_id, sep_id = int(tok.cls_token_id), int(tok.sep_token_id)
        sep_box = _ZERO_BOX if self.architecture == "layoutlmv3" else _V1_SEP_BOX
        content = max_seq_len - 2
        overlap = min(WINDOW_OVERLAP, content // 2)
        out: list[Any] = []
        for doc_index, doc in enumerate(docs):
            ids: list[int] = []
            boxes: list[tuple[int, int, int, int]] = []
            labels: list[int] = []
            words: list[int] = []
            for w, pieces in enumerate(self._word_tokens(doc.words)):
                for k, piece in enumerate(pieces):
                    ids.append(piece)
                    boxes.append(doc.bboxes[w])
                    labels.append(label_to_id[doc.labels[w]] if k == 0 else IGNORE_INDEX)
                    words.append(w if k == 0 else -1)
            pixels = self._pixels(doc)
            start = 0
            while True:
                end = min(start + content, len(ids))
                n = end - start
                rank = torch.arange(n, dtype=torch.float32)
                centrality = torch.minimum(rank + 1, n - rank)
                out.append(
                    Window(
                        doc_index=doc_index,
                        input_ids=torch.tensor([cls_id, *ids[start:end], sep_id], dtype=torch.long),
                        bbox=torch.tensor([_ZERO_BOX, *boxes[start:end], sep_box], dtype=torch.long),
                        labels=torch.tensor([IGNORE_INDEX, *labels[start:end], IGNORE_INDEX]),
                        word_index=torch.tensor([-1, *words[start:end], -1], dtype=torch.long),
                        centrality=torch.cat([torch.zeros(1), centrality, torch.zeros(1)]),
                        pixel_values=pixels,
                    )
                )
                if end >= len(ids):
                    break
                start = end - overlap
        return out

    def collate(self, items: Sequence[Any]) -> Batch:
        length = max(int(item.input_ids.shape[0]) for item in items)
        bsz = len(items)
        batch: Batch = {
            "input_ids": torch.full((bsz, length), int(self.tokenizer.pad_token_id), dtype=torch.long),
            "bbox": torch.zeros(bsz, length, 4, dtype=torch.long),
            "attention_mask": torch.zeros(bsz, length, dtype=torch.long),
            "labels": torch.full((bsz, length), IGNORE_INDEX, dtype=torch.long),
        }
        for i, item in enumerate(items):
            n = int(item.input_ids.shape[0])
            batch["input_ids"][i, :n] = item.input_ids
            batch["bbox"][i, :n] = item.bbox
            batch["attention_mask"][i, :n] = 1
            batch["labels"][i, :n] = item.labels
        if self.use_images:
            batch["pixel_values"] = torch.stack([item.pixel_values for item in items]).float()
        return batch

    # ---------------------------------------------------------------------------------------- model

    def for_task(self, task: str) -> HFBackend:
        """This backend with the task's head: a classification's model is transformers' own sequence
        classifier (LayoutLMv3ForSequenceClassification / LayoutLMForSequenceClassification)."""
        other = copy.copy(self)
        other.task = task
        return other

    def _model_class(self) -> Any:
        from transformers import (
            LayoutLMForSequenceClassification,
            LayoutLMForTokenClassification,
            LayoutLMv3ForSequenceClassification,
            LayoutLMv3ForTokenClassification,
        )

        if self.task == CLASSIFICATION:
            if self.architecture == "layoutlmv3":
                return LayoutLMv3ForSequenceClassification
            return LayoutLMForSequenceClassification
        if self.architecture == "layoutlmv3":
            return LayoutLMv3ForTokenClassification
        return LayoutLMForTokenClassification

    def build_model(self, config: TrainConfig, vocab: Vocabulary, labels: Sequence[str]) -> nn.Module:
        if config.max_seq_len > int(getattr(self.hf_config, "max_position_embeddings", 512)):
            raise UserError(
                f"hyperparameter max_seq_len={config.max_seq_len} exceeds the model's "
                f"max_position_embeddings={self.hf_config.max_position_embeddings}"
            )
        try:
            # The head is new (or sized for other labels): initialised from the seeded torch RNG.
            model = self._model_class().from_pretrained(
                self.source,
                num_labels=len(labels),
                ignore_mismatched_sizes=True,
                hidden_dropout_prob=config.dropout,
            )
        except _load_errors() as exc:
            raise UserError(f"could not load pretrained weights from {self.source!r}: {exc}") from None
        return HFTokenClassifier(model)

    def save_pretrained(self, model: nn.Module, directory: Path, labels: Sequence[str]) -> None:
        """model + tokenizer (+ image processor) in `directory`, loadable with from_pretrained and with
        LayoutLMv3Processor / AutoTokenizer; id2label names the BIO labels."""
        assert isinstance(model, HFTokenClassifier)
        inner: Any = model.model
        inner.config.id2label = dict(enumerate(labels))
        inner.config.label2id = {label: i for i, label in enumerate(labels)}
        inner.save_pretrained(directory, safe_serialization=True)
        self.tokenizer.save_pretrained(directory)
        if self.image_processor is not None:
            self.image_processor.save_pretrained(directory)

    def truncated(self, docs: Sequence[Document], max_seq_len: int) -> int:
        return 0  # long documents are split into windows, not truncated

    def for_page(self, image: Any) -> HFBackend:
        """This backend reading every document's page image from `image` (a PIL image or a path)."""
        clone = copy.copy(self)
        clone.images = None if image is None else (lambda _record_id: image)
        return clone

    def for_images(self, images_dir: Path | None) -> HFBackend:
        """This backend reading page images from the `images` channel `images_dir` (as in training)."""
        clone = copy.copy(self)
        clone.images = _image_lookup(images_dir) if self.architecture == "layoutlmv3" else None
        return clone

    def warm_source(self) -> Path | None:
        return Path(self.source)  # a loaded artifact's hf/ (HFBackend.load)

    def warm_start(self, model: nn.Module, champion: nn.Module) -> None:
        pass  # build_model loaded the champion's hf/ (warm_source) as the pretrained model

    def save(
        self, model: nn.Module, model_dir: Path, labels: Sequence[str], vocab: Vocabulary
    ) -> dict[str, Any]:
        """hf/ (save_pretrained of model, tokenizer, image processor) and config.json's "hf" entry."""
        info: dict[str, Any] = {
            "dir": ARTIFACT_SUBDIR,
            "architecture": self.architecture,
            "images": self.use_images,
        }
        if self.task != TOKEN_CLASSIFICATION:
            info["task"] = self.task
        self.save_pretrained(model, model_dir / ARTIFACT_SUBDIR, labels)
        return {"hf": info}

    def serving_requirements(self) -> list[str]:
        """The transformers (and Pillow for page images) this model was trained with."""
        import transformers

        return [f"transformers=={transformers.__version__}", "pillow"]

    @classmethod
    def load(
        cls, model_dir: Path, saved: Mapping[str, Any], config: TrainConfig, labels: Sequence[str]
    ) -> tuple[Backend, nn.Module, Vocabulary]:
        """The backend and model of a trained artifact's hf/ folder (config.json's "hf" entry)."""
        info = saved["hf"]
        directory = model_dir / str(info["dir"])
        backend = cls(str(directory), images=None, use_images=bool(info["images"]))
        backend = backend.for_task(str(info.get("task", TOKEN_CLASSIFICATION)))
        model = HFTokenClassifier(backend._model_class().from_pretrained(directory))
        return backend, model.eval(), Vocabulary((), ())
