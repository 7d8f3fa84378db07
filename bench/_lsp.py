"""Shared pieces of the torchpeek benchmarks: an LSP session over stdio, statistics, tables.

``Session`` starts a server process (torchpeek or the floor server) with pygls'
``LanguageClient``, answers the requests an editor answers, records
``torchpeek/status`` notifications and offers the few LSP calls the benches
time. Everything here measures; nothing asserts on timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
TORCHPEEK = [sys.executable, "-m", "torchpeek", "serve"]
FLOOR_SERVER = ROOT / "bench" / "floor_server.py"
DOC_DIR = "/tmp/torchpeek-bench"

CAPABILITIES = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        completion=types.CompletionClientCapabilities(
            completion_item=types.ClientCompletionItemOptions(snippet_support=True)
        ),
        hover=types.HoverClientCapabilities(
            content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]
        ),
    ),
    window=types.WindowClientCapabilities(work_done_progress=True),
    workspace=types.WorkspaceClientCapabilities(
        did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
            dynamic_registration=True
        )
    ),
)


def now_ms() -> float:
    return time.perf_counter() * 1000


class Session:
    """One server process driven like an editor drives it."""

    def __init__(self, command: Sequence[str]) -> None:
        self.argv = list(command)
        self.client = LanguageClient("torchpeek-bench", "0")
        self.statuses: list[dict[str, Any]] = []
        self.state_changed = asyncio.Event()
        self.versions: dict[str, int] = {}
        self._drain: asyncio.Task[None] | None = None
        self._register_handlers()

    def _register_handlers(self) -> None:
        client = self.client

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def _register(params: Any) -> None:
            return None

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def _progress(params: Any) -> None:
            return None

        @client.feature(types.PROGRESS)
        def _progress_note(params: Any) -> None:
            return None

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def _log(params: Any) -> None:
            return None

        @client.feature("torchpeek/status")
        def _status(params: Any) -> None:
            if hasattr(params, "_asdict"):
                params = params._asdict()
            self.statuses.append(dict(params) if isinstance(params, dict) else {"raw": params})
            self.state_changed.set()

    # -- process --------------------------------------------------------------
    async def start(self) -> None:
        await self.client.start_io(*self.argv)
        process = self.client._server
        if process is not None and process.stderr is not None:
            self._drain = asyncio.get_running_loop().create_task(_drain(process.stderr))

    @property
    def pid(self) -> int:
        assert self.client._server is not None
        return self.client._server.pid

    async def initialize(
        self, options: dict[str, Any] | None = None, send_initialized: bool = True
    ) -> types.InitializeResult:
        root = ROOT / "tests" / "data" / "workspace"
        if not root.is_dir():
            root = Path(DOC_DIR)
            root.mkdir(parents=True, exist_ok=True)
        result = await self.client.initialize_async(
            types.InitializeParams(
                capabilities=CAPABILITIES,
                locale="en",
                process_id=os.getpid(),
                initialization_options=options or {},
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
            )
        )
        if send_initialized:
            self.client.initialized(types.InitializedParams())
        return result

    def state(self) -> str | None:
        return str(self.statuses[-1].get("state")) if self.statuses else None

    async def wait_ready(self, timeout: float = 120.0) -> str:
        """Wait for torchpeek/status ready (or error/disabled); returns the final state."""
        deadline = time.monotonic() + timeout
        while self.state() not in ("ready", "error", "disabled"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return f"timeout (last state {self.state()})"
            self.state_changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.state_changed.wait(), remaining)
        return str(self.state())

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.shutdown_async(None), 10)
        with contextlib.suppress(Exception):
            self.client.exit(None)
        process = self.client._server
        if process is not None:
            try:
                await asyncio.wait_for(process.wait(), 10)
            except asyncio.TimeoutError:
                process.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.stop(), 5)
        if self._drain is not None:
            self._drain.cancel()

    # -- documents ------------------------------------------------------------
    def open(self, name: str, text: str) -> str:
        uri = f"file://{DOC_DIR}/{name}"
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        return uri

    def replace(self, uri: str, text: str) -> int:
        """Send the whole new text as a new version; returns the version."""
        return self._change(uri, types.TextDocumentContentChangeWholeDocument(text=text))

    def edit(self, uri: str, start: types.Position, end: types.Position, text: str) -> int:
        """An incremental change, as an editor sends for each keystroke."""
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=start, end=end), text=text
        )
        return self._change(uri, change)

    def _change(self, uri: str, change: Any) -> int:
        version = self.versions[uri] = self.versions[uri] + 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )
        return version

    # -- requests ---------------------------------------------------------------
    async def complete(self, uri: str, line: int, character: int) -> Any:
        return await self.client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
            )
        )

    async def hover(self, uri: str, line: int, character: int) -> types.Hover | None:
        return await self.client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
            )
        )

    async def command(self, name: str, argument: dict[str, Any] | None = None) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=[argument or {}])
        )

    def to_json(self, value: Any) -> Any:
        return self.client.protocol._converter.unstructure(value)


async def _drain(stream: asyncio.StreamReader) -> None:
    """Read the server's stderr so a chatty log never blocks its pipe."""
    with contextlib.suppress(Exception):
        while await stream.read(65536):
            pass


def hover_text(hover: types.Hover | None) -> str:
    if hover is None:
        return ""
    contents = hover.contents
    return contents.value if isinstance(contents, types.MarkupContent) else str(contents)


# -- statistics and tables -------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def p99(values: Sequence[float]) -> float:
    """Nearest-rank 99th percentile (the maximum below 100 samples)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], title: str = "") -> str:
    """Plain-text table: first column left-aligned, the rest right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = [cells[0].ljust(widths[0])]
        out += [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(out).rstrip()

    parts = [title] if title else []
    parts += [line(headers), "  ".join("-" * w for w in widths)]
    parts += [line(row) for row in rows]
    return "\n".join(parts)


def machine_line() -> str:
    import platform

    return (
        f"python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {load_line()}"
    )


def load_line() -> str:
    """The 1/5/15-minute load averages: other work on the machine skews the numbers."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"
