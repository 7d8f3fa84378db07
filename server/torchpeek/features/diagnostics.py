"""Snippet problems as diagnostics: ``textDocument/publishDiagnostics`` on snippet files.

Every problem the loader found (broken YAML, schema violations, template and
snippet-syntax errors) is published on the file it came from, so the editor
underlines the offending line. Files whose problems were fixed get an empty list.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from ..server import TorchpeekServer
from ..snippets import Problem


def register(server: TorchpeekServer) -> None:
    """Diagnostics are pushed after each load; there is nothing to register."""


def to_diagnostic(problem: Problem) -> types.Diagnostic:
    """One loader problem as an LSP diagnostic (0-based, whole rest of the line)."""
    line = max(problem.line - 1, 0)
    col = max(problem.col - 1, 0)
    severity = (
        types.DiagnosticSeverity.Error
        if problem.severity == "error"
        else types.DiagnosticSeverity.Warning
    )
    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=line, character=col),
            end=types.Position(line=line, character=col + 200),
        ),
        message=problem.message,
        severity=severity,
        source="torchpeek",
    )


def publish_snippet_problems(ls: TorchpeekServer) -> None:
    """Publish the current problems and clear files that no longer have any."""
    by_uri: dict[str, list[types.Diagnostic]] = defaultdict(list)
    for problem in ls.snippets.db.problems:
        uri = from_fs_path(str(Path(problem.path).resolve())) or problem.path
        by_uri[uri].append(to_diagnostic(problem))
    for uri in ls.snippets.published - set(by_uri):
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )
    for uri, diagnostics in by_uri.items():
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )
    ls.snippets.published = set(by_uri)
