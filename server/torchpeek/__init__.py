"""torchpeek: PyTorch snippets and tensor-shape previews served over the Language Server Protocol."""

from __future__ import annotations

__version__ = "0.1.0"
