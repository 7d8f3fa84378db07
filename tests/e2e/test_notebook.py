"""Notebook cells: completions in a Python cell, and hovers that see the cells above."""

from __future__ import annotations

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, complete, hover_text, session

NOTEBOOK = "file:///tmp/torchpeek-tests/demo.ipynb"
CELLS = [
    "import torch\nimport torch.nn as nn\nx = torch.randn(4, 3, 32, 32)\n",
    "conv = nn.Conv2d(3, 8, 3, padding=1)\ny = conv(x)\n",
    "seed",
]


def cell_uri(index: int) -> str:
    return f"vscode-notebook-cell:/tmp/torchpeek-tests/demo.ipynb#cell{index}"


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client):
        lsp_client.notebook_document_did_open(
            types.DidOpenNotebookDocumentParams(
                notebook_document=types.NotebookDocument(
                    uri=NOTEBOOK,
                    notebook_type="jupyter-notebook",
                    version=1,
                    cells=[
                        types.NotebookCell(kind=types.NotebookCellKind.Code, document=cell_uri(i))
                        for i in range(len(CELLS))
                    ],
                ),
                cell_text_documents=[
                    types.TextDocumentItem(
                        uri=cell_uri(i), language_id="python", version=1, text=text
                    )
                    for i, text in enumerate(CELLS)
                ],
            )
        )
        yield


async def test_hover_in_a_cell_sees_earlier_cells(client: LanguageClient) -> None:
    text = await hover_text(client, cell_uri(1), types.Position(line=1, character=0))
    assert text is not None and "torch.Size([4, 8, 32, 32])" in text, text


async def test_completion_in_a_cell(client: LanguageClient) -> None:
    result = await complete(client, cell_uri(2), 0, 4)
    assert result.items[0].label == "seed"
