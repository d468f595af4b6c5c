"""hyperparameters.schema.json (read by ValidateInput) and config.py (the trainer) must agree."""

from __future__ import annotations

import dataclasses
import json
import re
from importlib import resources
from typing import Any

import pytest

from doctrain_trainer import config
from doctrain_trainer.config import TrainConfig, parse_hyperparameters
from doctrain_trainer.errors import UserError

SCHEMA: dict[str, Any] = json.loads(
    resources.files("doctrain_trainer").joinpath("hyperparameters.schema.json").read_text(encoding="utf-8")
)
PROPS: dict[str, dict[str, Any]] = SCHEMA["properties"]
FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}


def _accepts(key: str, value: str) -> bool:
    try:
        parse_hyperparameters({key: value})
    except UserError:
        return False
    return True


def test_every_key_is_in_both() -> None:
    assert set(PROPS) == set(FIELDS)
    assert SCHEMA["additionalProperties"] is False


def test_types_and_defaults_match_the_dataclass() -> None:
    # Hyperparameters arrive as strings: a boolean is the string enum "true"/"false".
    json_type = {bool: "string", int: "integer", float: "number", str: "string"}
    defaults = TrainConfig()
    for name, prop in PROPS.items():
        default = getattr(defaults, name)
        assert prop["type"] == json_type[type(default)], name
        if isinstance(default, bool):
            assert prop["enum"] == ["true", "false"] and prop["default"] == str(default).lower(), name
        else:
            assert prop["default"] == default, name
        assert prop["description"], name


@pytest.mark.parametrize("name", sorted(PROPS))
def test_bounds_and_enums_match_the_parser(name: str) -> None:
    prop = PROPS[name]
    if prop["type"] == "integer":
        lo, hi = prop["minimum"], prop["maximum"]
        assert _accepts(name, str(lo)) and _accepts(name, f" {hi} ")
        assert not _accepts(name, str(lo - 1)) and not _accepts(name, str(hi + 1))
        assert not _accepts(name, "1.5")
    elif prop["type"] == "number":
        lo = prop["minimum"]
        assert _accepts(name, repr(float(lo)))
        assert not _accepts(name, repr(lo - abs(lo) * 1e-3 - 1e-12))
        if "maximum" in prop:
            assert _accepts(name, repr(float(prop["maximum"])))
            assert not _accepts(name, repr(prop["maximum"] * 1.001))
        else:
            assert not _accepts(name, repr(float(prop["exclusiveMaximum"])))
            assert _accepts(name, repr(prop["exclusiveMaximum"] * 0.999))
        assert not _accepts(name, "nan") and not _accepts(name, "abc")
    elif "enum" in prop:
        for value in prop["enum"]:
            assert _accepts(name, value) and _accepts(name, value.upper())
        assert not _accepts(name, "not-a-choice")
    else:
        assert name == "model_id"
        pattern = re.compile(prop["pattern"])
        for value in ("org/name", "name", "/opt/ml/input/data/model", "a" * prop["maxLength"]):
            assert _accepts(name, value) and pattern.match(value), value
        for value in ("a/b/c", "-x", "org/", "a" * (prop["maxLength"] + 1), "/x\ny"):
            schema_accepts = len(value) <= prop["maxLength"] and pattern.match(value)
            assert not _accepts(name, value) and not schema_accepts, value


def test_ignored_prefixes_match() -> None:
    assert sorted(SCHEMA["patternProperties"]) == sorted(f"^{p}" for p in config._IGNORED_PREFIXES)
    ignored = {"sagemaker_program": "x", "_tuning_objective_metric": "f1"}
    assert parse_hyperparameters(ignored) == TrainConfig()
