"""doctrain training container: layout-aware token classification on OCR'd documents."""

from __future__ import annotations

__version__ = "0.2.0"
SCHEMA_VERSION = 1
