"""Crash-safe checkpoints: a checkpoint counts only once its directory has been renamed into place and
its COMPLETE marker written, so a job killed mid-write (spot reclaim) never resumes from half a file."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

STATE_FILE = "state.pt"
COMPLETE_MARKER = "COMPLETE"
KEEP = 2
_NAME_RE = re.compile(r"^ckpt-(\d{8,})$")


@dataclass(frozen=True)
class CheckpointRef:
    path: Path
    step: int


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; some filesystems do not allow it, which is then best effort.
    try:
        _fsync_file(path)
    except OSError:
        pass


def checkpoint_name(step: int) -> str:
    return f"ckpt-{step:08d}"


def list_complete(directory: Path) -> list[CheckpointRef]:
    """Complete checkpoints, oldest first."""
    if not directory.is_dir():
        return []
    refs: list[CheckpointRef] = []
    for child in directory.iterdir():
        match = _NAME_RE.match(child.name)
        complete = (child / COMPLETE_MARKER).is_file() and (child / STATE_FILE).is_file()
        if match and child.is_dir() and complete:
            refs.append(CheckpointRef(child, int(match.group(1))))
    return sorted(refs, key=lambda r: r.step)


def latest_complete(directory: Path) -> CheckpointRef | None:
    refs = list_complete(directory)
    return refs[-1] if refs else None


def save_checkpoint(directory: Path, step: int, state: dict[str, Any], keep: int = KEEP) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / checkpoint_name(step)
    if (final / COMPLETE_MARKER).is_file():
        return final  # the same step was already saved (e.g. epoch end on a checkpoint_every_steps step)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{checkpoint_name(step)}-", dir=directory))
    try:
        state_path = tmp / STATE_FILE
        torch.save(state, state_path)
        _fsync_file(state_path)
        _fsync_dir(tmp)
        if final.exists():  # an incomplete leftover of an earlier, killed attempt
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(directory)
    marker = final / COMPLETE_MARKER
    with marker.open("w", encoding="utf-8") as fh:
        fh.write(f"{step}\n")
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(final)
    prune(directory, keep)
    return final


def prune(directory: Path, keep: int = KEEP) -> None:
    """Keep the newest `keep` complete checkpoints; drop older ones and any incomplete leftovers."""
    complete = list_complete(directory)
    keep_paths = {ref.path for ref in complete[-keep:]}
    for child in directory.iterdir():
        is_ckpt = _NAME_RE.match(child.name) is not None
        is_tmp = child.name.startswith(".tmp-ckpt-")
        if child.is_dir() and (is_ckpt or is_tmp) and child not in keep_paths:
            shutil.rmtree(child, ignore_errors=True)


def load_checkpoint(ref: CheckpointRef) -> dict[str, Any]:
    # Our own files, holding RNG states and optimizer state, so full unpickling (torch >= 2.6 defaults to
    # weights_only=True); map to CPU so a GPU checkpoint resumes on any host.
    state: dict[str, Any] = torch.load(ref.path / STATE_FILE, map_location="cpu", weights_only=False)
    return state
