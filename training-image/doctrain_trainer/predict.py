"""Fields out: a trained model + an OCR'd document -> `{field: {"value": ..., "confidence": ...}}`.

The document is a dataset-contract record (CONTRACTS.md §3: `words` and `bboxes` 0..1000, in reading
order; `labels`, `fields` and the rest are ignored), i.e. what the pipeline's OCR step makes of an image,
a PDF or a Textract response (`doctrain predict` does that conversion with the pipeline's own code).

  python -m doctrain_trainer predict --model <model dir | model.tar.gz> [--input record.json | -]
                                    [--image page.png]  (an hf LayoutLMv3 model trained with page images)

`--input` holds one record (a JSON object) or several (JSON Lines); the output is one JSON object per
record, one per line. A classifier (task classification) reads the records as the pages of documents (by
`documentId`; records without one are one document each) and prints one object per document:
`{"class": "invoice", "confidence": 0.93, "scores": {"invoice": 0.93, "receipt": 0.07}, "pages": 2}`.
Exit codes: 0, 2 for bad input (message on stderr), 1 otherwise."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .classification import classify_pages
from .errors import UserError
from .fields import best_fields, extract_fields
from .inference import LoadedModel, load_model, model_directory
from .log import log
from .tasks import CLASSIFICATION

CONFIDENCE_DIGITS = 4


def _record_words(record: Any) -> tuple[list[str], list[list[int]]]:
    if not isinstance(record, Mapping):
        raise UserError("a document must be a JSON object with words and bboxes (CONTRACTS.md §3)")
    words, bboxes = record.get("words"), record.get("bboxes")
    if not isinstance(words, list) or not isinstance(bboxes, list) or len(words) != len(bboxes):
        raise UserError("a document needs lists words and bboxes of the same length")
    if not all(isinstance(w, str) for w in words):
        raise UserError("words must be strings")
    boxes: list[list[int]] = []
    for i, box in enumerate(bboxes):
        if not (isinstance(box, list) and len(box) == 4 and all(isinstance(c, (int, float)) for c in box)):
            raise UserError(f"bboxes[{i}] must be [x0, y0, x1, y1] (0..1000)")
        boxes.append([max(0, min(1000, int(round(c)))) for c in box])
    return words, boxes


def predict_fields(model: LoadedModel, record: Any, image: Any = None) -> dict[str, dict[str, Any]]:
    """The most confident value of each field the model knows, found in the document (the likeliest span
    when no word was tagged with it; its confidence says how sure the model was). `image`: the page image
    (path or PIL image), for an hf LayoutLMv3 model trained with page images."""
    words, boxes = _record_words(record)
    tagged = model.tag(words, boxes, image)
    found = best_fields(extract_fields(words, tagged.tags, tagged.confidences, tagged.probs, model.labels))
    return {
        key: {"value": v.value, "confidence": round(v.confidence, CONFIDENCE_DIGITS)}
        for key, v in sorted(found.items())
    }


def predict_classes(model: LoadedModel, records: Sequence[Any]) -> list[dict[str, Any]]:
    """One `{"class", "confidence", "scores", "pages"}` per document of `records` (pages grouped by
    `documentId`, in first-seen order), its pages pooled (classification.classify_pages)."""
    documents: dict[str, list[tuple[list[str], list[list[int]]]]] = {}
    for n, record in enumerate(records):
        key = record.get("documentId") if isinstance(record, Mapping) else None
        documents.setdefault(key if isinstance(key, str) and key else f"#{n}", []).append(
            _record_words(record)
        )
    return [
        classify_pages(model.backend, model.model, model.labels, model.vocab, model.max_seq_len, pages)
        for pages in documents.values()
    ]


def _read_records(text: str) -> list[Any]:
    text = text.strip()
    if not text:
        raise UserError("no document on the input")
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        pass
    records = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise UserError(f"input line {n} is not JSON: {exc.msg}") from None
    return records


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m doctrain_trainer predict")
    parser.add_argument("--model", required=True, type=Path, help="model directory or model.tar.gz")
    parser.add_argument("--input", default="-", help="a record (JSON) or records (JSON Lines); - = stdin")
    parser.add_argument("--image", type=Path, help="the page image (an hf model trained with page images)")
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if args.input == "-" else Path(args.input).read_text(encoding="utf-8")
        records = _read_records(text)
        with model_directory(args.model) as model_dir:
            model = load_model(model_dir)
            if model.backend.task == CLASSIFICATION:
                for document in predict_classes(model, records):
                    print(json.dumps(document, ensure_ascii=False), flush=True)
                return 0
            for record in records:
                print(json.dumps(predict_fields(model, record, args.image), ensure_ascii=False), flush=True)
    except UserError as exc:
        log(str(exc))
        return 2
    except OSError as exc:
        log(str(exc))
        return 2
    return 0
