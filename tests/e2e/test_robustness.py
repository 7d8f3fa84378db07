"""The server survives bad input: unknown methods, malformed params, huge documents, bursts, closes."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, RawServer, close_doc, complete, hover_word, open_doc, session


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


def _position(line: int) -> dict:
    return {"line": line, "character": 0}


def test_malformed_protocol_messages_over_raw_stdio() -> None:
    """Garbage JSON and wrong param types are reported; the next request still works."""
    raw = RawServer()
    try:
        assert "result" in raw.initialize()
        raw.write_frame(b"{this is not json")
        raw.send("textDocument/completion", {"textDocument": 5}, 2)
        raw.open("file:///raw.py", "seed")
        position = {"line": 0, "character": 4}
        raw.send(
            "textDocument/completion",
            {"textDocument": {"uri": "file:///raw.py"}, "position": position},
            3,
        )
        seen: list[dict] = []
        answer = raw.response(3, seen)
        assert answer["result"]["items"][0]["label"] == "seed"
        errors = [m["params"]["message"] for m in seen if m.get("method") == "window/showMessage"]
        assert any("Expecting property name" in e for e in errors), errors
        assert any("Invalid Params" in e for e in errors), errors
    finally:
        raw.close()


def test_cancel_request_kills_the_running_preview() -> None:
    """$/cancelRequest on a slow hover answers it as cancelled; the next hover is quick."""
    raw = RawServer()
    try:
        raw.initialize()
        raw.open("file:///slow.py", "import time\ntime.sleep(4)\nk = 1\n")
        raw.open("file:///warm.py", "import torch\nw = torch.ones(1)\n")
        raw.open("file:///other.py", "import torch\nf = torch.ones(3, 4)\n")
        hover = lambda uri, line, rid: raw.send(  # noqa: E731
            "textDocument/hover", {"textDocument": {"uri": uri}, "position": _position(line)}, rid
        )
        hover("file:///warm.py", 1, 2)
        raw.response(2)
        hover("file:///slow.py", 2, 3)
        time.sleep(0.5)
        started = time.monotonic()
        raw.send("$/cancelRequest", {"id": 3})
        hover("file:///other.py", 1, 4)
        cancelled = raw.response(3)
        assert cancelled.get("error", {}).get("code") == -32800, cancelled  # RequestCancelled
        answer = raw.response(4)
        assert "torch.Size([3, 4])" in answer["result"]["contents"]["value"]
        assert time.monotonic() - started < 2.0, "the cancelled child kept the worker busy"
    finally:
        raw.close()


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
