from __future__ import annotations

import json
from pathlib import Path

from doctrain_trainer.paths import resolve_paths


def test_defaults_under_root(tmp_path: Path) -> None:
    paths = resolve_paths({"DOCTRAIN_OPT_ML": str(tmp_path)})
    assert paths.model_dir == tmp_path / "model"
    assert paths.channel("train") == tmp_path / "input" / "data" / "train"
    assert paths.checkpoint_dir == tmp_path / "checkpoints"
    assert paths.failure_file == tmp_path / "output" / "failure"
    assert paths.output_data_dir == tmp_path / "output" / "data"
    assert paths.hyperparameters_file == tmp_path / "input" / "config" / "hyperparameters.json"


def test_default_root_is_opt_ml() -> None:
    assert resolve_paths({}).root == Path("/opt/ml")


def test_checkpointconfig_local_path(tmp_path: Path) -> None:
    cfg = tmp_path / "input" / "config"
    cfg.mkdir(parents=True)
    (cfg / "checkpointconfig.json").write_text(json.dumps({"LocalPath": "/data/ckpt", "S3Uri": "s3://b/k"}))
    assert resolve_paths({"DOCTRAIN_OPT_ML": str(tmp_path)}).checkpoint_dir == Path("/data/ckpt")


def test_sm_env_overrides(tmp_path: Path) -> None:
    paths = resolve_paths(
        {
            "DOCTRAIN_OPT_ML": str(tmp_path),
            "SM_MODEL_DIR": "/m",
            "SM_CHANNEL_TRAIN": "/c/train",
            "SM_OUTPUT_DATA_DIR": "/o",
            "SM_CHECKPOINT_DIR": "/k",
        }
    )
    assert paths.model_dir == Path("/m")
    assert paths.channel("train") == Path("/c/train")
    assert paths.channel("validation") == tmp_path / "input" / "data" / "validation"
    assert paths.output_data_dir == Path("/o")
    assert paths.checkpoint_dir == Path("/k")
