"""The trainer's log: one line per message on stderr, prefixed `[doctrain]` (stdout is for metric lines)."""

from __future__ import annotations

import sys


def log(message: str) -> None:
    print(f"[doctrain] {message}", file=sys.stderr, flush=True)
