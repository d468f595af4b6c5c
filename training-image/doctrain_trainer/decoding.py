"""Valid-BIO decoding: the most probable tag sequence in which every I-X follows B-X or I-X.

Per-word argmax can emit `O I-TOTAL` or `B-DATE I-TOTAL`, which chunk into broken entities. Viterbi over
the per-word log-probabilities with those transitions forbidden (a hard-constrained CRF without learned
transition scores) returns the best sequence among the valid ones; the per-word scores are unchanged, so
it costs nothing at training time. Written by hand: torch has no constrained Viterbi, and a library CRF
(pytorch-crf) would also learn transitions we do not need."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

import numpy as np
import torch

from .field_names import Box, name_grades
from .fields import entity_spans, likeliest_span, value_text, values_equal
from .metrics import get_entities, split_tag

NEG_INF = -1e9
_DIGITS_ONLY = re.compile(r"^[\d\s]+$")
_NOT_DIGIT = re.compile(r"\D")


def allowed_transitions(labels: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(start [L] bool, transition [L_from, L_to] bool): I-X may only start after B-X or I-X."""
    n = len(labels)
    start = torch.ones(n, dtype=torch.bool)
    trans = torch.ones(n, n, dtype=torch.bool)
    for j, to in enumerate(labels):
        prefix, etype = split_tag(to)
        if prefix != "I":
            continue
        start[j] = False
        for i, frm in enumerate(labels):
            fp, ft = split_tag(frm)
            trans[i, j] = fp in ("B", "I") and ft == etype
    return start, trans


