"""A client without snippet support gets plain text with the defaults filled in."""

from __future__ import annotations

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, accept_server_requests, complete, open_doc


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    accept_server_requests(lsp_client)
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities())
    )
    yield
    await lsp_client.shutdown_session()


async def test_plain_text_insertion(client: LanguageClient) -> None:
    uri = open_doc(client, "seed")
    result = await complete(client, uri, 0, 4)
    item = result.items[0]
    assert item.insert_text_format == types.InsertTextFormat.PlainText
    text = item.text_edit.new_text  # type: ignore[union-attr]
    assert "${" not in text and "$0" not in text
    compile(text, "<seed>", "exec")
