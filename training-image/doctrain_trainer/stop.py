"""SIGTERM handling, torch-free so it can be installed before the slow imports."""

from __future__ import annotations

import signal
from types import FrameType

from .log import log


class StopFlag:
    """Set by SIGTERM; the loop acts on it only at a step boundary, where state is consistent."""

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.requested:
            log("SIGTERM received: checkpointing at the next step boundary, then exiting 143")
        self.requested = True
