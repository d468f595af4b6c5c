"""The compact model: a small layout-aware Transformer encoder in plain PyTorch, one position per word.

It embeds the inputs compact_features.py computes (word and shape ids, n-grams, cues, box buckets and
coordinates, line, amount, field-name and date features) and sums them per word; a short convolution
mixes in reading-order neighbours; attention gets learned biases for relative x/y and reading-order
distance (LayoutLMv2-style spatial attention), shared by all layers; a per-word classifier gives logits.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..data import COORD_MAX
from .base import Batch
from .compact_features import (
    COORD_BUCKETS,
    NGRAM_BUCKETS,
    NUM_AMOUNT_FEATURES,
    NUM_BOX_FEATURES,
    NUM_DATE_FEATURES,
    NUM_FLAG_FEATURES,
    NUM_LINE_FEATURES,
)

REL_BUCKETS = 24
INIT_STD = 0.02
# Replacing some training words by UNK teaches the model to lean on shape and layout, which is what
# carries over to OCR'd documents whose words were never seen.
WORD_DROPOUT = 0.3
# Words either side mixed in by the reading-order convolution: 3 reaches "TOTAL INCL. GST 37.80" and
# "Total (RM): 9.60" from the amount (real receipts, 2 seeds: val F1 +0.03 over a width of 5).
CONTEXT_WIDTH = 7


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
        d_order = order.unsqueeze(0) - order.unsqueeze(1)  # [Tq, Tk]: the same for every document
        # The tables are indexed directly rather than called: with B x T x T lookups into a table of 49
        # rows, indexing's backward (an accumulating index_put) is twice as fast on CPU as embedding's.
        bias = (
            self.rel_x.weight[relative_bucket(dx, 8, COORD_MAX, REL_BUCKETS)]
            + self.rel_y.weight[relative_bucket(dy, 4, COORD_MAX, REL_BUCKETS)]
            + self.rel_order.weight[relative_bucket(d_order, 8, 512, REL_BUCKETS)]
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


class CompactPageClassifier(CompactLayoutEncoder):
    """One class per page: the encoder's per-word class logits averaged over the page's words ([B, C]).
    The head is linear, so this is the linear head over the mean of the words' final states."""

    def forward(self, batch: Batch) -> torch.Tensor:
        logits = super().forward(batch)
        mask = batch["mask"].unsqueeze(-1).to(logits.dtype)
        return (logits * mask).sum(dim=1) / mask.sum(dim=1).clamp_min(1.0)
