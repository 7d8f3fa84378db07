"""Clients without snippet support: plain text with the defaults filled in.

Two kinds: a client that applies the item's ``textEdit`` (eglot without yasnippet), and
Neovim's built-in omnifunc (0.7 as in the README), which keeps only items whose inserted text
starts with the typed word and inserts that text itself. The second gets the prefix as the
edit and a ``torchpeek.insertSnippet`` command; the README's ``CompleteDone`` hook runs it and
the server replaces the word with the body through ``workspace/applyEdit``.
"""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.client_filters import WORDS, omnifunc_filter, type_word
from tests.lsp_support import CONFIG, accept_server_requests, complete, open_doc

APPLIED: list[types.ApplyWorkspaceEditParams] = []


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def plain(lsp_client: LanguageClient):
    accept_server_requests(lsp_client)
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities())
    )
    yield
    await lsp_client.shutdown_session()


def neovim_07_capabilities() -> types.ClientCapabilities:
    """What ``vim.lsp.protocol.make_client_capabilities()`` sends in Neovim 0.7."""
    item = types.ClientCompletionItemOptions(
        snippet_support=False,
        commit_characters_support=False,
        preselect_support=False,
        deprecated_support=False,
        documentation_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText],
    )
    completion = types.CompletionClientCapabilities(
        dynamic_registration=False, completion_item=item, context_support=False
    )
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(completion=completion),
        workspace=types.WorkspaceClientCapabilities(apply_edit=True),
    )


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def neovim(lsp_client: LanguageClient):
    accept_server_requests(lsp_client)

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(
        ls: LanguageClient, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        APPLIED.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=neovim_07_capabilities(),
            client_info=types.ClientInfo(name="Neovim", version="0.7.2"),
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_plain_text_insertion(plain: LanguageClient) -> None:
    uri = open_doc(plain, "seed")
    result = await complete(plain, uri, 0, 4)
    item = result.items[0]
    assert item.label == "seed"
    assert item.insert_text_format == types.InsertTextFormat.PlainText
    text = item.text_edit.new_text  # type: ignore[union-attr]
    assert "${" not in text and "$0" not in text
    compile(text, "<seed>", "exec")


@pytest.mark.parametrize("word", WORDS)
async def test_omnifunc_keeps_the_exact_prefix_first(neovim: LanguageClient, word: str) -> None:
    shown = await type_word(neovim, word, omnifunc_filter)
    for n, items in enumerate(shown, start=1):
        assert items, f"omnifunc would show nothing after {word[:n]!r}"
    assert shown[-1][0].label == word


async def test_omnifunc_item_runs_the_insert_command(neovim: LanguageClient) -> None:
    uri = open_doc(neovim, '"""Doc."""\n\nckpt')
    item = (await complete(neovim, uri, 2, 4)).items[0]
    assert item.text_edit is not None and item.text_edit.new_text == "ckpt"
    assert item.command is not None and item.command.command == "torchpeek.insertSnippet"
    await neovim.workspace_execute_command_async(
        types.ExecuteCommandParams(command=item.command.command, arguments=item.command.arguments)
    )
    edits = APPLIED[-1].edit.changes[uri]  # type: ignore[index]
    body = next(e for e in edits if e.range.start.line == 2)
    assert body.range.end == types.Position(line=2, character=4), "the typed word is replaced"
    assert "os.replace(tmp_path, path)" in body.new_text and "${" not in body.new_text
    imports = "".join(e.new_text for e in edits if e is not body)
    assert "import os" in imports and "import torch" in imports


async def test_omnifunc_variant_command_carries_its_parameters(neovim: LanguageClient) -> None:
    uri = open_doc(neovim, "sched_plateau")
    item = (await complete(neovim, uri, 0, 13)).items[0]
    assert item.label == "sched_plateau"
    await neovim.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=item.command.command,  # type: ignore[union-attr]
            arguments=item.command.arguments,  # type: ignore[union-attr]
        )
    )
    text = "".join(e.new_text for e in APPLIED[-1].edit.changes[uri])  # type: ignore[index]
    assert "ReduceLROnPlateau" in text
