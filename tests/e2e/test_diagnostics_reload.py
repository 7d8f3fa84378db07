"""Broken snippet YAML becomes diagnostics with the exact line; fixing it and reloading clears them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, command, complete, open_doc, session

GOOD = """snippets:
  - id: my-user-snippet
    prefix: zzmine
    title: A user snippet
    description: {en: Mine.}
    category: user
    body: |
      ${1:y} = torch.ones(3)$0
    imports: [import torch]
    preview: {expr: "1"}
"""
BROKEN = GOOD.replace("    title: A user snippet\n", "    title: [unclosed\n")


async def _diagnostics_for(client: LanguageClient, path: Path, predicate) -> list[types.Diagnostic]:
    uri = path.resolve().as_uri()
    for _ in range(100):
        found = client.diagnostics.get(uri)
        if found is not None and predicate(found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no matching diagnostics for {uri}: {client.diagnostics.get(uri)}")


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient, tmp_path_factory):
    folder = tmp_path_factory.mktemp("user-snippets")
    (folder / "mine.yaml").write_text(BROKEN, encoding="utf-8")
    lsp_client.snippet_folder = folder  # type: ignore[attr-defined]
    async for _ in session(lsp_client, options={"snippetPaths": [str(folder)]}):
        yield


async def test_broken_yaml_is_a_diagnostic_at_its_line(client: LanguageClient) -> None:
    path = client.snippet_folder / "mine.yaml"  # type: ignore[attr-defined]
    found = await _diagnostics_for(client, path, lambda d: len(d) > 0)
    assert found[0].range.start.line in (4, 5)  # 0-based: the broken title or the line after
    assert found[0].severity == types.DiagnosticSeverity.Error


async def test_fix_and_reload_by_command_clears_and_serves(client: LanguageClient) -> None:
    path = client.snippet_folder / "mine.yaml"  # type: ignore[attr-defined]
    path.write_text(GOOD, encoding="utf-8")
    result = await command(client, "torchpeek.reloadSnippets")
    assert result["problems"] == 0
    await _diagnostics_for(client, path, lambda d: len(d) == 0)
    uri = open_doc(client, "zzmine")
    items = (await complete(client, uri, 0, 6)).items
    assert items[0].label == "zzmine"


async def test_reload_on_watched_file_change(client: LanguageClient) -> None:
    path = client.snippet_folder / "mine.yaml"  # type: ignore[attr-defined]
    path.write_text(GOOD.replace("zzmine", "zzother"), encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(uri=path.resolve().as_uri(), type=types.FileChangeType.Changed)
            ]
        )
    )
    uri = open_doc(client, "zzother")
    for _ in range(100):
        items = (await complete(client, uri, 0, 7)).items
        if items and items[0].label == "zzother":
            break
        await asyncio.sleep(0.05)
    assert items[0].label == "zzother"
