"""The server survives bad input: unknown methods, malformed params, huge documents, bursts, closes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, SERVER, close_doc, complete, hover_word, open_doc, session


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client):
        yield


async def _still_serving(client: LanguageClient) -> None:
    uri = open_doc(client, "seed")
    assert (await complete(client, uri, 0, 4)).items[0].label == "seed"


async def test_unknown_method(client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException):
        await client.protocol.send_request_async("torchpeek/noSuchMethod", {"x": 1})
    await _still_serving(client)


def _frame(payload: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)


def _read_message(stream) -> dict:
    length = 0
    while True:
        line = stream.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def _response(stream, request_id: int, seen: list[dict] | None = None) -> dict:
    while True:
        message = _read_message(stream)
        if message.get("id") == request_id and "method" not in message:
            return message
        if seen is not None:
            seen.append(message)


def test_malformed_protocol_messages_over_raw_stdio() -> None:
    """Garbage JSON, wrong param types and a bad header; the next request still works."""
    proc = subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        send = lambda obj: proc.stdin.write(_frame(json.dumps(obj).encode()))  # noqa: E731
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
        proc.stdin.flush()
        assert "result" in _response(proc.stdout, 1)
        send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        proc.stdin.write(_frame(b"{this is not json"))
        send(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "textDocument/completion",
                "params": {"textDocument": 5},
            }
        )
        doc = {"uri": "file:///raw.py", "languageId": "python", "version": 1, "text": "seed"}
        send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": doc}})
        params = {
            "textDocument": {"uri": "file:///raw.py"},
            "position": {"line": 0, "character": 4},
        }
        send({"jsonrpc": "2.0", "id": 3, "method": "textDocument/completion", "params": params})
        proc.stdin.flush()
        seen: list[dict] = []
        answer = _response(proc.stdout, 3, seen)
        assert answer["result"]["items"][0]["label"] == "seed"
        errors = [m["params"]["message"] for m in seen if m.get("method") == "window/showMessage"]
        assert any("Expecting property name" in e for e in errors), errors
        assert any("Invalid Params" in e for e in errors), errors
    finally:
        proc.kill()
        proc.wait()


def test_cancel_request_kills_the_running_preview() -> None:
    """$/cancelRequest on a slow hover answers it as cancelled; the next hover is quick."""
    proc = subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        send = lambda obj: proc.stdin.write(_frame(json.dumps(obj).encode()))  # noqa: E731
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
        proc.stdin.flush()
        _response(proc.stdout, 1)
        send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        slow = {
            "uri": "file:///slow.py",
            "languageId": "python",
            "version": 1,
            "text": "import time\ntime.sleep(4)\nk = 1\n",
        }
        fast = {
            "uri": "file:///fast.py",
            "languageId": "python",
            "version": 1,
            "text": "import torch\nf = torch.ones(3, 4)\n",
        }
        for doc in (slow, fast):
            send(
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {"textDocument": doc},
                }
            )
        hover = {
            "textDocument": {"uri": "file:///fast.py"},
            "position": {"line": 1, "character": 0},
        }
        send(
            {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": hover}
        )  # warm up
        proc.stdin.flush()
        _response(proc.stdout, 2)
        hover_slow = {
            "textDocument": {"uri": "file:///slow.py"},
            "position": {"line": 2, "character": 0},
        }
        send({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": hover_slow})
        proc.stdin.flush()
        time.sleep(0.5)
        started = time.monotonic()
        send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 3}})
        fresh = {
            "textDocument": {"uri": "file:///fast.py"},
            "position": {"line": 1, "character": 0},
        }
        send({"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": {**fresh}})
        proc.stdin.flush()
        cancelled = _response(proc.stdout, 3)
        assert cancelled.get("error", {}).get("code") == -32800, cancelled  # RequestCancelled
        answer = _response(proc.stdout, 4)
        assert "torch.Size([3, 4])" in answer["result"]["contents"]["value"]
        assert time.monotonic() - started < 2.0, "the cancelled child kept the worker busy"
    finally:
        proc.kill()
        proc.wait()


async def test_malformed_command_arguments(client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="torchpeek.insertSnippet", arguments=["not an object"]
            )
        )
    await _still_serving(client)


async def test_ten_megabyte_document(client: LanguageClient) -> None:
    line = "value = [1, 2, 3]  # filler to make the document large\n"
    text = "import torch\n" + line * (10_000_000 // len(line)) + "seed"
    uri = open_doc(client, text)
    last = text.count("\n")
    result = await complete(client, uri, last, 4)
    assert result.items[0].label == "seed"


async def test_burst_of_changes(client: LanguageClient) -> None:
    uri = open_doc(client, "")
    text = ""
    for version in range(2, 1002):
        text += "x"
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=0, character=version - 2),
                            end=types.Position(line=0, character=version - 2),
                        ),
                        text="x",
                    )
                ],
            )
        )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=1002),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(
                    text="import torch\nw = torch.ones(5)\n"
                )
            ],
        )
    )
    from tests.lsp_support import hover_text

    text = await hover_text(client, uri, types.Position(line=1, character=0))
    assert text is not None and "torch.Size([5])" in text


async def test_document_closed_mid_request(client: LanguageClient) -> None:
    uri = open_doc(client, "import torch\nimport time\ntime.sleep(0.5)\nv = torch.ones(3)\n")
    hover = asyncio.ensure_future(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=3, character=0),
            )
        )
    )
    await asyncio.sleep(0.05)
    close_doc(client, uri)
    await asyncio.wait_for(hover, 10)
    text = await hover_word(client, "import torch\nu = torch.ones(6)\n", "u")
    assert text is not None and "torch.Size([6])" in text


async def test_newer_hover_on_same_document_cancels_older(client: LanguageClient) -> None:
    text = "import time\nimport torch\ntime.sleep(4)\nk = 1\nn = torch.ones(2, 2)\n"
    uri = open_doc(client, text)
    slow = asyncio.ensure_future(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=3, character=0),
            )
        )
    )
    await asyncio.sleep(0.3)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(
                    text="import torch\nn = torch.ones(2, 2)\n"
                )
            ],
        )
    )
    started = asyncio.get_running_loop().time()
    from tests.lsp_support import hover_text

    fresh = await hover_text(client, uri, types.Position(line=1, character=0))
    assert fresh is not None and "torch.Size([2, 2])" in fresh
    assert asyncio.get_running_loop().time() - started < 3
    assert await asyncio.wait_for(slow, 5) is None
