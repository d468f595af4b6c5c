"""Registration point for a transformers LayoutLM backend (GPU image). Not implemented yet: it refuses
clearly instead of pretending, so a job asking for it fails fast as a user error (exit 2)."""

from __future__ import annotations

from typing import NoReturn

from ..errors import UserError


def create_hf_backend() -> NoReturn:
    try:
        import transformers  # noqa: F401
    except ImportError:
        raise UserError(
            "backend hf needs the transformers package (installed in the GPU image); "
            "run the GPU image or set hyperparameter backend=compact"
        ) from None
    raise UserError(
        "backend hf (transformers LayoutLM) is not implemented in this version of the training image; "
        "set hyperparameter backend=compact"
    )
