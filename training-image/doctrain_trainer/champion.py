"""The lineage's current champion: an optional `champion` input channel holding a model.tar.gz this trainer
wrote (or that model directory, extracted). Loaded once per job (inference.load_model), it is scored on the
job's validation documents after training (champion/challenger: `champion` in metrics.json and the
champion metric line, evaluation.champion_metric_line) and, with hyperparameter warm_start, is the model
the job starts from. A champion that cannot be used never fails the job: the reason is logged and kept."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .backends import Backend
from .config import TrainConfig
from .data import Document
from .errors import UserError
from .evaluation import CHAMPION_SCORES, evaluate, score_entry
from .inference import LoadedModel, load_model, model_directory
from .log import log

CHANNEL = "champion"
ARCHIVE = "model.tar.gz"


@dataclass(frozen=True)
class Champion:
    """A non-empty champion channel: its `model` when it loaded, else None and the `reason`."""

    model: LoadedModel | None
    reason: str | None = None


def _artifact(channel: Path) -> Path:
    """The model directory (holding config.json) or model.tar.gz of a champion channel."""
    if (channel / "config.json").is_file():
        return channel
    archives = [channel / ARCHIVE] if (channel / ARCHIVE).is_file() else sorted(channel.glob("*.tar.gz"))
    if len(archives) != 1:
        raise UserError(
            f"the champion channel ({channel}) holds neither config.json nor one {ARCHIVE} "
            f"({len(archives)} *.tar.gz)"
        )
    return archives[0]


@contextlib.contextmanager
def open_champion(channel: Path) -> Iterator[Champion | None]:
    """The champion of the channel at `channel`, its extracted files kept until the context ends; None
    when there is no channel or it is empty."""
    if not channel.is_dir() or not any(channel.iterdir()):
        yield None
        return
    with contextlib.ExitStack() as stack:
        try:
            model = load_model(stack.enter_context(model_directory(_artifact(channel))))
            champion = Champion(model)
            log(f"champion: a {model.config.backend} model, {len(model.labels)} labels")
        # Whatever a broken artifact raises (tarfile, torch unpickling, JSON, transformers, a missing
        # package): the champion is optional, so no reason is the job's to fail on.
        except Exception as exc:
            champion = Champion(None, f"the champion cannot be loaded: {type(exc).__name__}: {exc}")
            log(str(champion.reason))
        yield champion


def _label_difference(champion: Sequence[str], job: Sequence[str]) -> str | None:
    """Why `champion`'s label list is not `job`'s, or None when they are the same list."""
    if list(champion) == list(job):
        return None
    only_champion = sorted(set(champion) - set(job))
    only_job = sorted(set(job) - set(champion))
    if not only_champion and not only_job:
        return "the champion has this job's labels in another order"
    return (
        f"the champion's labels differ from this job's (only the champion: {only_champion}, "
        f"only this job: {only_job})"
    )


# ----------------------------------------------------------------------------------------- warm start


@dataclass(frozen=True)
class WarmStart:
    """Whether the job starts from the champion (`model`, when used) and, when not, why."""

    used: bool
    reason: str | None
    model: LoadedModel | None = None

    def record(self) -> dict[str, Any]:
        """metrics.json's (and the checkpoint's) `warm_start`."""
        return {"used": self.used, "reason": self.reason}


def plan_warm_start(
    config: TrainConfig, champion: Champion | None, labels: Sequence[str], backend: type[Backend]
) -> WarmStart:
    """Warm start from the champion when the job asks for it and the champion is a loadable model of the
    job's backend, labels and `backend.warm_start_keys`; otherwise the reason (not an error)."""
    if not config.warm_start:
        return WarmStart(False, "hyperparameter warm_start is false")
    if champion is None:
        plan = WarmStart(False, "there is no champion channel")
    elif champion.model is None:
        plan = WarmStart(False, champion.reason)
    else:
        model = champion.model
        differences = [
            f"the champion has {key}={getattr(model.config, key)}, this job {key}={getattr(config, key)}"
            for key in backend.warm_start_keys
            if getattr(model.config, key) != getattr(config, key)
        ]
        reason = "; ".join(differences) or _label_difference(model.labels, labels)
        plan = WarmStart(reason is None, reason, model if reason is None else None)
    if not plan.used:
        log(f"warm start: not used ({plan.reason}); training from scratch")
    return plan


# ------------------------------------------------------------------------------------------- scoring


def not_comparable(reason: str) -> dict[str, Any]:
    log(f"champion not comparable: {reason}")
    return {
        "comparable": False,
        "reason": reason,
        **{key: None for key in (*CHAMPION_SCORES, "val_per_field")},
    }


def score_champion(
    champion: Champion,
    docs: Sequence[Document],
    labels: Sequence[str],
    batch_size: int,
    device: torch.device,
    to_device: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]],
    autocast: Callable[[], contextlib.AbstractContextManager[Any]],
    images_dir: Path | None,
) -> dict[str, Any]:
    """metrics.json's `champion`: the champion's scores (as evaluation.evaluate gives the challenger's) on
    the validation documents `docs`, with its own vocabulary, labels, max_seq_len and single-valued
    types; `comparable` false and the reason when it cannot be scored. `labels`: the challenger's (the
    champion's must be the same, in any order)."""
    if champion.model is None:
        return not_comparable(str(champion.reason))
    loaded = champion.model
    if set(loaded.labels) != set(labels):
        return not_comparable(str(_label_difference(loaded.labels, labels)))
    try:
        backend = loaded.backend.for_images(images_dir)
        label_to_id = {label: i for i, label in enumerate(loaded.labels)}
        encoded = backend.encode(docs, loaded.vocab, label_to_id, loaded.max_seq_len)
        result = evaluate(
            loaded.model.to(device),
            backend,
            encoded,
            docs,
            loaded.labels,
            batch_size,
            to_device,
            autocast,
            loaded.single_valued,
            loaded.always_present,
        )
    except Exception as exc:  # as in open_champion: the champion's failure is not the job's
        return not_comparable(f"the champion cannot be scored: {type(exc).__name__}: {exc}")
    scores = score_entry(result)
    return {"comparable": True, "reason": None, **{k: scores[k] for k in (*CHAMPION_SCORES, "val_per_field")}}
