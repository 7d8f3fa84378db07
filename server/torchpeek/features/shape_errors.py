"""Shape errors as diagnostics: ``textDocument/publishDiagnostics`` on Python files.

When the background trace of a file fails, one diagnostic goes on the line of
the file where it failed (the innermost frame in the file), with a one-line
message; the full explanation is its related information. A later version
that runs clean clears it. Failures that come from the preview sandbox rather
than the user's code (a blocked write, a time or memory limit, a crash of the
worker) are information at most, never errors. These are kept apart from the
diagnostics of snippet files (``features/diagnostics.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..sandbox.inline import error_line
from ..server import TorchpeekServer

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

SOURCE = "torchpeek"
# Failures of the preview's own limits or of the worker: never the user's bug.
SANDBOX_ONLY = {
    "TimeoutError",
    "ResourceError",
    "InternalError",
    "WorkerCrash",
    "OutOfTime",
    "NotReached",
    "SystemExit",
    "SyntaxError",  # the user is typing; the editor's own checker reports it
    "IndentationError",
}
# Errors the sandbox can cause (writes outside scratch, memory limit, unreadable files).
MAYBE_SANDBOX = {
    "PermissionError",
    "MemoryError",
    "OutOfMemoryError",
    "ImportError",
    "ModuleNotFoundError",
}


def _severity(error: dict[str, Any]) -> types.DiagnosticSeverity | None:
    kind = str(error.get("type", ""))
    if kind in SANDBOX_ONLY or not isinstance(error.get("line"), int):
        return None
    if kind in MAYBE_SANDBOX:
        return types.DiagnosticSeverity.Information
    return types.DiagnosticSeverity.Error


def _explanation(error: dict[str, Any]) -> list[str]:
    """The full message, the failing layer as torch prints it, and a real-CPU retry."""
    parts = [str(error.get("message") or error.get("summary") or "")]
    layer = error.get("layer")
    if isinstance(layer, dict) and layer.get("layer"):
        inputs = ", ".join(layer.get("inputs", [])) or "?"
        parts.append(f"layer {layer.get('name') or '?'} = {layer['layer']}, called with {inputs}")
    if error.get("real_run"):
        parts.append(f"a run on the real CPU failed too: {error['real_run']}")
    return [p for p in parts if p]


def diagnostic_for(doc: TextDocument, result: dict[str, Any]) -> types.Diagnostic | None:
    """The diagnostic of a failed trace, or None when there is nothing to show as the user's."""
    error = result.get("error")
    if result.get("ok") or result.get("cancelled") or not isinstance(error, dict):
        return None
    severity = _severity(error)
    if severity is None:
        return None
    row = min(max(int(error["line"]) - 1, 0), max(len(doc.lines) - 1, 0))
    text = doc.lines[row].rstrip("\r\n") if doc.lines else ""
    start = len(text) - len(text.lstrip())
    where = types.Range(
        start=types.Position(line=row, character=doc.position_codec.client_num_units(text[:start])),
        end=types.Position(line=row, character=doc.position_codec.client_num_units(text)),
    )
    location = types.Location(uri=doc.uri, range=where)
    related = [types.DiagnosticRelatedInformation(location, part) for part in _explanation(error)]
    message = error_line(error)
    if severity == types.DiagnosticSeverity.Information:
        message += " (in the preview sandbox; the code may run fine outside it)"
    return types.Diagnostic(
        range=where,
        message=message,
        severity=severity,
        source=SOURCE,
        code=str(error.get("type", "")),
        related_information=related,
    )


def publish(ls: TorchpeekServer, doc: TextDocument, result: dict[str, Any]) -> None:
    """Publish the trace's shape error on ``doc``, or clear the last one when it ran clean."""
    found = diagnostic_for(doc, result) if ls.settings.diagnostics_enabled else None
    if found is None and doc.uri not in ls.shape_errors:
        return
    diagnostics = [found] if found is not None else []
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=diagnostics, version=doc.version)
    )
    if found is None:
        ls.shape_errors.discard(doc.uri)
    else:
        ls.shape_errors.add(doc.uri)


def clear(ls: TorchpeekServer, uri: str) -> None:
    """Remove the shape error of a closed file."""
    if uri in ls.shape_errors:
        ls.shape_errors.discard(uri)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


def register(server: TorchpeekServer) -> None:
    """Shape errors are published when a trace finishes; there is nothing to register."""
