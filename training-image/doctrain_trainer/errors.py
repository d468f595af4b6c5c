"""Error types that decide the container's exit code (see __main__)."""

from __future__ import annotations


class UserError(Exception):
    """Bad hyperparameters, data or job setup: the caller can fix it, so exit 2 with a clear message."""


class TrainingInterrupted(Exception):
    """SIGTERM arrived and a checkpoint was saved; exit 143 so SageMaker/spot restarts resume from it."""

    def __init__(self, step: int, checkpoint: str | None) -> None:
        super().__init__(f"stopped by SIGTERM at step {step}; checkpoint {checkpoint or '(none needed)'}")
        self.step = step
        self.checkpoint = checkpoint
