"""The torchpeek language server: typed state shared by the feature modules.

``TorchpeekServer`` holds the settings, the snippet database and the preview
worker. Each LSP feature lives in its own module under ``features/`` and
registers its handlers through :func:`create_server`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__
from .rpc import TorchpeekProtocol
from .sandbox.service import PreviewService
from .settings import Settings, parse_settings
from .snippets import Database, load_database

log = logging.getLogger(__name__)

NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithCells(
            cells=[types.NotebookCellLanguage(language="python")],
            notebook="*",
        )
    ]
)


@dataclass
class SnippetState:
    """The loaded database and a generation counter that invalidates caches."""

    db: Database = field(default_factory=Database)
    generation: int = 0
    published: set[str] = field(default_factory=set)


class TorchpeekServer(LanguageServer):
    """A pygls server with torchpeek's own state."""

    def __init__(self) -> None:
        super().__init__(
            "torchpeek",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=NOTEBOOK_SYNC,
            protocol_cls=TorchpeekProtocol,
        )
        self.settings = Settings()
        self.client_locale = "en"
        self.client_name = ""  # clientInfo.name from initialize; completion adapts to Neovim
        self.snippets = SnippetState()
        self.shape_errors: set[str] = set()  # documents with a published shape error
        self._loading: asyncio.Task[Database] | None = None
        # features.hover sets how worker state reaches the client (notification, progress)
        self.status_reporter: Callable[[str, str, bool], None] = lambda state, detail, sim: None
        self.preview = PreviewService(self.settings, self._report_status)

    def _report_status(self, state: str, detail: str, simulated: bool) -> None:
        self.status_reporter(state, detail, simulated)

    # -- settings -------------------------------------------------------------
    def apply_settings(self, raw: object) -> None:
        """Merge a client's settings object and report values that were ignored."""
        self.settings, warnings = parse_settings(raw, self.settings)
        for warning in warnings:
            self.warn(warning)

    @property
    def locale(self) -> str:
        """The language for descriptions: the setting, else the client's locale."""
        chosen = self.settings.locale
        return self.client_locale if chosen == "auto" else chosen

    # -- logging ----------------------------------------------------------------
    def warn(self, message: str) -> None:
        """Log to stderr and to the client's output channel."""
        log.warning(message)
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Warning, message=message)
        )

    def info(self, message: str) -> None:
        log.info(message)
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Info, message=message)
        )

    # -- snippets ---------------------------------------------------------------
    def workspace_roots(self) -> list[Path]:
        """File-system roots of the open workspace folders."""
        roots = []
        for folder in self.workspace.folders.values():
            path = to_fs_path(folder.uri)
            if path:
                roots.append(Path(path))
        if not roots and self.workspace.root_path:
            roots.append(Path(self.workspace.root_path))
        return roots

    def snippet_dirs(self) -> list[Path]:
        """User snippet sources, in override order: settings first, then workspaces."""
        roots = self.workspace_roots()
        dirs: list[Path] = []
        for raw in self.settings.snippet_paths:
            path = Path(raw).expanduser()
            if not path.is_absolute() and roots:
                path = roots[0] / path
            dirs.append(path)
        for root in roots:
            candidate = root / ".torchpeek" / "snippets"
            if candidate.is_dir():
                dirs.append(candidate)
        return dirs

    def start_loading(self) -> asyncio.Task[Database]:
        """Reload the database in a thread; completions wait for it."""
        dirs = self.snippet_dirs()
        self._loading = asyncio.get_running_loop().create_task(
            asyncio.to_thread(load_database, dirs)
        )
        self._loading.add_done_callback(self._loaded)
        return self._loading

    def _loaded(self, task: asyncio.Task[Database]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self.warn(f"torchpeek: loading snippets failed: {error!r}")
            return
        self.snippets.db = task.result()
        self.snippets.generation += 1
        db = self.snippets.db
        self.info(f"torchpeek: {len(db.snippets)} snippets, {len(db.problems)} problems")
        from .features.diagnostics import publish_snippet_problems

        publish_snippet_problems(self)
        if self.settings.preview.enabled:
            snippets = list(db.snippets.values())
            asyncio.get_running_loop().create_task(self.preview.warm_snippets(snippets))

    async def database(self) -> Database:
        """The current database, waiting for a load in progress."""
        if self._loading is None:
            self.start_loading()
        assert self._loading is not None
        if not self._loading.done():
            await asyncio.shield(self._loading)
        return self.snippets.db


def create_server() -> TorchpeekServer:
    """A server with every feature registered."""
    from .features import register_all

    server = TorchpeekServer()
    register_all(server)
    return server