def viterbi(log_probs: torch.Tensor, start: torch.Tensor, trans: torch.Tensor) -> list[int]:
    """Best valid path through [T, L] log-probabilities. The loop over positions runs on numpy arrays: a
    torch operation on a [L, L] tensor costs microseconds of dispatch more than the arithmetic, and this
    loop makes three of them per word (the validation decodes every word of every document)."""
    length, n = log_probs.shape
    if length == 0:
        return []
    lp = log_probs.detach().float().cpu().numpy()
    start_pen = np.where(start.cpu().numpy(), 0.0, NEG_INF).astype(np.float32)
    trans_pen = np.where(trans.cpu().numpy(), 0.0, NEG_INF).astype(np.float32)
    columns = np.arange(n)
    score = lp[0] + start_pen
    back = np.zeros((length, n), dtype=np.int64)
    for t in range(1, length):
        cand = score[:, None] + trans_pen  # [from, to]
        arg = cand.argmax(axis=0)
        back[t] = arg
        score = cand[arg, columns] + lp[t]
    path = [int(score.argmax())]
    for t in range(length - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    path.reverse()
    return path


class BioDecoder:
    """Decodes a batch of logits [B, T, L] into valid BIO id sequences, one per row, for the positions
    where `mask` is true (in order)."""

    def __init__(self, labels: Sequence[str]) -> None:
        self.start, self.trans = allowed_transitions(labels)

    def decode(self, logits: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        log_probs = logits.float().log_softmax(dim=-1)
        out: list[list[int]] = []
        for row in range(logits.shape[0]):
            out.append(viterbi(log_probs[row][mask[row]], self.start, self.trans))
        return out


def _type_counts(documents: Iterable[Sequence[str]]) -> list[dict[str, int]]:
    """Per document (a record's tags): entity type -> how many entities of it the document holds."""
    out: list[dict[str, int]] = []
    for tags in documents:
        counts: dict[str, int] = {}
        for etype, _, _ in get_entities(tags):
            counts[etype] = counts.get(etype, 0) + 1
        out.append(counts)
    return out


def single_valued_types(documents: Iterable[Sequence[str]]) -> frozenset[str]:
    """Entity types that no document (a record's tags) holds more than once: a receipt has one company,
    one date, one total. Learned from the training labels rather than assumed, so a dataset that labels
    repeated values (item names, every print of an amount) keeps all of them."""
    counts = _type_counts(documents)
    seen = {t for c in counts for t in c}
    repeated = {t for c in counts for t, n in c.items() if n > 1}
    return frozenset(seen - repeated)


# A type in (almost) every training document: at least this share of them holds it.
ALWAYS_PRESENT_SHARE = 0.95
# The least probability of its B- tag at which a word takes a missing always-present type.
MIN_FILL_PROBABILITY = 0.02


def always_present_types(
    documents: Iterable[Sequence[str]], single_valued: Collection[str]
) -> frozenset[str]:
    """The single-valued entity types at least ALWAYS_PRESENT_SHARE of the documents (the training
    labels) hold: a receipt's total and date are printed on nearly every receipt. Learned from the data,
    like single_valued_types, so a type that is often absent (a discount) is never forced."""
    counts = _type_counts(documents)
    if not counts:
        return frozenset()
    return frozenset(
        t for t in single_valued if sum(t in c for c in counts) >= ALWAYS_PRESENT_SHARE * len(counts)
    )


def fill_missing(
    tags: Sequence[str],
    probs: Sequence[Sequence[float]],
    labels: Sequence[str],
    always_present: Collection[str],
) -> list[str]:
    """Valid-BIO tags where a type of `always_present` that no word carries is given its likeliest span
    (fields.likeliest_span: the word most probably its B- tag, and the words after it at least 0.5 its I-
    tag; what field extraction reports for a field without an entity), when that word is outside every
    entity and at least MIN_FILL_PROBABILITY its B- tag; the span stops at the first word of another
    entity. A model unsure between the prints of a receipt's total (TOTAL, CASH, ROUNDED) can leave all of
    them below O; the data says the document holds one (bench/README.md, "SROIE"). After an O the Viterbi
    path never has an I-, so the tags stay valid."""
    out = list(tags)
    have = {tag[2:] for tag in out if tag != "O"}
    for etype in sorted(set(always_present) - have):
        span = likeliest_span(probs, labels, etype)
        if span is None:
            continue
        start, end, _ = span
        if out[start] != "O" or probs[start][labels.index(f"B-{etype}")] < MIN_FILL_PROBABILITY:
            continue
        out[start] = f"B-{etype}"
        for word in range(start + 1, end + 1):
            if out[word] != "O":
                break
            out[word] = f"I-{etype}"
    return out


def keep_most_confident(
    tags: Sequence[str], confidences: Sequence[float], single_valued: Collection[str]
) -> list[str]:
    """Valid-BIO tags where each entity type in `single_valued` keeps only its most confident entity (the
    mean probability of its words' tags; the earlier one on a tie), the others becoming O. The model scores
    words one by one, so it may tag two totals; the data says a document holds one. Entities of one type
    that touch (`B-X I-X B-X`: an address over two lines) count as one, as in field extraction
    (fields.entity_spans): kept together, as one entity (`B-X I-X I-X`), or dropped together."""
    out = list(tags)
    spans = [span for span in entity_spans(tags, confidences) if span[0] in single_valued]
    best: dict[str, tuple[str, int, int, float]] = {}
    for span in spans:
        if span[0] not in best or span[3] > best[span[0]][3]:
            best[span[0]] = span
    for span in spans:
        etype, start, end, _ = span
        if best[etype] != span:
            out[start : end + 1] = ["O"] * (end - start + 1)
        else:
            out[start + 1 : end + 1] = [f"I-{etype}"] * (end - start)
    return out


def canonical_prints(
    words: Sequence[str], bboxes: Sequence[Box], tags: Sequence[str], single_valued: Collection[str]
) -> tuple[list[str], dict[int, int]]:
    """Tags where each entity of a `single_valued` type sits on the print of its value that the dataset
    builder labels. A receipt prints its total two or three times (`Net Total 21.20`, `Rounded 21.20`,
    `Cash 21.20`), a date in the header and the footer; the builder labels one print: the one after the
    plainest word naming the field (field_names grades), else the earliest. The model finds the value but
    may mark another print of it, and entity F1 counts that as a miss and a false entity although the
    extracted field is the same. So the entity moves to the print of the same value (same number of
    words, equal after the field's normalisation, `RM9.00` = `9.00`, and printing the same digits, so `6` is
    no print of `6.00`) that the builder ranks first: a print with separators or letters before one of
    digits only (`25/12/2018` before `25122018`, which the builder matches by its digits, ranked lower),
    then the best grade for its type, then the earliest; words of another entity are never taken. Other
    types are left alone: a field labelled at every print (item names) has no single print to prefer.
    Returns the tags and, for each word of a moved entity, the word it moved from (so the entity keeps the
    confidence the model gave the value)."""
    out = list(tags)
    moved_from: dict[int, int] = {}
    spans = [span for span in entity_spans(out, [0.0] * len(out)) if span[0] in single_valued]
    if not spans:
        return out, moved_from
    types = sorted({span[0] for span in spans})
    grades = name_grades(words, bboxes, types)
    taken = [tag != "O" for tag in out]
    for etype, start, end, _ in spans:
        column, length = types.index(etype), end - start + 1
        texts = [value_text(words[at : at + length]) for at in range(len(words) - length + 1)]
        ranks = [(not _DIGITS_ONLY.match(t), grades[at][column], -at) for at, t in enumerate(texts)]
        value, digits = texts[start], _NOT_DIGIT.sub("", texts[start])
        best = start
        for at, candidate in enumerate(texts):
            if at == start or any(taken[at : at + length]) or ranks[at] <= ranks[best]:
                continue
            if _NOT_DIGIT.sub("", candidate) == digits and values_equal(value, candidate):
                best = at
        if best != start:
            out[start : end + 1] = ["O"] * length
            taken[start : end + 1] = [False] * length
            out[best : best + length] = [f"B-{etype}"] + [f"I-{etype}"] * (length - 1)
            taken[best : best + length] = [True] * length
            moved_from.update({best + k: start + k for k in range(length)})
    return out, moved_from


def is_valid_bio(tags: Sequence[str]) -> bool:
    previous = "O"
    for tag in tags:
        prefix, etype = split_tag(tag)
        if prefix == "I":
            pp, pt = split_tag(previous)
            if pp not in ("B", "I") or pt != etype:
                return False
        previous = tag
    return True
