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
    """The backend `name` for a training job. hf needs the job's config (model_id) and may use the `model`
    and `images` channels; compact needs nothing."""
    return backend_class(name).create(config or TrainConfig(backend=name), model_channel, images_dir)


__all__ = [
    "IGNORE_INDEX",
    "Backend",
    "Batch",
    "WordProbs",
    "backend_class",
    "get_backend",
    "item_words",
]
