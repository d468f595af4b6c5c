from __future__ import annotations

import dataclasses

import pytest

from doctrain_trainer.config import TrainConfig, parse_hyperparameters
from doctrain_trainer.errors import UserError


def test_defaults_when_empty() -> None:
    assert parse_hyperparameters({}) == TrainConfig()
    assert parse_hyperparameters(None) == TrainConfig()


def test_string_values_are_parsed() -> None:
    cfg = parse_hyperparameters(
        {"epochs": "3", "learning_rate": "0.0005", "dropout": "0.2", "device": "CPU", "precision": "bf16"}
    )
    got = (cfg.epochs, cfg.learning_rate, cfg.dropout, cfg.device, cfg.precision)
    assert got == (3, 5e-4, 0.2, "cpu", "bf16")


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig().epochs = 3  # type: ignore[misc]


def test_unknown_key_names_the_key() -> None:
    with pytest.raises(UserError, match="unknown hyperparameter 'epoch'"):
        parse_hyperparameters({"epoch": "3"})


def test_sagemaker_added_keys_are_ignored() -> None:
    cfg = parse_hyperparameters({"sagemaker_job_name": "x", "_tuning_objective_metric": "val_f1"})
    assert cfg == TrainConfig()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"epochs": "three"}, "epochs='three' must be an integer"),
        ({"epochs": "0"}, "epochs=0 must be between 1"),
        ({"learning_rate": "fast"}, "learning_rate='fast' must be a number"),
        ({"learning_rate": "nan"}, "learning_rate=nan"),
        ({"dropout": "1"}, "dropout=1.0 must be in"),
        ({"entity_loss_weight": "0.5"}, "entity_loss_weight=0.5 must be in [1.0, 100.0]"),
        ({"backend": "bert"}, "backend='bert' must be one of: compact, hf"),
        ({"device": "tpu"}, "device='tpu'"),
        ({"hidden_size": "100", "num_heads": "3"}, "divisible by num_heads=3"),
        ({"backend": "hf", "max_seq_len": "1024"}, "at most 512"),
        ({"epochs": ["3"]}, "epochs must be a string"),
    ],
)
def test_invalid_values(raw: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_hyperparameters(raw)


def test_not_an_object() -> None:
    with pytest.raises(UserError, match="JSON object"):
        parse_hyperparameters(["epochs"])
