"""Hyperparameters: SageMaker hands them over as strings; parse, validate and freeze them here."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import UserError

BACKENDS = ("compact", "hf")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16")
DEFAULT_MODEL_ID = "microsoft/layoutlmv3-base"
# A hub id (`org/name`) or an absolute local directory holding a saved pretrained model.
_MODEL_ID_RE = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?|/[^\x00-\x1f]+)$")
# The learning rate when the hyperparameters name none: fine-tuning a pretrained model wants a small one.
DEFAULT_HF_LEARNING_RATE = 5e-5

# Keys SageMaker itself may add (SDK estimators, automatic model tuning); they are not ours to reject.
_IGNORED_PREFIXES = ("sagemaker_", "_tuning_objective_metric")

# Hyperparameters that change the model's shape or data encoding: a checkpoint written under other
# values cannot be resumed. epochs, max_steps, checkpoint_every_steps, device, precision, deterministic
# may change.
ARCHITECTURE_KEYS = ("backend", "max_seq_len", "hidden_size", "num_layers", "num_heads")
# The same for backend hf: the pretrained model a checkpoint was fine-tuned from.
HF_ARCHITECTURE_KEYS = ("model_id",)


@dataclass(frozen=True)
class TrainConfig:
    backend: str = "compact"
    epochs: int = 40
    batch_size: int = 8
    learning_rate: float = 3e-3
    max_seq_len: int = 512
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    dropout: float = 0.1
    seed: int = 42
    checkpoint_every_steps: int = 500
    max_steps: int = 0
    device: str = "auto"
    precision: str = "auto"
    keep_checkpoints: int = 2
    model_id: str = DEFAULT_MODEL_ID
    early_stopping_patience: int = 10
    deterministic: bool = False
    entity_loss_weight: float = 2.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _int(name: str, lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise UserError(f"hyperparameter {name}={raw!r} must be an integer") from None
        if not lo <= value <= hi:
            raise UserError(f"hyperparameter {name}={value} must be between {lo} and {hi}")
        return value

    return parse


def _float(name: str, lo: float, hi: float, hi_inclusive: bool = True) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise UserError(f"hyperparameter {name}={raw!r} must be a number") from None
        ok = lo <= value <= hi if hi_inclusive else lo <= value < hi
        if not ok or value != value:  # value != value rejects NaN
            bound = "]" if hi_inclusive else ")"
            raise UserError(f"hyperparameter {name}={value} must be in [{lo}, {hi}{bound}")
        return value

    return parse


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise UserError(f"hyperparameter {name}={raw!r} must be one of: {', '.join(choices)}")
        return value

    return parse


def _bool(name: str) -> Callable[[str], bool]:
    def parse(raw: str) -> bool:
        value = raw.strip().lower()
        if value not in ("true", "false"):
            raise UserError(f"hyperparameter {name}={raw!r} must be true or false")
        return value == "true"

    return parse


def _model_id(raw: str) -> str:
    value = raw.strip()
    if len(value) > 512 or not _MODEL_ID_RE.match(value) or ".." in value.split("/"):
        raise UserError(
            f"hyperparameter model_id={raw!r} must be a model hub id (e.g. {DEFAULT_MODEL_ID}) or an "
            "absolute path to a saved pretrained model"
        )
    return value


_PARSERS: dict[str, Callable[[str], Any]] = {
    "backend": _choice("backend", BACKENDS),
    "epochs": _int("epochs", 1, 100_000),
    "batch_size": _int("batch_size", 1, 4096),
    "learning_rate": _float("learning_rate", 1e-8, 1.0),
    "max_seq_len": _int("max_seq_len", 8, 4096),
    "hidden_size": _int("hidden_size", 8, 4096),
    "num_layers": _int("num_layers", 1, 48),
    "num_heads": _int("num_heads", 1, 64),
    "dropout": _float("dropout", 0.0, 1.0, hi_inclusive=False),
    "seed": _int("seed", 0, 2**31 - 1),
    "checkpoint_every_steps": _int("checkpoint_every_steps", 0, 10**9),
    "max_steps": _int("max_steps", 0, 10**9),
    "device": _choice("device", DEVICES),
    "precision": _choice("precision", PRECISIONS),
    "keep_checkpoints": _int("keep_checkpoints", 2, 100),
    "model_id": _model_id,
    "early_stopping_patience": _int("early_stopping_patience", 0, 100_000),
    "deterministic": _bool("deterministic"),
    "entity_loss_weight": _float("entity_loss_weight", 1.0, 100.0),
}
assert set(_PARSERS) == {f.name for f in dataclasses.fields(TrainConfig)}


def parse_hyperparameters(raw: Any) -> TrainConfig:
    """Turn hyperparameters.json's content into a TrainConfig, or raise a UserError naming the key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise UserError("hyperparameters.json must hold a JSON object of string values")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise UserError(f"hyperparameter name {key!r} must be a string")
        if key.startswith(_IGNORED_PREFIXES):
            continue
        parser = _PARSERS.get(key)
        if parser is None:
            raise UserError(
                f"unknown hyperparameter {key!r}; remove it or use one of: {', '.join(sorted(_PARSERS))}"
            )
        # SageMaker always sends strings; numbers/bools only appear in hand-written local files.
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            raise UserError(f"hyperparameter {key} must be a string, got {type(value).__name__}")
        values[key] = parser(value)
    if values.get("backend") == "hf" and "learning_rate" not in values:
        values["learning_rate"] = DEFAULT_HF_LEARNING_RATE
    config = TrainConfig(**values)
    if config.hidden_size % config.num_heads != 0:
        raise UserError(
            f"hyperparameter hidden_size={config.hidden_size} must be divisible by "
            f"num_heads={config.num_heads}"
        )
    if config.backend == "hf" and config.max_seq_len > 512:
        raise UserError("hyperparameter max_seq_len must be at most 512 for backend hf (LayoutLM's limit)")
    return config
