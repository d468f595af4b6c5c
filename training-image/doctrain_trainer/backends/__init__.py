"""Backend registry: name -> factory, resolved lazily so optional dependencies load only when asked."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UserError
from .base import IGNORE_INDEX, Backend, Batch


def _compact() -> Backend:
    from .compact import CompactBackend

    return CompactBackend()


def _hf() -> Backend:
    from .hf import create_hf_backend

    create_hf_backend()


_REGISTRY: dict[str, Callable[[], Backend]] = {"compact": _compact, "hf": _hf}


def get_backend(name: str) -> Backend:
    factory = _REGISTRY.get(name)
    if factory is None:
        raise UserError(f"unknown backend {name!r}; use one of: {', '.join(sorted(_REGISTRY))}")
    return factory()


__all__ = ["IGNORE_INDEX", "Backend", "Batch", "get_backend"]
