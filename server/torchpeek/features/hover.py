"""Shape previews on hover: ``textDocument/hover``.

Hovering a name in a Python document runs the document's top-level code up to
that statement in the sandboxed torch worker and shows what the name holds:
``torch.Size([...])``, dtype and device, a module summary, or a diagnosis of
the error. Notebook cells see the cells above them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from ..features.completion import is_python_document
from ..sandbox.plain import markdown_to_plain
from ..server import TorchpeekServer

if TYPE_CHECKING:
    from pygls.workspace import TextDocument


STATUS = "torchpeek/status"


def notebook_prefix(ls: TorchpeekServer, doc: TextDocument) -> str:
    """The source of the notebook cells above this one, when ``doc`` is a cell."""
    notebook = ls.workspace.get_notebook_document(cell_uri=doc.uri)
    if notebook is None:
        return ""
    parts = []
    for cell in notebook.cells:
        if cell.document == doc.uri:
            break
        cell_doc = ls.workspace.get_text_document(cell.document)
        if cell_doc.language_id in (None, "python"):
            parts.append(cell_doc.source.rstrip("\n") + "\n")
    return "".join(parts)


def _status_reporter(ls: TorchpeekServer) -> Any:
    progress: dict[str, str] = {}

    def report(state: str, detail: str, simulated: bool) -> None:
        ls.protocol.notify(STATUS, {"state": state, "detail": detail, "simulatedGpu": simulated})
        window = ls.client_capabilities.window
        if not (window and window.work_done_progress):
            return
        if state in ("warming", "restarting") and "token" not in progress:
            token = progress["token"] = f"torchpeek-warmup-{uuid.uuid4().hex[:8]}"
            ls.work_done_progress.create(token)
            ls.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title="torchpeek", message="warming up torch")
            )
        elif state in ("ready", "error", "disabled") and "token" in progress:
            ls.work_done_progress.end(
                progress.pop("token"), types.WorkDoneProgressEnd(message=detail)
            )

    return report


def hover_content(ls: TorchpeekServer, markdown: str) -> types.MarkupContent:
    """Markdown for clients that announce it, else the same text as plain text."""
    hover = ls.client_capabilities.text_document and ls.client_capabilities.text_document.hover
    formats = (hover.content_format if hover else None) or []
    if types.MarkupKind.Markdown in formats:
        return types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown)
    return types.MarkupContent(kind=types.MarkupKind.PlainText, value=markdown_to_plain(markdown))


def _disabled_hover(ls: TorchpeekServer) -> types.Hover:
    text = "torchpeek: shape previews are off (untrusted workspace or `torchpeek.preview.enabled: false`)."
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


#: Longest document a hover previews; a longer one gets a note instead of a run.
MAX_PREVIEW_CHARS = 1_000_000


def in_document(doc: TextDocument, position: types.Position) -> bool:
    """Whether ``position`` names a place inside the document (the end of a line included)."""
    lines = doc.lines
    if not 0 <= position.line < max(1, len(lines)):
        return False
    text = lines[position.line] if lines else ""
    return 0 <= position.character <= len(text.encode("utf-16-le")) // 2


def _too_large_hover(size: int) -> types.Hover:
    text = (
        f"torchpeek: this document is too large to preview ({size:,} characters; "
        f"the limit is {MAX_PREVIEW_CHARS:,})."
    )
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


def register(server: TorchpeekServer) -> None:
    """Report worker state to the client and register the hover handler."""
    server.status_reporter = _status_reporter(server)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: TorchpeekServer, params: types.HoverParams) -> types.Hover | None:
        """Preview the value of the hovered name."""
        doc = ls.workspace.get_text_document(params.text_document.uri)
        if not is_python_document(doc):
            return None
        if not ls.settings.preview.enabled:
            return _disabled_hover(ls)
        if not in_document(doc, params.position):
            return None
        if len(doc.source) > MAX_PREVIEW_CHARS:
            return _too_large_hover(len(doc.source))
        result = await preview_at(ls, doc, params.position)
        if result is None:
            return None
        program, outcome, offset = result
        if outcome.get("cancelled"):
            return None
        line = program.line
        return types.Hover(
            contents=hover_content(ls, ls.preview.markdown(program, outcome, offset)),
            range=types.Range(
                start=types.Position(line=line, character=program.start),
                end=types.Position(line=line, character=program.end),
            ),
        )


async def preview_at(
    ls: TorchpeekServer, doc: TextDocument, position: types.Position, expr: str | None = None
) -> Any:
    """Run the preview for a position; returns (program, result, line offset) or None."""
    prefix = notebook_prefix(ls, doc)
    offset = prefix.count("\n")
    column = doc.position_codec.position_from_client_units(doc.lines, position).character
    filename = to_fs_path(doc.uri) or doc.uri
    folders = tuple(str(root) for root in ls.workspace_roots())
    found = await ls.preview.preview_source(
        doc.uri,
        doc.version,
        prefix + doc.source,
        position.line + offset,
        column,
        filename,
        expr,
        folders,
    )
    if found is None:
        return None
    program, result = found
    if offset:
        from dataclasses import replace

        program = replace(program, line=program.line - offset)
    return program, result, offset
