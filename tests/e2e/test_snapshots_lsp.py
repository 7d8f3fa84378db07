"""Snapshots through a real server: hovers after edits use holders, the settings switch them off.

The worker-level behaviour (which holder answers, equality with full runs,
the sandbox in a holder) is in ``tests/worker/test_snapshots.py``; this checks
the server's part: the settings reach the worker and ``torchpeek.snapshotStatus``
reports what the worker holds.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, command, hover_text, open_doc, session

STATUS = "torchpeek.snapshotStatus"
MODEL = """\
import torch
import torch.nn as nn


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        h = self.fc(x){edit}
        return h


if __name__ == "__main__":
    head = Head()
    x = torch.randn(3, 16)
    out = head(x)
"""


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client):
        yield


async def settle(client: LanguageClient) -> dict[str, Any]:
    """Wait until no holder is being built and no background trace is pending."""
    for _ in range(400):
        status = await command(client, STATUS)
        if not status["building"] and not status["traces_pending"]:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"still busy: {status}")


def edit(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def hover_h(client: LanguageClient, uri: str) -> str:
    text = await hover_text(client, uri, types.Position(line=10, character=8))
    assert text is not None
    return text


async def test_an_edit_inside_forward_is_answered_from_a_holder(client: LanguageClient) -> None:
    uri = open_doc(client, MODEL.replace("{edit}", ""), name="snap_model.py")
    assert "torch.Size([3, 4])" in await hover_h(client, uri)
    status = await settle(client)
    (held,) = [h for h in status["holders"] if h["filename"].endswith("snap_model.py")]
    assert held["ready"] and held["line"] == 17  # the head and its input built
    for version, edit_text in enumerate([".unsqueeze(0)", "[:2]", ".relu()"], start=2):
        edit(client, uri, version, MODEL.replace("{edit}", edit_text))
        text = await hover_h(client, uri)
        expected = {2: "torch.Size([1, 3, 4])", 3: "torch.Size([2, 4])", 4: "torch.Size([3, 4])"}
        assert expected[version] in text, text
        await settle(client)
    # Had a hover not been answered from that holder, the worker would have wished for
    # one that stops before the edited class (line 5) and built it.
    status = await settle(client)
    assert [h["line"] for h in status["holders"] if h["filename"].endswith("snap_model.py")] == [17]
    assert status["pss_kb"] > 0 and status["limit_mb"] == 1024


async def test_the_setting_turns_snapshots_off(client: LanguageClient) -> None:
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"torchpeek": {"snapshots": {"enabled": False}}}
        )
    )
    uri = open_doc(client, MODEL.replace("{edit}", ""), name="snap_off.py")
    assert "torch.Size([3, 4])" in await hover_h(client, uri)
    status = await settle(client)
    assert not [h for h in status["holders"] if h["filename"].endswith("snap_off.py")]
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"torchpeek": {}})
    )
