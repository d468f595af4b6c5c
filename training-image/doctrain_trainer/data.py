"""Dataset JSONL (CONTRACTS.md §3): loading, validation, label list, vocabulary and word features."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import SCHEMA_VERSION
from .errors import UserError

PAD = "[PAD]"
UNK = "[UNK]"
OUTSIDE = "O"
_LABEL_RE = re.compile(r"^(?:O|[BI]-[A-Z][A-Z0-9_]*)$")
_DIGIT_RE = re.compile(r"[0-9]")
COORD_MAX = 1000


@dataclass(frozen=True)
class Document:
    id: str
    words: tuple[str, ...]
    bboxes: tuple[tuple[int, int, int, int], ...]
    labels: tuple[str, ...]
    source: str  # file:line, for error messages
    # The annotated values (record key "fields", optional): field key -> values (one for a single value).
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The document a page record belongs to (record key "documentId"; the record id when absent): field
    # metrics are scored per document, over all its pages.
    document_id: str = ""

    @property
    def document(self) -> str:
        return self.document_id or self.id


# ---------------------------------------------------------------------------------------------- loading


def _fail(where: str, message: str) -> UserError:
    return UserError(f"bad dataset line {where}: {message}")


def _parse_box(where: str, index: int, box: Any) -> tuple[int, int, int, int]:
    if not isinstance(box, list) or len(box) != 4:
        raise _fail(where, f"bboxes[{index}] must be [x0, y0, x1, y1]")
    coords: list[int] = []
    for c in box:
        if isinstance(c, bool) or not isinstance(c, (int, float)):
            raise _fail(where, f"bboxes[{index}] holds a non-number {c!r}")
        coords.append(int(round(c)))
    x0, y0, x1, y1 = coords
    if not all(0 <= c <= COORD_MAX for c in coords):
        raise _fail(where, f"bboxes[{index}]={box} is outside 0..{COORD_MAX} (boxes must be normalised)")
    if x0 > x1 or y0 > y1:
        raise _fail(where, f"bboxes[{index}]={box} has x0 > x1 or y0 > y1")
    return x0, y0, x1, y1


def parse_document(line: str, where: str, known_labels: frozenset[str] | None) -> Document:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _fail(where, f"not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise _fail(where, "expected a JSON object per line")
    for key in ("words", "bboxes", "labels"):
        if not isinstance(obj.get(key), list):
            raise _fail(where, f"field {key!r} is missing or not a list")
    words, bboxes, labels = obj["words"], obj["bboxes"], obj["labels"]
    if not (len(words) == len(bboxes) == len(labels)):
        raise _fail(
            where, f"words ({len(words)}), bboxes ({len(bboxes)}) and labels ({len(labels)}) differ in length"
        )
    for i, word in enumerate(words):
        if not isinstance(word, str):
            raise _fail(where, f"words[{i}] is not a string")
    for i, label in enumerate(labels):
        if not isinstance(label, str) or not _LABEL_RE.match(label):
            raise _fail(where, f"labels[{i}]={label!r} is not a BIO label (O, B-TYPE or I-TYPE)")
        if known_labels is not None and label not in known_labels:
            raise _fail(where, f"labels[{i}]={label!r} is not in the labels channel's labels.json")
    doc_id = obj.get("id")
    document_id = obj.get("documentId")
    if document_id is not None and not isinstance(document_id, str):
        raise _fail(where, "field 'documentId' must be a string")
    return Document(
        fields=_parse_fields(where, obj.get("fields")),
        document_id=document_id or "",
        id=str(doc_id) if doc_id is not None else where,
        words=tuple(words),
        bboxes=tuple(_parse_box(where, i, b) for i, b in enumerate(bboxes)),
        labels=tuple(labels),
        source=where,
    )


def _parse_fields(where: str, raw: Any) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _fail(where, "field 'fields' must be an object of field key -> string or list of strings")
    out: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise _fail(where, f"fields[{key!r}] must be a string or a list of strings")
        out[str(key)] = tuple(values)
    return out


def load_channel(channel_dir: Path, channel: str, known_labels: frozenset[str] | None) -> list[Document]:
    """All documents of *.jsonl files under the channel dir, recursively; sorted by file name (shard order
    train-00000, train-00001, ...) then path, so the same data always yields the same order."""
    if not channel_dir.is_dir():
        raise UserError(f"channel {channel!r} is missing: no directory {channel_dir}")
    files = sorted((p for p in channel_dir.rglob("*.jsonl") if p.is_file()), key=lambda p: (p.name, str(p)))
    if not files:
        raise UserError(f"channel {channel!r} ({channel_dir}) holds no *.jsonl files")
    docs: list[Document] = []
    for path in files:
        with path.open("r", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                doc = parse_document(line, f"{path.name}:{lineno}", known_labels)
                if doc.words:  # an empty page teaches nothing; the dataset builder normally quarantines it
                    docs.append(doc)
    if not docs:
        raise UserError(f"channel {channel!r} ({channel_dir}) holds no documents with words")
    return docs


# ----------------------------------------------------------------------------------------------- labels


def load_label_file(channel_dir: Path) -> list[str] | None:
    """labels.json from the labels channel, or None when the channel is absent.
    SM_CHANNEL_LABELS may also name the file itself."""
    if channel_dir.is_file():
        path = channel_dir
    elif channel_dir.is_dir():
        candidates = sorted(channel_dir.rglob("labels.json")) or sorted(channel_dir.rglob("*.json"))
        if not candidates:
            return None
        path = candidates[0]
    else:
        return None
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"labels channel file {path.name} is not valid JSON: {exc.msg}") from None
    labels = obj.get("labels") if isinstance(obj, dict) else None
    if not isinstance(labels, list) or not labels:
        raise UserError(f'labels channel file {path.name} must be {{"labels": ["O", "B-...", ...]}}')
    for label in labels:
        if not isinstance(label, str) or not _LABEL_RE.match(label):
            raise UserError(f"labels channel file {path.name}: {label!r} is not a BIO label")
    if len(set(labels)) != len(labels):
        raise UserError(f"labels channel file {path.name} lists a label twice")
    if OUTSIDE not in labels:
        raise UserError(f"labels channel file {path.name} must include {OUTSIDE!r}")
    return list(labels)


def derive_labels(docs: Iterable[Document]) -> list[str]:
    """O first, then B-/I- for each entity type seen, sorted; both prefixes even if only one occurs."""
    types = {label[2:] for doc in docs for label in doc.labels if label != OUTSIDE}
    return [OUTSIDE] + [f"{p}-{t}" for t in sorted(types) for p in ("B", "I")]


def label_file_payload(labels: Sequence[str]) -> dict[str, Any]:
    return {"schemaVersion": SCHEMA_VERSION, "labels": list(labels)}


# ------------------------------------------------------------------------------------ vocabulary/shape


def normalize_word(word: str) -> str:
    # OCR'd amounts and dates are endless; mapping digits to 0 lets "12.50" and "98.10" share an entry.
    return _DIGIT_RE.sub("0", word.strip().lower())


def word_shape(word: str) -> str:
    """Collapsed character classes, e.g. 'RM12.50' -> 'Xd.d', 'Total:' -> 'Xx:'."""
    out: list[str] = []
    for ch in word[:24]:
        if ch.isdigit():
            c = "d"
        elif ch.isalpha():
            c = "X" if ch.isupper() else "x"
        else:
            c = ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)[:10] or "<empty>"


_PRICE_RE = re.compile(r"^[^0-9]{0,3}\d{1,6}[.,]\d{2}[^0-9]{0,2}$")
_DATE_RE = re.compile(r"^\d{1,4}[-/.]([0-9]{1,2}|[A-Za-z]{3,9})[-/.]\d{2,4}$")
NUM_FLAG_FEATURES = 10
# Words seen once are mostly OCR noise or one-off names; as UNK they teach the model to use shape/layout.
MIN_WORD_COUNT = 2


def word_flags(word: str) -> list[float]:
    """Cheap binary cues that survive unseen vocabulary (prices vs dates vs words)."""
    w = word.strip()
    digits = sum(ch.isdigit() for ch in w)
    alpha = sum(ch.isalpha() for ch in w)
    return [
        float(digits > 0),
        float(digits > 0 and digits == len(w)),
        float(bool(_PRICE_RE.match(w))),
        float(bool(_DATE_RE.match(w))),
        float(alpha > 0 and w.isupper()),
        float(alpha > 0 and w[:1].isupper() and not w.isupper()),
        float(w.endswith(":")),
        float(any(ch in "$€£" for ch in w) or w.upper().startswith("RM")),
        float("%" in w),
        min(len(w), 20) / 20.0,
    ]


@dataclass(frozen=True)
class Vocabulary:
    words: tuple[str, ...]  # index = id; 0 = PAD, 1 = UNK
    shapes: tuple[str, ...]

    @staticmethod
    def build(docs: Iterable[Document], min_count: int = MIN_WORD_COUNT) -> Vocabulary:
        word_counts: Counter[str] = Counter()
        shape_counts: Counter[str] = Counter()
        for doc in docs:
            for w in doc.words:
                word_counts[normalize_word(w)] += 1
                shape_counts[word_shape(w)] += 1
        # Sort by count then text so the same data always yields the same ids.
        words = [w for w, c in sorted(word_counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_count]
        shapes = [s for s, _ in sorted(shape_counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        return Vocabulary(words=(PAD, UNK, *words), shapes=(PAD, UNK, *shapes))

    def __post_init__(self) -> None:
        object.__setattr__(self, "_word_ids", {w: i for i, w in enumerate(self.words)})
        object.__setattr__(self, "_shape_ids", {s: i for i, s in enumerate(self.shapes)})

    def word_id(self, word: str) -> int:
        return self._word_ids.get(normalize_word(word), 1)  # type: ignore[attr-defined, no-any-return]

    def shape_id(self, word: str) -> int:
        return self._shape_ids.get(word_shape(word), 1)  # type: ignore[attr-defined, no-any-return]

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "normalization": "strip, lowercase, digits->0",
            "words": list(self.words),
            "shapes": list(self.shapes),
        }

    @staticmethod
    def from_json(obj: dict[str, Any]) -> Vocabulary:
        return Vocabulary(words=tuple(obj["words"]), shapes=tuple(obj["shapes"]))
