"""Export: only where the user chose, and a workspace copy of the export is not listed twice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp_support import (
    CONFIG,
    accept_server_requests,
    command,
    complete,
    init_params,
    open_doc,
)

WORKSPACE = Path("/tmp/torchpeek-tests/export-workspace")


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def vscode(lsp_client: LanguageClient):
    """VS Code (by its clientInfo) on a workspace holding torchpeek's own export in .vscode."""
    shutil.rmtree(WORKSPACE, ignore_errors=True)
    (WORKSPACE / ".vscode").mkdir(parents=True)
    exported = {
        "Reproducible runs": {"prefix": ["seed"], "body": "x", "torchpeekId": "seed-everything"},
        "Someone else's": {"prefix": ["ckpt"], "body": "y"},
    }
    (WORKSPACE / ".vscode" / "torchpeek.code-snippets").write_text(json.dumps(exported))
    accept_server_requests(lsp_client)
    params = init_params(root=WORKSPACE)
    params.client_info = types.ClientInfo(name="Visual Studio Code", version="1.100.3")
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def test_export_needs_a_path_and_never_writes_the_workspace(vscode: LanguageClient) -> None:
    with pytest.raises(JsonRpcException, match="'path' is required"):
        await command(vscode, "torchpeek.exportSnippets", {})
    assert [p.name for p in (WORKSPACE / ".vscode").iterdir()] == ["torchpeek.code-snippets"]


async def test_export_marks_its_entries(vscode: LanguageClient, tmp_path: Path) -> None:
    out = tmp_path / "user" / "snippets" / "torchpeek.code-snippets"
    result = await command(vscode, "torchpeek.exportSnippets", {"path": str(out)})
    data = json.loads(out.read_text(encoding="utf-8"))
    assert result["count"] == len(data) >= 60
    assert all("torchpeekId" in entry and entry["scope"] == "python" for entry in data.values())


async def test_prefixes_of_a_workspace_export_are_not_listed_twice(vscode: LanguageClient) -> None:
    uri = open_doc(vscode, "seed")
    labels = [i.label for i in (await complete(vscode, uri, 0, 4)).items]
    assert "seed" not in labels, "VS Code lists the exported seed snippet itself"
    assert "seedeverything" in labels and "seedloader" in labels
    uri = open_doc(vscode, "ckpt")
    labels = [i.label for i in (await complete(vscode, uri, 0, 4)).items]
    assert labels[0] == "ckpt", "a file torchpeek did not write hides nothing"
