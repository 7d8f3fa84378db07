"""No code runs unasked: a workspace's own snippet previews never run in the background.

The workspace overrides the first built-in snippet (the first one warmed) with
a preview of a shape nothing else makes, and the server is left idle. The
packaged snippet after it gets its live preview (so warming did happen); the
workspace's must not.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, complete, open_doc, session
from tests.sandbox.hostile import OPTIONS, assert_healthy

WORKSPACE = Path(tempfile.mkdtemp(prefix="tp-ws-"))
SNIPPETS = WORKSPACE / ".torchpeek" / "snippets"
SNIPPETS.mkdir(parents=True)
(SNIPPETS / "mine.yaml").write_text(
    """snippets:
  - id: checkpoint-save-resume-functions
    prefix: [wsonly]
    title: A workspace snippet
    description:
      en: Runs workspace code if previewed.
    category: io
    imports:
      - import torch
    body: |
      ${1:grid} = torch.zeros(13, 17)$0
    preview:
      expr: grid
"""
)


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client, options=OPTIONS, root=WORKSPACE):
        await assert_healthy(lsp_client, limit=120)
        yield


async def _documentation(client: LanguageClient, word: str) -> str:
    uri = open_doc(client, word)
    items = (await complete(client, uri, 0, len(word))).items
    item = next(i for i in items if i.label == word or word in (i.filter_text or i.label))
    resolved = await client.completion_item_resolve_async(item)
    documentation = resolved.documentation
    return documentation.value if isinstance(documentation, types.MarkupContent) else ""


async def test_workspace_snippets_do_not_run_in_the_background(client: LanguageClient) -> None:
    deadline = time.monotonic() + 30
    while "Live preview" not in await _documentation(client, "ckptsave"):
        assert time.monotonic() < deadline, "built-in snippets never got a live preview"
        await asyncio.sleep(0.5)
    assert "Live preview" not in await _documentation(client, "wsonly")
