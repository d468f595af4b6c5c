"""Compact backend: a small layout-aware Transformer encoder in plain PyTorch, one position per word.

Inputs per word: normalised word id, character n-grams, shape id, a few binary cues, its text line, how
the amount it prints compares with the page's others, how plainly a word before it names each field
(field_names.py), whether it is part of a date printed over several words, reading-order position, and
the box as bucketed coordinate embeddings (LayoutLM style) plus continuous page- and document-relative
coordinates.
A short convolution mixes in reading-order neighbours; attention gets learned biases for relative x/y and
reading-order distance (LayoutLMv2-style spatial attention), shared by all layers.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..config import TrainConfig
from ..data import COORD_MAX, NUM_FLAG_FEATURES, Document, Vocabulary, normalize_word, word_flags
from ..field_names import name_grades
from .base import IGNORE_INDEX, Batch

COORD_BUCKETS = 128
NUM_BOX_FEATURES = 10
REL_BUCKETS = 24
INIT_STD = 0.02
# Replacing some training words by UNK teaches the model to lean on shape and layout, which is what
# carries over to OCR'd documents whose words were never seen.
WORD_DROPOUT = 0.3
# Character n-grams (2..4 of "<word>", lowercased, digits -> 0), hashed into a fixed table: a word the
# OCR garbled ("T0TAL", "JOH0R") or never seen in training still shares most n-grams with its clean form,
# so it is not reduced to UNK (fastText-style subword embeddings).
NGRAM_SIZES = (2, 3, 4)
NGRAM_BUCKETS = 4096
MAX_NGRAMS = 32
NUM_LINE_FEATURES = 7
# Words either side mixed in by the reading-order convolution: 3 reaches "TOTAL INCL. GST 37.80" and
# "Total (RM): 9.60" from the amount (real receipts, 2 seeds: val F1 +0.03 over a width of 5).
CONTEXT_WIDTH = 7
NUM_AMOUNT_FEATURES = 8
# An amount: optional currency/sign, digits (thousands separators allowed), a decimal separator and two
# digits, optional trailing noise ("RM12.50", "$8.70", "1,234.50", "12.50-", "*9.00").
_AMOUNT_RE = re.compile(r"^[^0-9]{0,4}?(\d{1,3}(?:,\d{3})+|\d{1,7})[.,](\d{2})[^0-9]{0,2}$")


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


def _bucket(value: int) -> int:
    return min(COORD_BUCKETS - 1, max(0, value) * COORD_BUCKETS // (COORD_MAX + 1))


def _box_rows(bboxes: Sequence[tuple[int, int, int, int]]) -> tuple[list[list[int]], list[list[float]]]:
    # Document-relative coordinates make a receipt photographed small or off-centre look like any other.
    min_x = min(b[0] for b in bboxes)
    min_y = min(b[1] for b in bboxes)
    span_x = max(1, max(b[2] for b in bboxes) - min_x)
    span_y = max(1, max(b[3] for b in bboxes) - min_y)
    buckets: list[list[int]] = []
    feats: list[list[float]] = []
    for x0, y0, x1, y1 in bboxes:
        w, h = x1 - x0, y1 - y0
        buckets.append([_bucket(x0), _bucket(y0), _bucket(x1), _bucket(y1), _bucket(w), _bucket(h)])
        feats.append(
            [
                x0 / COORD_MAX,
                y0 / COORD_MAX,
                x1 / COORD_MAX,
                y1 / COORD_MAX,
                w / COORD_MAX,
                h / COORD_MAX,
                (x0 - min_x) / span_x,
                (y0 - min_y) / span_y,
                (x1 - min_x) / span_x,
                (y1 - min_y) / span_y,
            ]
        )
    return buckets, feats


def char_ngrams(word: str) -> list[int]:
    """Hashed ids (1..NGRAM_BUCKETS-1) of the word's character n-grams; crc32 so ids are stable across
    processes (Python's hash() is salted)."""
    text = f"<{normalize_word(word)[:30]}>"
    grams = {text[i : i + n] for n in NGRAM_SIZES for i in range(len(text) - n + 1)}
    ids = sorted(1 + zlib.crc32(g.encode("utf-8")) % (NGRAM_BUCKETS - 1) for g in grams)
    return ids[:MAX_NGRAMS]


def line_features(bboxes: Sequence[tuple[int, int, int, int]]) -> list[list[float]]:
    """Per word: where its text line sits and where the word sits in it. Words come in reading order;
    a word starts a new line unless it overlaps the current line vertically by half its height or more.
    Features: line index / lines, position in line / line length, first, last, words in line (/10, capped),
    gap to the previous word in the line (/ page width, capped), line's x-extent start (0..1)."""
    lines: list[list[int]] = []
    line_top = line_bottom = 0
    for i, (_, y0, _, y1) in enumerate(bboxes):
        height = max(1, y1 - y0)
        overlap = min(y1, line_bottom) - max(y0, line_top)
        if lines and overlap >= 0.5 * min(height, max(1, line_bottom - line_top)):
            lines[-1].append(i)
            line_top, line_bottom = min(line_top, y0), max(line_bottom, y1)
        else:
            lines.append([i])
            line_top, line_bottom = y0, y1
    feats: list[list[float]] = [[0.0] * NUM_LINE_FEATURES for _ in bboxes]
    for li, members in enumerate(lines):
        n = len(members)
        start_x = min(bboxes[m][0] for m in members) / COORD_MAX
        for pos, m in enumerate(members):
            gap = bboxes[m][0] - bboxes[members[pos - 1]][2] if pos > 0 else 0
            feats[m] = [
                li / max(1, len(lines) - 1),
                pos / max(1, n - 1),
                float(pos == 0),
                float(pos == n - 1),
                min(n, 10) / 10.0,
                min(max(gap, 0), 300) / 300.0,
                start_x,
            ]
    return feats


def entity_types(labels: Sequence[str]) -> list[str]:
    """The entity types of a label list (`B-TOTAL`, `I-TOTAL` -> `TOTAL`), in label order."""
    return list(dict.fromkeys(label[2:] for label in labels if label[:2] in ("B-", "I-")))


NUM_DATE_FEATURES = 4
DATE_SPAN_WORDS = 4
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}"
_DATE_PATTERNS = (
    # 25/12/2018, 25-12-18, 25.12.2018 (and month-first: the features say "a date", not which part is what)
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?:\d{2}|\d{4})$"),
    re.compile(r"^\d{4}[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),  # 2018-12-25
    re.compile(rf"^(?P<d>\d{{1,2}})[-/.,]?{_MONTH}[-/.,]?(?:\d{{2}}|\d{{4}})$"),  # 25 Dec 2018, 25-DEC-18
    re.compile(rf"^{_MONTH}[-/.,]?(?P<d>\d{{1,2}})[-/.,]*(?:\d{{2}}|\d{{4}})$"),  # Dec 25, 2018
    # 25122018, 20181225: a date whose separators the OCR lost
    re.compile(r"^(?P<d>\d{2})(?P<m>\d{2})(?:19|20)\d{2}$"),
    re.compile(r"^(?:19|20)\d{2}(?P<m>\d{2})(?P<d>\d{2})$"),
)


