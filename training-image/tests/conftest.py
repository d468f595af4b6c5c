from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.synthetic import write_dataset

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

# Small enough that a run takes a couple of seconds on a 2-core CPU.
TINY: dict[str, str] = {
    "hidden_size": "32",
    "num_heads": "2",
    "num_layers": "1",
    "batch_size": "4",
    "epochs": "2",
}


def make_opt_ml(
    root: Path, hyperparameters: dict[str, Any], n_train: int = 16, n_val: int = 4, seed: int = 0
) -> Path:
    write_dataset(root / "input" / "data", n_train=n_train, n_val=n_val, seed=seed)
    config = root / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters), encoding="utf-8")
    return root


def set_hyperparameters(root: Path, hyperparameters: dict[str, Any]) -> None:
    (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hyperparameters))


def train_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SM_")}
    env["DOCTRAIN_OPT_ML"] = str(root)
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    # As the local SageMaker runs the trainer: one OpenMP/OpenBLAS thread (torch's intra-op pool spinning on
    # 2 shared cores made small models many times slower; bench/train_speed.py measures it).
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def start_train(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-m", "doctrain_trainer", "train"],
        cwd=ROOT,
        env=train_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_train(root: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "doctrain_trainer", "train"],
        cwd=ROOT,
        env=train_env(root),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def opt_ml(tmp_path: Path) -> Path:
    return make_opt_ml(tmp_path / "opt_ml", dict(TINY))
