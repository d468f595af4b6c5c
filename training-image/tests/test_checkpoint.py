from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from doctrain_trainer.checkpoint import (
    INCOMING,
    MANIFEST_FILE,
    STATE_FILE,
    CheckpointStore,
    CorruptCheckpoint,
    verify,
)


def _save(store: CheckpointStore, step: int) -> Path:
    return store.save(step, {"w": torch.full((64,), float(step)), "step": step}).path


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _garbage(path: Path) -> None:
    size = path.stat().st_size
    path.write_bytes(bytes((i * 131 + 7) % 256 for i in range(size)))  # same size, other bytes


def _flip_bit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "truncated": _truncate,
    "empty": _empty,
    "garbage": _garbage,
    "bit-flipped": _flip_bit,
}


def test_save_writes_state_and_manifest_that_verify(tmp_path: Path) -> None:
    slot = _save(CheckpointStore(tmp_path), 7)
    assert slot.name == "slot-0"
    manifest = json.loads((slot / MANIFEST_FILE).read_text())
    assert manifest["step"] == 7
    assert manifest["files"][STATE_FILE]["bytes"] == (slot / STATE_FILE).stat().st_size
    assert len(manifest["files"][STATE_FILE]["sha256"]) == 64
    assert verify(slot).step == 7
    loaded = CheckpointStore(tmp_path).load_latest()
    assert loaded is not None and loaded.ref.step == 7 and loaded.state["step"] == 7
    assert not (tmp_path / INCOMING).exists()


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_corrupt_newest_falls_back_to_previous(tmp_path: Path, corruption: str) -> None:
    store = CheckpointStore(tmp_path)
    _save(store, 10)
    newest = _save(store, 20)
    CORRUPTIONS[corruption](newest / STATE_FILE)
    with pytest.raises(CorruptCheckpoint):
        verify(newest)
    logs: list[str] = []
    loaded = CheckpointStore(tmp_path, log=logs.append).load_latest()
    assert loaded is not None and loaded.ref.step == 10 and loaded.state["step"] == 10
    assert any("slot-1 (step 20) rejected" in line for line in logs), logs


@pytest.mark.parametrize("damage", ["no manifest", "manifest garbage", "manifest of another save"])
def test_bad_manifest_falls_back(tmp_path: Path, damage: str) -> None:
    store = CheckpointStore(tmp_path)
    older = _save(store, 10)
    newest = _save(store, 20)
    if damage == "no manifest":  # a write killed before its manifest (or an S3 upload cut short)
        (newest / MANIFEST_FILE).unlink()
    elif damage == "manifest garbage":
        (newest / MANIFEST_FILE).write_bytes(b"\x00\xff{not json")
    else:  # S3 mixed two saves in one slot: the other save's manifest beside this state.pt
        shutil.copy(older / MANIFEST_FILE, newest / MANIFEST_FILE)
        manifest = json.loads((newest / MANIFEST_FILE).read_text())
        manifest["step"] = 30
        (newest / MANIFEST_FILE).write_text(json.dumps(manifest))
    loaded = CheckpointStore(tmp_path).load_latest()
    assert loaded is not None and loaded.ref.step == 10


def test_all_corrupt_means_no_checkpoint(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    for step in (1, 2):
        _flip_bit(_save(store, step) / STATE_FILE)
    assert CheckpointStore(tmp_path).load_latest() is None


def test_next_save_overwrites_the_corrupt_slot_not_the_good_one(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    _save(store, 10)
    _truncate(_save(store, 20) / STATE_FILE)
    restarted = CheckpointStore(tmp_path)
    assert (loaded := restarted.load_latest()) is not None and loaded.ref.step == 10
    assert _save(restarted, 12).name == "slot-1"
    assert verify(tmp_path / "slot-0").step == 10  # the checkpoint resumed from is untouched


def test_keeps_newest_k_in_fixed_slots_and_an_upload_only_mirror_stays_bounded(tmp_path: Path) -> None:
    """SageMaker's checkpoint sync uploads new and changed files and never deletes: after any number of
    saves the mirror (S3) holds only the K slots and the fixed .incoming folder."""
    local, mirror = tmp_path / "local", tmp_path / "s3"
    (local / "ckpt-00000003").mkdir(parents=True)  # the pre-slot layout: ignored and cleared
    store = CheckpointStore(local, keep=3)
    for step in range(1, 12):
        _save(store, step)
        shutil.copytree(local, mirror, dirs_exist_ok=True)  # upload-only sync
    assert sorted(p.name for p in local.iterdir()) == ["slot-0", "slot-1", "slot-2"]
    assert sorted(verify(local / f"slot-{i}").step for i in range(3)) == [9, 10, 11]
    assert {p.name for p in mirror.iterdir()} <= {"slot-0", "slot-1", "slot-2", INCOMING, "ckpt-00000003"}
    assert sum(1 for p in mirror.rglob(STATE_FILE)) <= 4
    # A restart from the mirror resumes from the newest.
    loaded = CheckpointStore(mirror, keep=3).load_latest()
    assert loaded is not None and loaded.ref.step == 11


def test_same_step_is_saved_once(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    first = _save(store, 4)
    assert _save(store, 4) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slot-0"]


def test_missing_directory_means_no_checkpoint(tmp_path: Path) -> None:
    assert CheckpointStore(tmp_path / "absent").load_latest() is None


def test_keep_below_two_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        CheckpointStore(tmp_path, keep=1)