def _is_date(text: str) -> bool:
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        day, month = int(match.group("d")), int(match.groupdict().get("m") or 1)
        if (1 <= day <= 31 and 1 <= month <= 12) or (1 <= month <= 31 and 1 <= day <= 12):
            return True
    return False


def date_features(words: Sequence[str]) -> list[list[float]]:
    """Per word: whether it is part of a date printed over one to DATE_SPAN_WORDS words (`25 Dec 2018`,
    `18-10- 17`, `25032018`), the first word of it, a later word of it, and whether that date spans more
    than one word. A date split by the OCR is one entity; a word at a time, only its first word looks
    like a date (the per-word date cue in data.word_flags sees `25/12/2018` but not `25`, `Dec`, `2018`).
    The longest date starting at a word wins; words already inside an earlier date are not restarted."""
    lowered = [w.strip().lower() for w in words]
    feats = [[0.0] * NUM_DATE_FEATURES for _ in words]
    i = 0
    while i < len(words):
        length = next(
            (
                n
                for n in range(min(DATE_SPAN_WORDS, len(words) - i), 0, -1)
                if _is_date("".join(lowered[i : i + n]))
            ),
            0,
        )
        for k in range(length):
            feats[i + k] = [1.0, float(k == 0), float(k > 0), float(length > 1)]
        i += max(length, 1)
    return feats


def parse_amount(word: str) -> float | None:
    """The decimal amount a word prints ("RM1,234.50" -> 1234.5), or None."""
    match = _AMOUNT_RE.match(word.strip())
    if match is None:
        return None
    return float(match.group(1).replace(",", "") + "." + match.group(2))


