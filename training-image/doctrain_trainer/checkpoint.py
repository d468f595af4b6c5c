"""Checkpoints that cannot betray a restart.

Layout: K fixed slots `slot-0` .. `slot-<K-1>` in the checkpoint dir, each holding `state.pt` and
`manifest.json` (schema version, step, and the size and sha256 of every other file in the slot). The
manifest is written last and is the completion marker.

- Verify before trusting: a start resumes from the newest slot whose manifest parses and whose files match
  their sizes and sha256 and then unpickle; a newest slot that is truncated, empty, garbage or has one
  flipped bit is skipped (with a log line saying why) and the next newest is used.
- Fixed names bound the storage: SageMaker's checkpoint sync uploads new and changed files to S3 but never
  deletes, so a per-step name (`ckpt-00000120/`) would leave every checkpoint ever written in S3 and a spot
  restart would download them all. With slots, S3 holds at most K slots, plus at most one `.incoming/`
  folder (the fixed name of the write in progress), whatever the number of checkpoints written.
- Crash safety: a save writes `.incoming/`, fsyncs, then replaces the slot that holds the oldest (or an
  unverified) checkpoint by rename. The slot of the newest verified checkpoint is never touched, so at
  every instant at least one good checkpoint exists (K >= 2). If the S3 copy of a slot ends up mixing
  files of two saves (an upload cut off mid-slot), its manifest no longer matches and the slot is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

STATE_FILE = "state.pt"
MANIFEST_FILE = "manifest.json"
INCOMING = ".incoming"
MANIFEST_SCHEMA = 1
DEFAULT_KEEP = 2
_SLOT_RE = re.compile(r"^slot-(\d+)$")
_LEGACY_RE = re.compile(r"^(?:ckpt-\d{8,}|\.tmp-ckpt-.*)$")  # the pre-slot layout; never read
_HASH_CHUNK = 1 << 20

Log = Callable[[str], None]


@dataclass(frozen=True)
class CheckpointRef:
    path: Path
    step: int

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Loaded:
    ref: CheckpointRef
    state: dict[str, Any]


class CorruptCheckpoint(Exception):
    """A slot that must not be trusted (reason in the message)."""


def slot_name(index: int) -> str:
    return f"slot-{index}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    # Directories too (makes a rename durable); some filesystems refuse that, which is then best effort.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_manifest(slot: Path) -> dict[str, Any]:
    """The slot's manifest, shape-checked; CorruptCheckpoint when absent or malformed."""
    path = slot / MANIFEST_FILE
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorruptCheckpoint("no manifest.json (the write never finished)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptCheckpoint(f"manifest.json unreadable: {exc}") from None
    files = obj.get("files") if isinstance(obj, dict) else None
    step = obj.get("step") if isinstance(obj, dict) else None
    if (
        not isinstance(obj, dict)
        or obj.get("schemaVersion") != MANIFEST_SCHEMA
        or not isinstance(step, int)
        or isinstance(step, bool)
        or step < 0
        or not isinstance(files, dict)
        or STATE_FILE not in files
    ):
        raise CorruptCheckpoint("manifest.json does not have the expected fields")
    for name, entry in files.items():
        ok = (
            isinstance(name, str)
            and "/" not in name
            and isinstance(entry, dict)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("bytes"), int)
        )
        if not ok:
            raise CorruptCheckpoint(f"manifest.json has a malformed entry for {name!r}")
    return obj


def verify(slot: Path) -> CheckpointRef:
    """Check every file of the slot against its manifest (size, then sha256)."""
    manifest = read_manifest(slot)
    for name, entry in manifest["files"].items():
        path = slot / name
        if not path.is_file():
            raise CorruptCheckpoint(f"{name} is missing")
        size = path.stat().st_size
        if size != entry["bytes"]:
            raise CorruptCheckpoint(f"{name} has {size} bytes, the manifest says {entry['bytes']}")
        if _sha256(path) != entry["sha256"]:
            raise CorruptCheckpoint(f"{name} does not match its sha256 (corrupted)")
    return CheckpointRef(slot, int(manifest["step"]))


