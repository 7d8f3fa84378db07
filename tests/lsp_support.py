"""Helpers shared by the end-to-end tests: start the real server, open documents, hover, complete.

Every e2e test talks to ``python -m torchpeek serve`` over stdio through
pytest-lsp, exactly as an editor does. The server runs in this interpreter; the
preview worker runs in ``TORCHPEEK_WORKER_PYTHON`` when that is set (the
``python`` option, as an editor would send it), so the same tests cover another
torch build.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from itertools import count
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, "-m", "torchpeek", "serve"]
# The interpreter of the preview worker (empty: the server's own).
WORKER_PYTHON = os.environ.get("TORCHPEEK_WORKER_PYTHON", "")
CONFIG = ClientServerConfig(server_command=SERVER)
_versions = count(1)


def init_params(
    locale: str = "en", options: dict[str, Any] | None = None, root: Path | None = None
) -> types.InitializeParams:
    """VS Code's capabilities, a locale and torchpeek options."""
    root = root or ROOT / "tests" / "data" / "workspace"
    options = dict(options or {})
    if WORKER_PYTHON:
        options.setdefault("python", WORKER_PYTHON)
    return types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        locale=locale,
        initialization_options=options,
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
    )


def accept_server_requests(client: LanguageClient) -> list[Any]:
    """Answer what an editor answers (watchers, progress) and record torchpeek/status."""
    statuses: list[Any] = []
    handlers = {
        types.CLIENT_REGISTER_CAPABILITY: lambda ls, params: None,
        types.WINDOW_WORK_DONE_PROGRESS_CREATE: lambda ls, params: None,
        "torchpeek/status": lambda ls, params: statuses.append(params),
    }
    registered = client.protocol.fm.features
    for method, handler in handlers.items():
        if method not in registered:
            client.feature(method)(handler)
    return statuses


async def session(client: LanguageClient, **kwargs: Any) -> AsyncIterator[None]:
    """Initialize, yield to the tests, shut down."""
    client.torchpeek_status = accept_server_requests(client)  # type: ignore[attr-defined]
    await client.initialize_session(init_params(**kwargs))
    yield
    await client.shutdown_session()


def open_doc(
    client: LanguageClient, text: str, name: str | None = None, language: str = "python"
) -> str:
    """Open a document with a fresh URI and return it."""
    n = next(_versions)
    uri = f"file:///tmp/torchpeek-tests/{name or f'doc{n}.py'}"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=text
            )
        )
    )
    return uri


def close_doc(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


def last_occurrence(text: str, word: str) -> types.Position:
    """Position of the last whole-word occurrence of ``word``."""
    matches = list(re.finditer(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", text))
    assert matches, f"{word!r} not in document"
    offset = matches[-1].start()
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return types.Position(line=line, character=column)


async def hover_text(client: LanguageClient, uri: str, position: types.Position) -> str | None:
    """The hover's Markdown, or None when there is no hover."""
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
    )
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def hover_word(client: LanguageClient, text: str, word: str) -> str | None:
    """Open ``text`` and hover the last occurrence of ``word``."""
    uri = open_doc(client, text)
    return await hover_text(client, uri, last_occurrence(text, word))


async def complete(
    client: LanguageClient, uri: str, line: int, character: int
) -> types.CompletionList:
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
        )
    )
    assert isinstance(result, types.CompletionList)
    return result


async def command(client: LanguageClient, name: str, argument: dict[str, Any] | None = None) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=[argument or {}])
    )


class RawServer:
    """The server over raw stdio, for messages a well-behaved client library won't send."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin = self.process.stdin
        self.stdout = self.process.stdout

    def write_frame(self, payload: bytes) -> None:
        self.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))
        self.stdin.flush()

    def send(self, method: str, params: Any = None, request_id: int | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request_id is not None:
            message["id"] = request_id
        self.write_frame(json.dumps(message).encode())

    def read_message(self) -> dict[str, Any]:
        length = 0
        while True:
            line = self.stdout.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length"):
                length = int(line.split(b":")[1])
        return json.loads(self.stdout.read(length))

    def response(self, request_id: int, seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Read until the response to ``request_id``; other messages go to ``seen``."""
        while True:
            message = self.read_message()
            if message.get("id") == request_id and "method" not in message:
                return message
            if seen is not None:
                seen.append(message)

    def initialize(self) -> dict[str, Any]:
        self.send("initialize", {"capabilities": {}}, 1)
        result = self.response(1)
        self.send("initialized", {})
        return result

    def open(self, uri: str, text: str) -> None:
        doc = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        self.send("textDocument/didOpen", {"textDocument": doc})

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