def amount_features(words: Sequence[str]) -> list[list[float]]:
    """Per word, how the amount it prints compares with the document's other amounts: is an amount, its
    size (log scale), is the largest, rank from the largest (0 = largest .. 1 = smallest), how often the
    same amount is printed (capped at 4), whether it is the largest amount printed more than once, and
    whether this is the first / the last print of that amount. A document's total is usually among its
    largest amounts and printed more than once (total, cash, rounded total); embeddings of single words
    cannot compare numbers across the page, so these say it directly."""
    values = [parse_amount(w) for w in words]
    amounts = sorted({v for v in values if v is not None}, reverse=True)
    counts: dict[float, int] = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    largest_repeated = max((v for v, c in counts.items() if c > 1), default=None)
    seen: dict[float, int] = {}
    feats: list[list[float]] = []
    for v in values:
        if v is not None:
            seen[v] = seen.get(v, 0) + 1
        if v is None:
            feats.append([0.0] * NUM_AMOUNT_FEATURES)
            continue
        rank = amounts.index(v)
        feats.append(
            [
                1.0,
                min(math.log10(1.0 + v) / 5.0, 1.0),
                float(rank == 0),
                rank / max(1, len(amounts) - 1),
                min(counts[v], 4) / 4.0,
                float(largest_repeated is not None and v == largest_repeated),
                float(seen[v] == 1),
                float(seen[v] == counts[v]),
            ]
        )
    return feats


class CompactBackend:
    name = "compact"

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
            buckets, feats = _box_rows(boxes)
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
        return CompactLayoutEncoder(
            vocab_size=len(vocab.words),
            shape_vocab_size=len(vocab.shapes),
            num_labels=len(labels),
            num_entity_types=len(entity_types(labels)),
            hidden_size=config.hidden_size,
            num_layers=config.num_layers,
            num_heads=config.num_heads,
            dropout=config.dropout,
            max_seq_len=config.max_seq_len,
        )


def relative_bucket(distance: torch.Tensor, exact: int, max_distance: float, buckets: int) -> torch.Tensor:
    """Signed log-spaced buckets (T5/LayoutLMv2 style): exact near zero, coarser far away.
    Returns ids in [0, 2 * buckets]."""
    a = distance.abs().float()
    log_part = (
        exact
        + (torch.log(a.clamp(min=exact) / exact) / math.log(max_distance / exact) * (buckets - exact)).long()
    )
    magnitude = torch.where(a < exact, a.long(), log_part.clamp(max=buckets))
    return magnitude * distance.sign().long() + buckets


