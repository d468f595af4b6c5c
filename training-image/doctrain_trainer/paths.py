"""Where SageMaker puts things inside the container, with the env overrides the contract allows."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UserError

DEFAULT_ROOT = "/opt/ml"


@dataclass(frozen=True)
class SageMakerPaths:
    root: Path
    model_dir: Path
    output_dir: Path
    output_data_dir: Path
    checkpoint_dir: Path
    channel_overrides: Mapping[str, Path]

    @property
    def config_dir(self) -> Path:
        return self.root / "input" / "config"

    @property
    def hyperparameters_file(self) -> Path:
        return self.config_dir / "hyperparameters.json"

    @property
    def input_data_config_file(self) -> Path:
        return self.config_dir / "inputdataconfig.json"

    @property
    def resource_config_file(self) -> Path:
        return self.config_dir / "resourceconfig.json"

    @property
    def failure_file(self) -> Path:
        # SageMaker reads exactly output/failure for the job's FailureReason.
        return self.output_dir / "failure"

    def channel(self, name: str) -> Path:
        override = self.channel_overrides.get(name.lower())
        return override if override is not None else self.root / "input" / "data" / name


def read_json_file(path: Path, what: str) -> Any:
    try:
        with path.open("r", encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise UserError(f"{what} ({path}) is not valid JSON: {exc}") from exc


def _checkpoint_dir(root: Path, env: Mapping[str, str]) -> Path:
    if env.get("SM_CHECKPOINT_DIR"):
        return Path(env["SM_CHECKPOINT_DIR"])
    cfg_file = root / "input" / "config" / "checkpointconfig.json"
    if cfg_file.is_file():
        cfg = read_json_file(cfg_file, "checkpointconfig.json")
        local = cfg.get("LocalPath") if isinstance(cfg, dict) else None
        if isinstance(local, str) and local:
            return Path(local)
    return root / "checkpoints"


def resolve_paths(env: Mapping[str, str] | None = None) -> SageMakerPaths:
    env = os.environ if env is None else env
    root = Path(env.get("DOCTRAIN_OPT_ML") or DEFAULT_ROOT)
    channels = {
        key[len("SM_CHANNEL_") :].lower(): Path(value)
        for key, value in env.items()
        if key.startswith("SM_CHANNEL_") and value
    }
    output_dir = root / "output"
    return SageMakerPaths(
        root=root,
        model_dir=Path(env.get("SM_MODEL_DIR") or root / "model"),
        output_dir=output_dir,
        output_data_dir=Path(env.get("SM_OUTPUT_DATA_DIR") or output_dir / "data"),
        checkpoint_dir=_checkpoint_dir(root, env),
        channel_overrides=channels,
    )
