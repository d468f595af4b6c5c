from __future__ import annotations

from pathlib import Path

import torch

from doctrain_trainer.checkpoint import (
    COMPLETE_MARKER,
    STATE_FILE,
    checkpoint_name,
    latest_complete,
    list_complete,
    load_checkpoint,
    save_checkpoint,
)


def test_save_writes_state_then_marker(tmp_path: Path) -> None:
    path = save_checkpoint(tmp_path, 7, {"w": torch.ones(2), "step": 7})
    assert path.name == "ckpt-00000007"
    assert (path / STATE_FILE).is_file() and (path / COMPLETE_MARKER).read_text().strip() == "7"
    ref = latest_complete(tmp_path)
    assert ref is not None and ref.step == 7
    state = load_checkpoint(ref)
    assert torch.equal(state["w"], torch.ones(2)) and state["step"] == 7
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_resume_ignores_incomplete_checkpoints(tmp_path: Path) -> None:
    save_checkpoint(tmp_path, 10, {"step": 10})
    # A newer checkpoint whose writer was killed before the marker, and a half-written temp dir.
    broken = tmp_path / checkpoint_name(20)
    broken.mkdir()
    (broken / STATE_FILE).write_bytes(b"truncated")
    (tmp_path / ".tmp-ckpt-00000030-abc").mkdir()
    ref = latest_complete(tmp_path)
    assert ref is not None and ref.step == 10
    assert load_checkpoint(ref)["step"] == 10


def test_keeps_newest_two_and_clears_leftovers(tmp_path: Path) -> None:
    (tmp_path / checkpoint_name(2)).mkdir()  # incomplete leftover
    for step in (1, 3, 5, 9):
        save_checkpoint(tmp_path, step, {"step": step})
    assert [r.step for r in list_complete(tmp_path)] == [5, 9]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-00000005", "ckpt-00000009"]


def test_incomplete_dir_with_same_step_is_replaced(tmp_path: Path) -> None:
    stale = tmp_path / checkpoint_name(4)
    stale.mkdir()
    (stale / STATE_FILE).write_bytes(b"garbage")
    save_checkpoint(tmp_path, 4, {"step": 4})
    ref = latest_complete(tmp_path)
    assert ref is not None and load_checkpoint(ref)["step"] == 4


def test_missing_directory_means_no_checkpoint(tmp_path: Path) -> None:
    assert latest_complete(tmp_path / "absent") is None
