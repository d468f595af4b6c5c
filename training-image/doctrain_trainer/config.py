"""Hyperparameters: SageMaker hands them over as strings; parse, validate and freeze them here.

The keys, their types, defaults, bounds and enums are those of hyperparameters.schema.json (shipped in
the package; ValidateInput checks execution input against the same file): the defaults and the parser of
every key are built from it at import. What the schema does not say stays here: the rules between keys
(hidden_size divisible by num_heads, a backend's own limits in BACKEND_RULES) and model_id's `..` rule.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UserError

SCHEMA_FILE = Path(__file__).with_name("hyperparameters.schema.json")
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
_PROPERTIES: dict[str, dict[str, Any]] = SCHEMA["properties"]
# Keys SageMaker itself may add (SDK estimators, automatic model tuning); they are not ours to reject.
_IGNORED_PREFIXES = tuple(pattern.removeprefix("^") for pattern in SCHEMA["patternProperties"])
BACKENDS = tuple(_PROPERTIES["backend"]["enum"])
DEVICES = tuple(_PROPERTIES["device"]["enum"])
PRECISIONS = tuple(_PROPERTIES["precision"]["enum"])
DEFAULT_MODEL_ID: str = _PROPERTIES["model_id"]["default"]

# Hyperparameters that change the model's shape or data encoding: a checkpoint written under other
# values cannot be resumed (each backend's `architecture_keys` adds its own). epochs, max_steps,
# checkpoint_every_steps, device, precision, deterministic may change.
ARCHITECTURE_KEYS = ("backend", "max_seq_len", "hidden_size", "num_layers", "num_heads")


@dataclass(frozen=True)
class BackendRules:
    """A backend's own hyperparameter rules, beyond the schema's (which holds for every backend)."""

    # The learning rate when the hyperparameters name none (None: the schema's default).
    default_learning_rate: float | None = None
    # The largest max_seq_len the backend takes, and why (None: the schema's maximum).
    max_seq_len: int | None = None
    max_seq_len_reason: str = ""


# One entry per value of the schema's `backend` enum. (A table, not the backend classes: those import
# this module for TrainConfig.) Fine-tuning a pretrained model wants a small learning rate, and LayoutLM
# has 512 positions.
BACKEND_RULES: dict[str, BackendRules] = {
    "compact": BackendRules(),
    "hf": BackendRules(default_learning_rate=5e-5, max_seq_len=512, max_seq_len_reason="LayoutLM's limit"),
}
assert set(BACKEND_RULES) == set(BACKENDS)


def _python_type(prop: Mapping[str, Any]) -> type:
    """The Python type of a schema property: hyperparameters are strings, so a boolean is the string
    enum "true"/"false"."""
    if prop["type"] == "string":
        return bool if prop.get("enum") == ["true", "false"] else str
    return {"integer": int, "number": float}[prop["type"]]


def _default(name: str) -> Any:
    prop = _PROPERTIES[name]
    kind = _python_type(prop)
    return prop["default"] == "true" if kind is bool else kind(prop["default"])


@dataclass(frozen=True)
class TrainConfig:
    """The parsed hyperparameters. Names and Python types are declared here for type checking; every
    default is the schema's, and the import fails when a name or type disagrees with the schema."""

    backend: str = _default("backend")
    epochs: int = _default("epochs")
    batch_size: int = _default("batch_size")
    learning_rate: float = _default("learning_rate")
    max_seq_len: int = _default("max_seq_len")
    hidden_size: int = _default("hidden_size")
    num_layers: int = _default("num_layers")
    num_heads: int = _default("num_heads")
    dropout: float = _default("dropout")
    seed: int = _default("seed")
    checkpoint_every_steps: int = _default("checkpoint_every_steps")
    max_steps: int = _default("max_steps")
    device: str = _default("device")
    precision: str = _default("precision")
    keep_checkpoints: int = _default("keep_checkpoints")
    model_id: str = _default("model_id")
    early_stopping_patience: int = _default("early_stopping_patience")
    deterministic: bool = _default("deterministic")
    entity_loss_weight: float = _default("entity_loss_weight")
    warm_start: bool = _default("warm_start")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_declared = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
_expected = {name: _python_type(prop).__name__ for name, prop in _PROPERTIES.items()}
assert _declared == _expected, f"TrainConfig is not hyperparameters.schema.json: {_declared} != {_expected}"


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


def _model_id(prop: Mapping[str, Any]) -> Callable[[str], str]:
    """A hub id (`org/name`) or an absolute local directory holding a saved pretrained model: the
    schema's pattern and maxLength, and no `..` path segment (which a JSON Schema pattern cannot say
    plainly)."""
    pattern, max_length = re.compile(prop["pattern"]), int(prop["maxLength"])

    def parse(raw: str) -> str:
        value = raw.strip()
        if len(value) > max_length or not pattern.match(value) or ".." in value.split("/"):
            raise UserError(
                f"hyperparameter model_id={raw!r} must be a model hub id (e.g. {DEFAULT_MODEL_ID}) or an "
                "absolute path to a saved pretrained model"
            )
        return value

    return parse


# Free-text keys (a string without an enum) and how each is checked.
_STRINGS: dict[str, Callable[[Mapping[str, Any]], Callable[[str], str]]] = {"model_id": _model_id}


def _parser(name: str, prop: Mapping[str, Any]) -> Callable[[str], Any]:
    kind = _python_type(prop)
    if kind is bool:
        return _bool(name)
    if kind is int:
        return _int(name, int(prop["minimum"]), int(prop["maximum"]))
    if kind is float:
        if "exclusiveMaximum" in prop:
            return _float(name, float(prop["minimum"]), float(prop["exclusiveMaximum"]), hi_inclusive=False)
        return _float(name, float(prop["minimum"]), float(prop["maximum"]))
    if "enum" in prop:
        return _choice(name, tuple(prop["enum"]))
    return _STRINGS[name](prop)


_PARSERS: dict[str, Callable[[str], Any]] = {name: _parser(name, prop) for name, prop in _PROPERTIES.items()}


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
    rules = BACKEND_RULES[values.get("backend", TrainConfig.backend)]
    if rules.default_learning_rate is not None and "learning_rate" not in values:
        values["learning_rate"] = rules.default_learning_rate
    config = TrainConfig(**values)
    if config.hidden_size % config.num_heads != 0:
        raise UserError(
            f"hyperparameter hidden_size={config.hidden_size} must be divisible by "
            f"num_heads={config.num_heads}"
        )
    if rules.max_seq_len is not None and config.max_seq_len > rules.max_seq_len:
        raise UserError(
            f"hyperparameter max_seq_len must be at most {rules.max_seq_len} for backend {config.backend} "
            f"({rules.max_seq_len_reason})"
        )
    return config
