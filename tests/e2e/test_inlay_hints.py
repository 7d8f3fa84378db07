"""Evaluated inlay hints and shape-error diagnostics over LSP, from real background runs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, accept_server_requests, close_doc, hover_text, init_params

DATA = Path(__file__).resolve().parent.parent / "data" / "inlay"
CONVNET = (DATA / "convnet.py").read_text()
EVERYTHING = types.Range(
    start=types.Position(line=0, character=0), end=types.Position(line=10_000, character=0)
)
BROKEN_FC = "self.fc = nn.Linear(32 * 8 * 8, classes)"
GOOD_FC = "self.fc = nn.Linear(64 * 8 * 8, classes)"


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    accept_server_requests(lsp_client)
    refreshes: list[float] = []

    @lsp_client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def on_refresh(ls: LanguageClient, params: None) -> None:
        refreshes.append(time.monotonic())

    lsp_client.refreshes = refreshes  # type: ignore[attr-defined]
    params = init_params(options={"preview": {"timeoutMs": 10000}})
    assert params.capabilities.workspace is not None
    params.capabilities.workspace.inlay_hint = types.InlayHintWorkspaceClientCapabilities(
        refresh_support=True
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def open_file(client: LanguageClient, name: str, text: str) -> str:
    uri = f"file:///tmp/torchpeek-tests/inlay/{name}"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    return uri


def replace_text(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def hints(client: LanguageClient, uri: str) -> dict[int, str]:
    """1-based line -> hint label."""
    found = await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri=uri), range=EVERYTHING)
    )
    return {hint.position.line + 1: str(hint.label) for hint in found or []}


async def wait_for_diagnostics(
    client: LanguageClient, uri: str, present: bool, timeout: float = 30.0
) -> list[types.Diagnostic]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        diagnostics = list(client.diagnostics.get(uri, []))
        if bool(diagnostics) == present and (present or uri in client.diagnostics):
            return diagnostics
        await asyncio.sleep(0.05)
    raise AssertionError(f"diagnostics of {uri} never became {'present' if present else 'empty'}")


async def first_hints(client: LanguageClient, uri: str, timeout: float = 90.0) -> dict[int, str]:
    """Hints of a freshly opened file; the first trace may wait for the worker to warm up."""
    deadline = time.monotonic() + timeout
    while not (found := await hints(client, uri)) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return found


def line_of(text: str, snippet: str) -> int:
    """1-based line of the first line containing ``snippet``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if snippet in line)


async def test_hints_on_forward_and_main_block(client: LanguageClient) -> None:
    uri = open_file(client, "convnet.py", CONVNET)
    found = await first_hints(client, uri)
    expected = {
        "x = F.relu(self.conv1(x))": "‹[4, 32, 32, 32] f32›",
        "x = F.max_pool2d(x, 2)": "‹[4, 32, 16, 16] f32›",
        "h = F.max_pool2d(": "‹[4, 64, 8, 8] f32›",
        "flat = h.flatten(1)": "‹[4, 4096] f32›",
        "logits = self.fc(flat)": "‹[4, 10] f32›",
        "images = torch.randn": "‹[4, 3, 32, 32] f32›",
        "labels = torch.randint": "‹[4] i64›",
        "out = model(images)": "‹[4, 10] f32›",
        "loss = F.cross_entropy": "‹[] f32›",
        "parts = out.split(2)": "‹([2, 10] f32, [2, 10] f32)›",
        "top, index = out.max": "‹top [4] f32 · index [4] i64›",
    }
    assert found == {line_of(CONVNET, code): label for code, label in expected.items()}
    # the model itself is a module: not a hint kind shown by default
    assert line_of(CONVNET, "model = ConvNet()") not in found
    assert client.diagnostics.get(uri, []) == []
    close_doc(client, uri)


