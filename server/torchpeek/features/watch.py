"""Reloading snippets without a restart: ``workspace/didChangeWatchedFiles``,
``textDocument/didSave`` of a snippet file and ``workspace/didChangeConfiguration``.
"""

from __future__ import annotations

from lsprotocol import types

from ..server import TorchpeekServer

SNIPPET_SUFFIXES = (".yaml", ".yml", ".code-snippets", ".json")


def is_snippet_uri(uri: str) -> bool:
    """Whether a saved or changed file can hold snippets."""
    return uri.endswith(SNIPPET_SUFFIXES)


def register(server: TorchpeekServer) -> None:
    """Register the reload triggers."""

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def on_did_change_watched_files(
        ls: TorchpeekServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        """A snippet file changed on disk: reload."""
        if any(is_snippet_uri(change.uri) for change in params.changes):
            ls.start_loading()

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def on_did_save(ls: TorchpeekServer, params: types.DidSaveTextDocumentParams) -> None:
        """A snippet file was saved in the editor: reload."""
        if is_snippet_uri(params.text_document.uri):
            ls.start_loading()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def on_did_change_configuration(
        ls: TorchpeekServer, params: types.DidChangeConfigurationParams
    ) -> None:
        """New settings: apply them, reload snippets and restart the worker if needed."""
        before = ls.settings
        ls.apply_settings(params.settings)
        if ls.settings.snippet_paths != before.snippet_paths:
            ls.start_loading()
        ls.preview.configure(ls.settings)
