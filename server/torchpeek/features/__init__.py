"""LSP features, one module each; :func:`register_all` wires them into a server."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..server import TorchpeekServer


def register_all(server: TorchpeekServer) -> None:
    """Register every feature's handlers on ``server``."""
    from ..features import commands, completion, diagnostics, hover, lifecycle, watch

    for module in (lifecycle, completion, hover, commands, diagnostics, watch):
        module.register(server)
