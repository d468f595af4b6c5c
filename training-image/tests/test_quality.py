from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import make_opt_ml, run_train


@pytest.mark.slow
def test_default_hyperparameters_reach_f1_on_synthetic_receipts(tmp_path: Path) -> None:
    # 80 receipts (64 train / 16 validation) with OCR noise; validation words partly unseen in training.
    root = make_opt_ml(tmp_path / "opt_ml", {}, n_train=64, n_val=16, seed=7)
    started = time.monotonic()
    result = run_train(root, timeout=900)
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    final = json.loads((root / "model" / "metrics.json").read_text())["final"]
    print(f"quality run: val_f1={final['val_f1']:.4f} in {seconds:.1f}s")
    # Quality only: speed is measured by bench/train_speed.py, never asserted (a loaded machine is slower).
    assert final["val_f1"] >= 0.85