async def test_shape_error_appears_on_its_line_and_clears(client: LanguageClient) -> None:
    uri = open_file(client, "broken.py", CONVNET)
    assert await first_hints(client, uri)
    broken = CONVNET.replace(GOOD_FC, BROKEN_FC)
    replace_text(client, uri, 2, broken)
    (diagnostic,) = await wait_for_diagnostics(client, uri, present=True)
    assert diagnostic.range.start.line + 1 == line_of(broken, "logits = self.fc(flat)")
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.message == (
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x4096 and 2048x10)"
        " in layer model.fc (Linear) with input torch.Size([4, 4096])"
    )
    related = " ".join(r.message for r in diagnostic.related_information or [])
    assert "Linear(in_features=2048, out_features=10" in related
    # hints before the failing line still show; the line after it never ran
    partial = await hints(client, uri)
    assert partial[line_of(broken, "flat = h.flatten(1)")] == "‹[4, 4096] f32›"
    assert line_of(broken, "out = model(images)") not in partial
    replace_text(client, uri, 3, CONVNET)
    assert await wait_for_diagnostics(client, uri, present=False) == []
    close_doc(client, uri)


async def test_sandbox_failures_are_not_the_users_bug(client: LanguageClient) -> None:
    code = "import torch\nx = torch.ones(2)\nopen('/etc/torchpeek-test-file', 'w').write('no')\n"
    uri = open_file(client, "writes.py", code)
    assert (await first_hints(client, uri))[2] == "‹[2] f32›"
    diagnostics = client.diagnostics.get(uri, [])
    assert all(d.severity != types.DiagnosticSeverity.Error for d in diagnostics)
    close_doc(client, uri)


async def test_a_hover_is_not_delayed_by_a_running_trace(client: LanguageClient) -> None:
    warm = open_file(client, "warm.py", "import torch\nw = torch.ones(1)\n")
    assert await first_hints(client, warm)  # the worker is warm: only the trace can delay
    code = "import time\nimport torch\nx = torch.zeros(2, 3)\ntime.sleep(3)\ny = x.sum(0)\n"
    uri = open_file(client, "slow.py", code)
    pending = asyncio.ensure_future(first_hints(client, uri))
    await asyncio.sleep(1.0)  # the trace is now inside time.sleep(3)
    started = time.monotonic()
    text = await hover_text(client, uri, types.Position(line=2, character=0))
    elapsed = time.monotonic() - started
    assert "torch.Size([2, 3])" in (text or "")
    assert elapsed < 1.5, f"the hover waited {elapsed:.2f} s for the background trace"
    # the trace was stopped for the hover and ran again afterwards
    found = await pending
    assert found == {3: "‹[2, 3] f32›", 5: "‹[3] f32›"}
    assert client.refreshes  # type: ignore[attr-defined]
    close_doc(client, uri)


async def test_settings_choose_kinds_limit_hints_and_turn_diagnostics_off(
    client: LanguageClient,
) -> None:
    options = {"inlayHints": {"kinds": ["module", "tensor"], "maxPerDocument": 5}}
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"torchpeek": {**options, "diagnostics": {"enabled": False}}}
        )
    )
    broken = CONVNET.replace(GOOD_FC, BROKEN_FC)
    uri = open_file(client, "settings.py", broken)
    found = await first_hints(client, uri)
    assert found == {
        line_of(broken, "x = F.relu(self.conv1(x))"): "‹[4, 32, 32, 32] f32›",
        line_of(broken, "x = F.max_pool2d(x, 2)"): "‹[4, 32, 16, 16] f32›",
        line_of(broken, "h = F.max_pool2d("): "‹[4, 64, 8, 8] f32›",
        line_of(broken, "flat = h.flatten(1)"): "‹[4, 4096] f32›",
        line_of(broken, "model = ConvNet()"): "‹ConvNet 39.9k params›",
    }
    assert uri not in client.diagnostics  # the run failed, but diagnostics are off
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"torchpeek": {"inlayHints": {}}})
    )
    close_doc(client, uri)
