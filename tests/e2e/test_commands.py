"""workspace/executeCommand: list, insert (through workspace/applyEdit), reload, export, preview, doctor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, command, open_doc, session

APPLIED: list[types.ApplyWorkspaceEditParams] = []


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(
        ls: LanguageClient, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        APPLIED.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    async for _ in session(lsp_client):
        yield


async def test_list_snippets(client: LanguageClient) -> None:
    listing = await command(client, "torchpeek.listSnippets")
    ids = {entry["id"] for entry in listing}
    assert len(listing) >= 60
    assert {"seed-everything", "cv2-image-to-nchw-tensor"} <= ids
    one = listing[0]
    assert {"id", "title", "category", "description", "params", "prefixes"} <= set(one)


async def test_insert_snippet_applies_body_and_imports(client: LanguageClient) -> None:
    uri = open_doc(client, '"""doc"""\n\n')
    result = await command(
        client,
        "torchpeek.insertSnippet",
        {
            "uri": uri,
            "position": {"line": 2, "character": 0},
            "id": "cv2-image-to-nchw-tensor",
            "params": {"normalize": True},
        },
    )
    assert result["applied"] is True
    edits = APPLIED[-1].edit.changes[uri]  # type: ignore[index]
    text = "".join(e.new_text for e in edits)
    assert "import cv2" in text and "cv2.imread" in text and "${" not in text
    assert "0.485" in text  # the normalize parameter took effect


async def test_insert_snippet_rejects_bad_arguments(client: LanguageClient) -> None:
    with pytest.raises(JsonRpcException, match="unknown snippet id"):
        await command(
            client,
            "torchpeek.insertSnippet",
            {"uri": "file:///x.py", "position": {"line": 0, "character": 0}, "id": "nope"},
        )
    with pytest.raises(JsonRpcException, match="position"):
        await command(
            client, "torchpeek.insertSnippet", {"uri": "file:///x.py", "id": "seed-everything"}
        )


async def test_export_writes_vscode_snippets(client: LanguageClient, tmp_path: Path) -> None:
    out = tmp_path / "torchpeek.code-snippets"
    result = await command(client, "torchpeek.exportSnippets", {"path": str(out)})
    data = json.loads(out.read_text(encoding="utf-8"))
    assert result["count"] == len(data) >= 60
    entry = next(iter(data.values()))
    assert {"prefix", "body", "description"} <= set(entry)


async def test_reload_counts(client: LanguageClient) -> None:
    result = await command(client, "torchpeek.reloadSnippets")
    assert result["snippets"] >= 60 and result["problems"] == 0


async def test_preview_shape_command_returns_json(client: LanguageClient) -> None:
    uri = open_doc(client, "import torch\nx = torch.zeros(2, 7)\n")
    result = await command(
        client, "torchpeek.previewShape", {"uri": uri, "position": {"line": 1, "character": 0}}
    )
    assert result["ok"] is True and result["value"]["shape"] == [2, 7]
    ranged = await command(
        client,
        "torchpeek.previewShape",
        {
            "uri": uri,
            "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 1}},
        },
    )
    assert ranged["value"]["size"] == "torch.Size([2, 7])"


async def test_doctor_reports_layers(client: LanguageClient) -> None:
    report = await command(client, "torchpeek.doctor")
    assert report["torch"].startswith("2.")
    assert {"rlimits", "seccomp", "landlock", "namespaces", "audit", "workdir"} <= set(
        report["layers"]
    )
    assert report["layers"]["rlimits"]["active"] is True
