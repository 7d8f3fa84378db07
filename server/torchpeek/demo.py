"""``torchpeek demo``: drive the real server over stdio like an editor and print the transcript.

It types ``seed``, ``ckpt``, ``gpu`` and ``cv2`` into a Python file, shows the
completions offered, accepts the first one (placeholders filled with their
defaults), applies the import edits and prints the resulting file. Then it
hovers a tensor to show a live shape preview.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from .snippets import fill_placeholders

URI = "file:///tmp/torchpeek-demo/train.py"
START = '"""A training script, typed live in the torchpeek demo."""\nimport os\n\n'
WORDS = ("seed", "ckpt", "gpu", "cv2")


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (bottom-up so earlier positions stay valid)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def offset(pos: types.Position) -> int:
        return offsets[min(pos.line, len(lines))] + pos.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


def _client() -> LanguageClient:
    client = LanguageClient("torchpeek-demo", "1")
    client.feature(types.CLIENT_REGISTER_CAPABILITY)(lambda ls, params: None)
    client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)(lambda ls, params: None)
    client.feature(types.WINDOW_LOG_MESSAGE)(lambda ls, params: None)
    client.feature("torchpeek/status")(lambda ls, params: None)
    return client


def _capabilities() -> types.ClientCapabilities:
    item = types.ClientCompletionItemOptions(snippet_support=True)
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            completion=types.CompletionClientCapabilities(completion_item=item)
        )
    )


def _say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def _type_word(client: LanguageClient, text: str, version: int, word: str) -> str:
    text = text + word
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    line = text.count("\n")
    column = len(text) - text.rfind("\n") - 1
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=line, character=column),
        )
    )
    items = result.items if isinstance(result, types.CompletionList) else (result or [])
    _say(f"\n>>> typed {word!r}: {len(items)} completions, top 3:")
    for item in items[:3]:
        _say(f"      {item.label:<14} {item.detail}")
    chosen = items[0]
    assert chosen.text_edit is not None and isinstance(chosen.text_edit, types.TextEdit)
    imports = [
        ln
        for e in chosen.additional_text_edits or []
        for ln in e.new_text.split("\n")
        if ln.strip()
    ]
    _say(
        f"    accepted {chosen.label!r}; imports added: {', '.join(imports) or 'none (already there)'}"
    )
    main = types.TextEdit(
        range=chosen.text_edit.range, new_text=fill_placeholders(chosen.text_edit.new_text)
    )
    return apply_edits(text, [main, *(chosen.additional_text_edits or [])]) + "\n\n"


HOVER_URI = "untitled:preview-demo.py"
HOVER_TEXT = (
    "import torch\nimport torch.nn as nn\n"
    "net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),"
    " nn.Flatten(), nn.Linear(16, 10)).cuda()\n"
    "batch = net(torch.zeros(8, 3, 224, 224, device='cuda'))\n"
)


async def _hover(client: LanguageClient) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=HOVER_URI, language_id="python", version=1, text=HOVER_TEXT
            )
        )
    )
    _say("\n>>> a second buffer:\n    " + HOVER_TEXT.rstrip().replace("\n", "\n    "))
    line = HOVER_TEXT.count("\n") - 1
    started = time.perf_counter()
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=HOVER_URI),
            position=types.Position(line=line, character=1),
        )
    )
    elapsed = (time.perf_counter() - started) * 1000
    value = (
        hover.contents.value if hover and isinstance(hover.contents, types.MarkupContent) else None
    )
    _say(f"\n>>> hover 'batch' on line {line + 1} ({elapsed:.0f} ms, includes worker warm-up):")
    _say("    " + (value or "no preview").replace("\n", "\n    "))


async def demo() -> int:
    client = _client()
    await client.start_io(sys.executable, "-m", "torchpeek", "serve")
    started = time.perf_counter()
    result: Any = await client.initialize_async(
        types.InitializeParams(capabilities=_capabilities(), locale="en")
    )
    client.initialized(types.InitializedParams())
    _say(
        f"server: {result.server_info.name} {result.server_info.version} "
        f"(initialize answered in {(time.perf_counter() - started) * 1000:.0f} ms)"
    )
    text = START
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="python", version=1, text=text
            )
        )
    )
    for version, word in enumerate(WORDS, start=2):
        text = await _type_word(client, text, version, word)
    _say("\n>>> the file now reads:\n" + "-" * 72)
    _say(text.rstrip())
    _say("-" * 72)
    await _hover(client)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return 0


def run_demo() -> int:
    """Run the demo transcript; returns the exit status."""
    return asyncio.run(demo())
