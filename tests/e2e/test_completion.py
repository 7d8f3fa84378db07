"""Completion and resolve against the real server: items, text edits, imports, locale."""

from __future__ import annotations

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, complete, open_doc, session


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client, locale="ko"):
        yield


async def test_seed_prefix_offers_seed_snippet_first(client: LanguageClient) -> None:
    uri = open_doc(client, "seed")
    result = await complete(client, uri, 0, 4)
    first = result.items[0]
    assert first.label == "seed"
    assert first.kind == types.CompletionItemKind.Snippet
    assert first.insert_text_format == types.InsertTextFormat.Snippet
    assert isinstance(first.text_edit, types.TextEdit)
    assert first.text_edit.range.start == types.Position(line=0, character=0)
    assert first.text_edit.range.end == types.Position(line=0, character=4)
    assert "${1" in first.text_edit.new_text
    assert first.label_details is not None and first.filter_text
    assert [i.sort_text for i in result.items] == sorted(i.sort_text for i in result.items)


async def test_imports_go_after_docstring_and_future_without_duplicates(
    client: LanguageClient,
) -> None:
    text = '"""Module doc."""\nfrom __future__ import annotations\n\nimport torch.nn as nn\n\nx = 1\nckpt'
    uri = open_doc(client, text)
    result = await complete(client, uri, 6, 4)
    item = next(i for i in result.items if i.label == "ckpt")
    edits = item.additional_text_edits or []
    added = "".join(e.new_text for e in edits)
    assert "import torch\n" in added
    assert "import torch.nn as nn" not in added
    assert all(e.range.start.line >= 2 for e in edits)


async def test_aliased_import_is_recognised(client: LanguageClient) -> None:
    uri = open_doc(
        client, "from torch import nn\nimport torch\nimport numpy as np\nimport random\nseed"
    )
    result = await complete(client, uri, 4, 4)
    item = next(i for i in result.items if i.label == "seed")
    assert not item.additional_text_edits


async def test_resolve_gives_korean_markdown_with_code(client: LanguageClient) -> None:
    uri = open_doc(client, "cv2")
    result = await complete(client, uri, 0, 3)
    item = next(i for i in result.items if i.label == "cv2")
    resolved = await client.completion_item_resolve_async(item)
    assert isinstance(resolved.documentation, types.MarkupContent)
    doc = resolved.documentation.value
    assert "```python" in doc and "cv2.imread" in doc
    assert any("\uac00" <= ch <= "\ud7a3" for ch in doc), "expected a Korean description"
    assert "torch.Size([1, 3, 480, 640])" in doc


async def test_notebook_cell_and_untitled_documents(client: LanguageClient) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri="untitled:Untitled-1", language_id="python", version=1, text="gpu"
            )
        )
    )
    result = await complete(client, "untitled:Untitled-1", 0, 3)
    assert any(i.label.startswith("gpu") for i in result.items)


async def test_no_completions_in_comments_or_other_languages(client: LanguageClient) -> None:
    uri = open_doc(client, "# seed")
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=6),
        )
    )
    assert result is None
    md = open_doc(client, "seed", name="notes.md", language="markdown")
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=md),
            position=types.Position(line=0, character=4),
        )
    )
    assert result is None


async def test_indentation_follows_the_cursor_line(client: LanguageClient) -> None:
    uri = open_doc(client, "def main():\n    ckpt")
    result = await complete(client, uri, 1, 8)
    body = result.items[0].text_edit.new_text  # type: ignore[union-attr]
    later = [line for line in body.split("\n")[1:] if line.strip()]
    assert later and all(line.startswith("    ") for line in later)


async def test_resolve_includes_live_preview_after_warm_up(client: LanguageClient) -> None:
    """The snippet's fixture runs in the worker in the background; resolve then shows it."""
    import asyncio

    uri = open_doc(client, "cv2")
    item = next(i for i in (await complete(client, uri, 0, 3)).items if i.label == "cv2")
    for _ in range(900):  # snippets warm one at a time once the editor is idle
        resolved = await client.completion_item_resolve_async(item)
        doc = resolved.documentation.value  # type: ignore[union-attr]
        if "Live preview" in doc:
            break
        await asyncio.sleep(0.1)
    live = doc.split("Live preview", 1)[1]
    assert "torch.Size([1, 3, 480, 640])" in live and "torch.float32" in live
