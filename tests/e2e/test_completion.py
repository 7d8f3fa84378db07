"""Completion and resolve against the real server: ranking as clients filter, context, edits.

Ranking is checked the way editors use the list (see ``client_filters``): the client asks
once, then filters and sorts the same list itself on every keystroke, asking again only when
the list said ``isIncomplete``.
"""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.client_filters import (
    MAX_ITEMS,
    WORDS,
    Filter,
    fuzzy_filter,
    prefix_filter,
    type_word,
)
from tests.lsp_support import CONFIG, complete, open_doc, session


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client, locale="ko"):
        yield


@pytest.mark.parametrize("keep", [fuzzy_filter, prefix_filter], ids=["fuzzy", "prefix"])
@pytest.mark.parametrize("word", WORDS)
async def test_exact_prefix_first_at_every_keystroke(
    client: LanguageClient, word: str, keep: Filter
) -> None:
    shown = await type_word(client, word, keep)
    for n, items in enumerate(shown, start=1):
        typed = word[:n]
        assert items, f"nothing shown after typing {typed!r}"
        labels = [i.label for i in items]
        if typed in labels:
            assert labels[0] == typed, f"after {typed!r}: {labels[:5]}"
        else:
            assert labels[0].startswith(typed), f"after {typed!r}: {labels[:5]}"
    assert shown[-1][0].label == word


async def test_plain_client_text_edit_is_the_body(client: LanguageClient) -> None:
    uri = open_doc(client, "seed")
    first = (await complete(client, uri, 0, 4)).items[0]
    assert first.label == "seed" and first.filter_text == "seed"
    assert first.kind == types.CompletionItemKind.Snippet
    assert first.insert_text_format == types.InsertTextFormat.Snippet
    assert isinstance(first.text_edit, types.TextEdit)
    assert first.text_edit.range.start == types.Position(line=0, character=0)
    assert first.text_edit.range.end == types.Position(line=0, character=4)
    assert "${1" in first.text_edit.new_text and "manual_seed" in first.text_edit.new_text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("import torch\ntorch.", "after torch."),
        ("import torch\ntorch.cat", "after torch.cat"),
        ("x = 1\nx.view", "after x.view"),
        ("optimizer.zero_grad", "after optimizer.zero_grad"),
        ("model.eval", "after model.eval"),
        ("x = torch . see", "after a spaced dot"),
        ('s = "seed', "in a string"),
        ("s = 'ckpt", "in a single-quoted string"),
        ('"""Module doc.\n\nseed', "in a docstring"),
        ('x = f"{1}" + """\nckpt', "in a triple-quoted string"),
        ("# seed", "in a comment"),
        ("x = 1  # train the seed", "in a trailing comment"),
        ("import seed", "in an import"),
        ("from torch import seed", "in a from-import"),
        ("from torch import (\n    nn,\n    seed", "in a parenthesised import"),
        ("def seed", "a function name"),
        ("class Ckpt", "a class name"),
        ("def f(a, seed", "a parameter list"),
        ("def f(\n    a,\n    seed", "a parameter list over lines"),
        ("f = lambda seed", "lambda parameters"),
        ("for seed", "a for target"),
        ("with open(p) as seed", "an as target"),
        ("return", "a keyword"),
        ("x = 1\n", "an empty word"),
    ],
)
async def test_no_items_where_no_snippet_belongs(
    client: LanguageClient, text: str, why: str
) -> None:
    uri = open_doc(client, text)
    lines = text.split("\n")
    result = await complete(client, uri, len(lines) - 1, len(lines[-1]))
    assert not result.items, f"items {why}: {[i.label for i in result.items][:5]}"


@pytest.mark.parametrize(
    "text",
    ['s = "a"\nseed', '"""Doc."""\nseed', "def f(x):\n    seed", "x = [\n    1,\n]\nseed"],
)
async def test_items_after_closed_strings_and_blocks(client: LanguageClient, text: str) -> None:
    uri = open_doc(client, text)
    lines = text.split("\n")
    result = await complete(client, uri, len(lines) - 1, len(lines[-1]))
    assert result.items and result.items[0].label == "seed"


@pytest.mark.parametrize("word", ["print", "result", "value", "images", "labels", "x"])
async def test_ordinary_identifiers_do_not_pull_in_the_database(
    client: LanguageClient, word: str
) -> None:
    uri = open_doc(client, f"x = 1\n{word}")
    result = await complete(client, uri, 1, len(word))
    assert not result.items, [i.label for i in result.items]


@pytest.mark.parametrize("letter", list("sictgdx"))
async def test_one_letter_words_get_a_bounded_list(client: LanguageClient, letter: str) -> None:
    uri = open_doc(client, letter)
    result = await complete(client, uri, 0, 1)
    assert len(result.items) <= MAX_ITEMS
    assert all(i.label.lower().startswith(letter) for i in result.items)
    if len(result.items) == MAX_ITEMS:
        assert result.is_incomplete


async def test_parameter_variants_are_reachable_by_typing(client: LanguageClient) -> None:
    uri = open_doc(client, "sched_pl")
    result = await complete(client, uri, 0, 8)
    first = result.items[0]
    assert first.label == "sched_plateau"
    assert "ReduceLROnPlateau" in first.text_edit.new_text  # type: ignore[union-attr]
    uri = open_doc(client, "sched_")
    labels = {i.label for i in (await complete(client, uri, 0, 6)).items}
    assert {"sched_step", "sched_onecycle", "sched_plateau"} <= labels
    assert "sched_cosine" not in labels  # the default is plain `sched`


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
    assert item.detail and item.detail not in doc, "the title shows once, as the detail"


async def test_resolve_of_a_variant_shows_its_own_code(client: LanguageClient) -> None:
    uri = open_doc(client, "sched_onecycle")
    item = (await complete(client, uri, 0, 14)).items[0]
    resolved = await client.completion_item_resolve_async(item)
    assert "OneCycleLR(" in resolved.documentation.value  # type: ignore[union-attr]


async def test_notebook_cell_and_untitled_documents(client: LanguageClient) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri="untitled:Untitled-1", language_id="python", version=1, text="gpu"
            )
        )
    )
    result = await complete(client, "untitled:Untitled-1", 0, 3)
    assert result.items[0].label == "gpu"


async def test_other_languages_get_nothing(client: LanguageClient) -> None:
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


async def test_large_document_changes_keep_completion_right(client: LanguageClient) -> None:
    """A 5,000-line file edited between requests: each version is read afresh."""
    body = "".join(f"value_{i} = {i}  # line {i}\n" for i in range(5000))
    uri = open_doc(client, '"""Big."""\nimport torch\n' + body + "ckp")
    last = 5002
    first = await complete(client, uri, last, 3)
    assert first.items[0].label == "ckpt"
    added = "".join(e.new_text for e in first.items[0].additional_text_edits or [])
    lines = added.splitlines()
    assert "import os" in lines and "import torch" not in lines  # torch is at the top
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=1, character=0),
                        end=types.Position(line=2, character=0),
                    ),
                    text='"""\n',
                )
            ],
        )
    )
    inside = await complete(client, uri, last, 3)
    assert not inside.items, "after opening a triple quote above, the word is in a string"


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