class SpatialAttentionLayer(nn.Module):
    """Pre-norm Transformer layer whose attention scores get an additive bias from 2D/1D relative
    distances. Written out by hand (not nn.TransformerEncoderLayer) so the learned bias gets gradients the
    same way on torch 1.13 and 2.x, whatever attention kernel the latter would pick."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = hidden_size // num_heads
        self.norm1 = nn.LayerNorm(hidden_size)
        self.qkv = nn.Linear(hidden_size, 3 * hidden_size)
        self.out = nn.Linear(hidden_size, hidden_size)
        self.norm2 = nn.LayerNorm(hidden_size)
        self.ff = nn.Sequential(
            nn.Linear(hidden_size, 4 * hidden_size),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(4 * hidden_size, hidden_size),
        )
        self.attn_dropout = nn.Dropout(dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        bsz, length, hidden = x.shape
        q, k, v = (
            self.qkv(self.norm1(x)).view(bsz, length, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        )
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + bias  # [B, H, T, T]
        attn = self.attn_dropout(scores.softmax(dim=-1))
        context = (attn @ v).transpose(1, 2).reshape(bsz, length, hidden)
        x = x + self.dropout(self.out(context))
        out: torch.Tensor = x + self.dropout(self.ff(self.norm2(x)))
        return out


class CompactLayoutEncoder(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        shape_vocab_size: int,
        num_labels: int,
        num_entity_types: int,
        hidden_size: int,
        num_layers: int,
        num_heads: int,
        dropout: float,
        max_seq_len: int,
    ) -> None:
        super().__init__()
        h = hidden_size
        self.num_heads = num_heads
        self.word = nn.Embedding(vocab_size, h, padding_idx=0)
        self.shape = nn.Embedding(shape_vocab_size, h, padding_idx=0)
        self.flags = nn.Linear(NUM_FLAG_FEATURES, h)
        self.position = nn.Embedding(max_seq_len, h)
        # x0/x1 share a table, as do y0/y1 (LayoutLM does the same): a coordinate means the same on both.
        self.x = nn.Embedding(COORD_BUCKETS, h)
        self.y = nn.Embedding(COORD_BUCKETS, h)
        self.width = nn.Embedding(COORD_BUCKETS, h)
        self.height = nn.Embedding(COORD_BUCKETS, h)
        self.box = nn.Linear(NUM_BOX_FEATURES, h)
        self.ngram = nn.Embedding(NGRAM_BUCKETS, h, padding_idx=0)
        self.line = nn.Linear(NUM_LINE_FEATURES, h)
        self.amount = nn.Linear(NUM_AMOUNT_FEATURES, h)
        self.names = nn.Linear(num_entity_types, h)
        self.dates = nn.Linear(NUM_DATE_FEATURES, h)
        # Neighbours in reading order ("TOTAL" right before an amount) as a convolution: with a few dozen
        # documents attention alone learns this too slowly and overfits instead (synthetic receipts:
        # val F1 ~0.83 without it, ~0.95 with it).
        self.context = nn.Conv1d(h, h, kernel_size=CONTEXT_WIDTH, padding=CONTEXT_WIDTH // 2)
        self.embed_norm = nn.LayerNorm(h)
        self.embed_dropout = nn.Dropout(dropout)
        # Relative-distance attention biases, shared by all layers: "same line, to the right of TOTAL"
        # is a relation between two words that absolute embeddings alone learn slowly from few documents.
        self.rel_x = nn.Embedding(2 * REL_BUCKETS + 1, num_heads)
        self.rel_y = nn.Embedding(2 * REL_BUCKETS + 1, num_heads)
        self.rel_order = nn.Embedding(2 * REL_BUCKETS + 1, num_heads)
        self.layers = nn.ModuleList(SpatialAttentionLayer(h, num_heads, dropout) for _ in range(num_layers))
        self.final_norm = nn.LayerNorm(h)
        self.head = nn.Linear(h, num_labels)
        self._init_weights()

    def _init_weights(self) -> None:
        # BERT-style small init; the relative biases start at zero so attention begins uniform instead of
        # locked onto random distance patterns.
        for module in self.modules():
            if isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, std=INIT_STD)
                if module.padding_idx is not None:
                    nn.init.zeros_(module.weight[module.padding_idx])
        for table in (self.rel_x, self.rel_y, self.rel_order):
            nn.init.zeros_(table.weight)

    def ngram_mean(self, ngram_ids: torch.Tensor) -> torch.Tensor:
        count = (ngram_ids > 0).sum(dim=-1, keepdim=True).clamp(min=1)
        mean: torch.Tensor = self.ngram(ngram_ids).sum(dim=-2) / count
        return mean

    def attention_bias(self, batch: Batch) -> torch.Tensor:
        boxes = batch["box_features"][..., :4] * COORD_MAX
        cx = (boxes[..., 0] + boxes[..., 2]) / 2
        cy = (boxes[..., 1] + boxes[..., 3]) / 2
        dx = cx.unsqueeze(1) - cx.unsqueeze(2)  # [B, Tq, Tk]: key minus query
        dy = cy.unsqueeze(1) - cy.unsqueeze(2)
        order = torch.arange(cx.shape[1], device=cx.device)
        d_order = (order.unsqueeze(0) - order.unsqueeze(1)).unsqueeze(0).expand_as(dx)
        bias = (
            self.rel_x(relative_bucket(dx, 8, COORD_MAX, REL_BUCKETS))
            + self.rel_y(relative_bucket(dy, 4, COORD_MAX, REL_BUCKETS))
            + self.rel_order(relative_bucket(d_order, 8, 512, REL_BUCKETS))
        ).permute(0, 3, 1, 2)  # [B, H, Tq, Tk]
        # Padding keys get a large negative score (finite, so bf16/fp16 stay NaN-free).
        pad = ~batch["mask"]
        masked: torch.Tensor = bias.masked_fill(pad[:, None, None, :], -1e4)
        return masked

    def forward(self, batch: Batch) -> torch.Tensor:
        input_ids = batch["input_ids"]
        mask = batch["mask"]
        if self.training and WORD_DROPOUT > 0:
            drop = (torch.rand(input_ids.shape, device=input_ids.device) < WORD_DROPOUT) & mask
            input_ids = input_ids.masked_fill(drop, 1)  # 1 = UNK
        b = batch["buckets"]
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = (
            self.word(input_ids)
            + self.shape(batch["shape_ids"])
            + self.flags(batch["flags"])
            + self.position(positions)
            + self.x(b[..., 0])
            + self.y(b[..., 1])
            + self.x(b[..., 2])
            + self.y(b[..., 3])
            + self.width(b[..., 4])
            + self.height(b[..., 5])
            + self.box(batch["box_features"])
            + self.ngram_mean(batch["ngram_ids"])
            + self.line(batch["line_features"])
            + self.amount(batch["amount_features"])
            + self.names(batch["name_features"])
            + self.dates(batch["date_features"])
        )
        x = x.masked_fill(~mask.unsqueeze(-1), 0.0)  # padding must not leak into the last word's context
        x = x + self.context(x.transpose(1, 2)).transpose(1, 2)
        x = self.embed_dropout(self.embed_norm(x))
        bias = self.attention_bias(batch)
        for layer in self.layers:
            x = layer(x, bias)
        return self.head(self.final_norm(x))  # type: ignore[no-any-return]
