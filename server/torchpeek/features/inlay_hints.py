"""Evaluated shapes inline: ``textDocument/inlayHint`` and ``workspace/inlayHint/refresh``.

After every assignment whose value is a tensor (or a tuple or list of
tensors, or a module when asked for) a short hint shows the value of that
line's first run, e.g. ``x = self.conv1(x)  ‹[4, 32, 32, 32] f32›``. Values come
from the background trace of the document's current version; the tooltip has
the hover's full line for each name.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..features import document_traces
from ..sandbox.inline import hint_label
from ..sandbox.present import MODE_TEXT, value_line
from ..server import TorchpeekServer

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

# How long a hint request waits for the trace of its version beyond the preview limit.
WAIT_MARGIN_S = 2.0
WARM_UP_WAIT_S = 60.0


def refresh(ls: TorchpeekServer) -> None:
    """Ask the client to request hints again, when it says it can."""
    workspace = ls.client_capabilities.workspace
    hints = workspace.inlay_hint if workspace else None
    if ls.settings.inlay_hints.enabled and hints and hints.refresh_support:
        ls.workspace_inlay_hint_refresh(None)


def _tooltip(names: list[str], row: dict[str, Any], result: dict[str, Any]) -> str:
    lines = [f"`{name}`: `{value_line(row[name])}`" for name in names]
    if result.get("simulated_gpu"):
        lines.append("_simulated GPU: no CUDA device here, nothing was allocated_")
    if result.get("stopped"):
        lines.append("_the run was stopped at its time limit; later lines show no values_")
    mode = MODE_TEXT.get(str(result.get("mode", "")), "")
    lines.append(f"_first run of this line · {mode}_" if mode else "_first run of this line_")
    return "\n\n".join(lines)


def _line_end(doc: TextDocument, row: int) -> int:
    text = doc.lines[row].rstrip("\r\n") if row < len(doc.lines) else ""
    return doc.position_codec.client_num_units(text)


def hints_for(
    ls: TorchpeekServer, doc: TextDocument, result: dict[str, Any], visible: types.Range
) -> list[types.InlayHint]:
    """One hint per traced line inside ``visible``, in line order, up to the maximum."""
    settings = ls.settings.inlay_hints
    simulated = not ls.preview.client.hello.get("real_gpu", False)
    recorded = result.get("recorded") or {}
    hints: list[types.InlayHint] = []
    for key in sorted(recorded, key=int):
        if len(hints) >= settings.max_per_document:
            break
        row = int(key) - 1
        if not visible.start.line <= row <= visible.end.line or row >= len(doc.lines):
            continue
        label = hint_label(recorded[key], settings.kinds, simulated)
        if label is None:
            continue
        text, names = label
        tooltip = types.MarkupContent(
            kind=types.MarkupKind.Markdown, value=_tooltip(names, recorded[key], result)
        )
        position = types.Position(line=row, character=_line_end(doc, row))
        hints.append(
            types.InlayHint(position=position, label=text, padding_left=True, tooltip=tooltip)
        )
    return hints


async def _worker_warm(ls: TorchpeekServer) -> None:
    """Wait (a bounded time) for the worker to import torch: the first hints of a session."""
    ready = ls.preview.client.ready
    if ready is not None and not ready.done():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(ready), WARM_UP_WAIT_S)


def register(server: TorchpeekServer) -> None:
    """Register the inlay hint handler."""

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    async def on_inlay_hint(
        ls: TorchpeekServer, params: types.InlayHintParams
    ) -> list[types.InlayHint] | None:
        """Shapes of the current version's trace, waiting for the trace if it is running."""
        if not ls.settings.inlay_hints.enabled:
            return None
        doc = ls.workspace.get_text_document(params.text_document.uri)
        if document_traces.trace(ls, doc) is None:
            return None
        await _worker_warm(ls)
        wait = ls.settings.preview.timeout_ms / 1000 + WAIT_MARGIN_S
        try:
            result = await asyncio.wait_for(ls.preview.traces.result(doc.uri, doc.version), wait)
        except asyncio.TimeoutError:
            result = None
        if result is None:
            return None
        return hints_for(ls, doc, result, params.range)
