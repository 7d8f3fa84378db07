"""Shape previews on hover: ``textDocument/hover``.

Hovering a name in a Python document runs the document's top-level code up to
that statement in the sandboxed torch worker and shows what the name holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torchpeek.server import TorchpeekServer


def register(server: TorchpeekServer) -> None:
    """Register the hover handler."""
