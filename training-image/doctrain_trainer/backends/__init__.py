"""Backend registry: the loop picks a model family by the `backend` hyperparameter."""

from __future__ import annotations

from pathlib import Path

from ..config import BACKENDS, TrainConfig
from ..errors import UserError
from .base import IGNORE_INDEX, Backend, Batch, WordProbs, item_words


def backend_class(name: str) -> type[Backend]:
    """The class of backend `name` (its hyperparameter value), imported on demand."""
    if name == "compact":
        from .compact import CompactBackend

        return CompactBackend
    if name == "hf":
        from .hf import HFBackend

        return HFBackend
    raise UserError(f"unknown backend {name!r}; use one of: {', '.join(BACKENDS)}")


def get_backend(
    name: str,
    config: TrainConfig | None = None,
    model_channel: Path | None = None,
    images_dir: Path | None = None,
) -> Backend:
    """The backend `name`. hf needs the job's config (model_id) and may use the `model` and `images`
    channels; compact needs nothing."""
    if name == "compact":
        from .compact import CompactBackend

        return CompactBackend()
    if name == "hf":
        from .hf import create_hf_backend

        return create_hf_backend(config or TrainConfig(backend="hf"), model_channel, images_dir)
    raise UserError(f"unknown backend {name!r}; use one of: {', '.join(BACKENDS)}")


__all__ = [
    "IGNORE_INDEX",
    "Backend",
    "Batch",
    "WordProbs",
    "backend_class",
    "get_backend",
    "item_words",
]
