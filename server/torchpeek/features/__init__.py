"""LSP features, one module each; :func:`register_all` wires them into a server."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..server import TorchpeekServer


def register_all(server: TorchpeekServer) -> None:
    """Register every feature's handlers on ``server``."""
    from ..features import (
        commands,
        completion,
        diagnostics,
        document_traces,
        hover,
        inlay_hints,
        lifecycle,
        shape_errors,
        watch,
    )

    for module in (
        lifecycle,
        completion,
        hover,
        commands,
        diagnostics,
        watch,
        document_traces,
        inlay_hints,
        shape_errors,
    ):
        module.register(server)
