"""A worker interpreter without torch: the hover says so and how to fix it; snippets still work."""

from __future__ import annotations

import asyncio
import venv
from pathlib import Path

import pytest_lsp
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, complete, hover_word, open_doc, session


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient, tmp_path_factory):
    env = Path(tmp_path_factory.mktemp("no-torch")) / "venv"
    venv.create(env, with_pip=False)
    python = str(env / "bin" / "python")
    lsp_client.bare_python = python  # type: ignore[attr-defined]
    async for _ in session(lsp_client, options={"python": python}):
        yield


async def test_hover_explains_missing_torch(client: LanguageClient) -> None:
    text = await hover_word(client, "import torch\nx = torch.ones(2)\n", "x")
    assert text is not None
    assert "torch is not installed" in text
    assert f"{client.bare_python} -m pip install torch" in text  # type: ignore[attr-defined]


async def test_status_explains_missing_torch(client: LanguageClient) -> None:
    python = client.bare_python  # type: ignore[attr-defined]
    for _ in range(100):
        errors = [s for s in client.torchpeek_status if s.state == "error"]  # type: ignore[attr-defined]
        if errors:
            break
        await asyncio.sleep(0.1)
    assert errors, client.torchpeek_status  # type: ignore[attr-defined]
    detail = errors[-1].detail
    assert "torch is not installed" in detail and f"{python} -m pip install torch" in detail


async def test_completions_do_not_need_torch(client: LanguageClient) -> None:
    uri = open_doc(client, "seed")
    assert (await complete(client, uri, 0, 4)).items[0].label == "seed"
