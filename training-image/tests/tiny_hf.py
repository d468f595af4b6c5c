"""Tiny pretrained-model directories for the hf backend, built offline (no model hub): a tokenizer trained
here with `tokenizers` on synthetic receipt words and a randomly initialised LayoutLM / LayoutLMv3 with the
real transformers classes, saved with save_pretrained like a hub checkpoint (AutoTokenizer /
AutoConfig / from_pretrained load it). Also page images named by record id, for the `images` channel.

    python tests/tiny_hf.py <dir> [layoutlm|layoutlmv3]     # a model dir for hyperparameter model_id
    python tests/tiny_hf.py --images <data dir> <images dir> # one PNG per record of the dataset's JSONL
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

from tests.synthetic import make_document

# Big enough to be a real model, small enough to train a few steps on a CPU in well under a second.
TINY_SIZES = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
IMAGE_SIDE = 32  # LayoutLMv3 input_size: 2x2 patches of 16 pixels


def _corpus(n_docs: int = 60) -> list[str]:
    rng = random.Random(11)
    return [" ".join(make_document(rng, f"c{i}")["words"]) for i in range(n_docs)]


# LayoutLMv3-base's shape (microsoft/layoutlmv3-base) for speed measurements; only the vocabulary is smaller.
BASE_SIZES = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
}


def build_tiny_model(
    directory: Path,
    architecture: str = "layoutlmv3",
    max_positions: int = 514,
    sizes: dict[str, int] | None = None,
    image_side: int = IMAGE_SIDE,
) -> Path:
    """A randomly initialised model of `sizes` (default TINY_SIZES) saved like a hub checkpoint."""
    import torch
    from tokenizers import BertWordPieceTokenizer, ByteLevelBPETokenizer
    from transformers import (
        LayoutLMConfig,
        LayoutLMModel,
        LayoutLMTokenizerFast,
        LayoutLMv3Config,
        LayoutLMv3ImageProcessor,
        LayoutLMv3Model,
        LayoutLMv3TokenizerFast,
    )

    directory.mkdir(parents=True, exist_ok=True)
    dims = dict(sizes or TINY_SIZES)
    hidden = dims["hidden_size"]
    corpus = _corpus()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as scratch:
        if architecture == "layoutlmv3":
            bpe = ByteLevelBPETokenizer(add_prefix_space=True)
            specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
            bpe.train_from_iterator(corpus, vocab_size=400, min_frequency=2, special_tokens=specials)
            bpe.save_model(scratch)
            tokenizer = LayoutLMv3TokenizerFast(
                vocab_file=f"{scratch}/vocab.json", merges_file=f"{scratch}/merges.txt"
            )
            config = LayoutLMv3Config(
                vocab_size=len(tokenizer),
                max_position_embeddings=max_positions,
                input_size=image_side,
                # LayoutLMv3 concatenates 4 coordinate + 2 shape embeddings into hidden_size
                # (base: 128 + 128; the tiny model: 4 x 4 + 2 x 8).
                coordinate_size=hidden // 6 if hidden % 6 == 0 else hidden // 8,
                shape_size=hidden // 6 if hidden % 6 == 0 else hidden // 4,
                pad_token_id=tokenizer.pad_token_id,
                bos_token_id=tokenizer.bos_token_id,
                eos_token_id=tokenizer.eos_token_id,
                **dims,
            )
            LayoutLMv3Model(config).save_pretrained(directory)
            size = {"height": image_side, "width": image_side}
            LayoutLMv3ImageProcessor(apply_ocr=False, size=size).save_pretrained(directory)
        elif architecture == "layoutlm":
            wordpiece = BertWordPieceTokenizer(lowercase=True)
            wordpiece.train_from_iterator(corpus, vocab_size=300, min_frequency=2)
            wordpiece.save_model(scratch)
            tokenizer = LayoutLMTokenizerFast(vocab_file=f"{scratch}/vocab.txt")
            config = LayoutLMConfig(vocab_size=len(tokenizer), max_position_embeddings=max_positions, **dims)
            LayoutLMModel(config).save_pretrained(directory)
        else:
            raise ValueError(f"unknown architecture {architecture}")
        tokenizer.save_pretrained(directory)
    return directory


def write_page_images(data_dir: Path, images_dir: Path) -> int:
    """One PNG per dataset record, `<record id>.png`, drawing the record's word boxes (so the pixels
    carry layout, as a scan would)."""
    from PIL import Image, ImageDraw

    images_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for jsonl in sorted(data_dir.rglob("*.jsonl")):
        for line in jsonl.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            image = Image.new("RGB", (200, 300), "white")
            draw = ImageDraw.Draw(image)
            for x0, y0, x1, y1 in record["bboxes"]:
                draw.rectangle([x0 / 5, y0 * 0.3, x1 / 5, y1 * 0.3], fill="black")
            image.save(images_dir / f"{record['id']}.png")
            count += 1
    return count


if __name__ == "__main__":
    if sys.argv[1] == "--images":
        print(write_page_images(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        arch = sys.argv[2] if len(sys.argv) > 2 else "layoutlmv3"
        print(build_tiny_model(Path(sys.argv[1]), arch))
