"""Background traces of open Python files: ``textDocument/didOpen``, ``didChange`` and ``didClose``.

Each new version of a Python file is traced once in the background (see
``sandbox/traces.py``); inlay hints and shape-error diagnostics are both read
from that one run. When a trace of the current version finishes, the client is
asked to refresh its inlay hints and the file's diagnostics are published.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from ..features import inlay_hints, shape_errors
from ..features.completion import is_python_document
from ..server import TorchpeekServer

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from ..sandbox.traces import Trace

# Larger documents are generated or data, not code worth tracing on every edit.
MAX_TRACE_CHARS = 1_000_000


def wants_trace(ls: TorchpeekServer, doc: TextDocument) -> bool:
    """Python files (not notebook cells) while previews and a trace consumer are on."""
    settings = ls.settings
    return (
        settings.preview.enabled
        and (settings.inlay_hints.enabled or settings.diagnostics_enabled)
        and is_python_document(doc)
        and not doc.uri.startswith("vscode-notebook-cell")
        and len(doc.source) <= MAX_TRACE_CHARS
    )


def trace(ls: TorchpeekServer, doc: TextDocument) -> Trace | None:
    """Schedule (or find) the trace of the document's current version."""
    if not wants_trace(ls, doc):
        return None
    filename = to_fs_path(doc.uri) or doc.uri
    folders = tuple(str(root) for root in ls.workspace_roots())
    return ls.preview.trace_document(doc.uri, doc.version, doc.source, filename, folders)


def _on_trace(ls: TorchpeekServer, finished: Trace, result: dict[str, Any]) -> None:
    """A trace finished: publish its diagnostics and ask for fresh hints if it is current."""
    doc = ls.workspace.text_documents.get(finished.uri)
    if doc is None or doc.version != finished.version:
        return
    shape_errors.publish(ls, doc, result)
    inlay_hints.refresh(ls)


def register(server: TorchpeekServer) -> None:
    """Trace Python files as they open and change; forget them when they close."""
    server.preview.traces.listeners.append(lambda t, r: _on_trace(server, t, r))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def on_did_open(ls: TorchpeekServer, params: types.DidOpenTextDocumentParams) -> None:
        """Trace the file as it opens."""
        trace(ls, ls.workspace.get_text_document(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def on_did_change(ls: TorchpeekServer, params: types.DidChangeTextDocumentParams) -> None:
        """Trace the new version; the older version's trace is cancelled."""
        trace(ls, ls.workspace.get_text_document(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def on_did_close(ls: TorchpeekServer, params: types.DidCloseTextDocumentParams) -> None:
        """Stop tracing the file and clear its shape errors."""
        ls.preview.traces.forget(params.text_document.uri)
        shape_errors.clear(ls, params.text_document.uri)