class CheckpointStore:
    """The checkpoint dir: K rotating slots. One instance per training process."""

    def __init__(self, directory: Path, keep: int = DEFAULT_KEEP, log: Log | None = None) -> None:
        if keep < 2:
            raise ValueError("keep must be at least 2 (the newest good checkpoint is never overwritten)")
        self.directory = directory
        self.keep = keep
        self._log = log or (lambda _msg: None)
        # Slots known good in this process (verified on load or written here): slot path -> step.
        self._good: dict[Path, int] = {}

    def slots(self) -> list[Path]:
        return [self.directory / slot_name(i) for i in range(self.keep)]

    def candidates(self) -> list[CheckpointRef]:
        """Slots whose manifest parses, newest step first (not yet verified)."""
        refs: list[CheckpointRef] = []
        if not self.directory.is_dir():
            return refs
        for child in self.directory.iterdir():
            if not (_SLOT_RE.match(child.name) and child.is_dir()):
                continue
            try:
                refs.append(CheckpointRef(child, int(read_manifest(child)["step"])))
            except CorruptCheckpoint as exc:
                self._log(f"checkpoint {child.name} skipped: {exc}")
        return sorted(refs, key=lambda r: r.step, reverse=True)

    def load_latest(self, accept: Callable[[Loaded], None] | None = None) -> Loaded | None:
        """The newest checkpoint that verifies and unpickles; older ones are tried when it does not.
        `accept` may raise (e.g. a UserError for an incompatible configuration): that is not corruption and
        propagates."""
        if self.directory.is_dir() and any(_LEGACY_RE.match(c.name) for c in self.directory.iterdir()):
            self._log("checkpoint dir holds pre-manifest checkpoints (ckpt-*); they are ignored")
        for ref in self.candidates():
            try:
                verified = verify(ref.path)
                state = _load_state(verified.path / STATE_FILE)
            except CorruptCheckpoint as exc:
                self._log(f"checkpoint {ref.name} (step {ref.step}) rejected: {exc}; trying an older one")
                continue
            loaded = Loaded(verified, state)
            if accept is not None:
                accept(loaded)
            self._good[verified.path] = verified.step
            return loaded
        return None

    def _target_slot(self) -> Path:
        """Where the next save goes: a slot not known good (empty, corrupt, or from an earlier process that
        was not verified), else the good slot with the oldest step. Never the newest good one."""
        for slot in self.slots():
            if slot not in self._good:
                return slot
        return min(self._good, key=lambda p: self._good[p])

    def save(self, step: int, state: dict[str, Any]) -> CheckpointRef:
        for slot, saved_step in self._good.items():
            if saved_step == step and slot.is_dir():
                return CheckpointRef(slot, step)  # the same step already saved (epoch end on a periodic step)
        self.directory.mkdir(parents=True, exist_ok=True)
        incoming = self.directory / INCOMING
        shutil.rmtree(incoming, ignore_errors=True)
        incoming.mkdir()
        state_path = incoming / STATE_FILE
        torch.save(state, state_path)
        _fsync(state_path)
        manifest = {
            "schemaVersion": MANIFEST_SCHEMA,
            "step": step,
            "files": {STATE_FILE: {"bytes": state_path.stat().st_size, "sha256": _sha256(state_path)}},
        }
        manifest_path = incoming / MANIFEST_FILE
        with manifest_path.open("w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        _fsync(incoming)
        target = self._target_slot()
        self._good.pop(target, None)
        if target.exists():
            shutil.rmtree(target)
        os.rename(incoming, target)
        _fsync(self.directory)
        self._good[target] = step
        self._prune()
        return CheckpointRef(target, step)

    def _prune(self) -> None:
        """Local disk: drop slots beyond K (a smaller keep than an earlier run) and pre-slot leftovers."""
        wanted = set(self.slots())
        for child in self.directory.iterdir():
            stale_slot = _SLOT_RE.match(child.name) is not None and child not in wanted
            if child.is_dir() and (stale_slot or _LEGACY_RE.match(child.name)):
                shutil.rmtree(child, ignore_errors=True)


def _load_state(path: Path) -> dict[str, Any]:
    # Our own verified files, holding RNG and optimizer state, so full unpickling (torch >= 2.6 defaults
    # to weights_only=True); mapped to CPU so a GPU checkpoint resumes on any host.
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # a hash collision is not a concern; a file written by a buggy writer is
        raise CorruptCheckpoint(f"{path.name} does not unpickle: {type(exc).__name__}: {exc}") from None
    if not isinstance(state, dict):
        raise CorruptCheckpoint(f"{path.name} does not hold a checkpoint dict")
    return state
