"""What a hover shows for each kind of value, for errors, and where it shows nothing."""

from __future__ import annotations

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, hover_text, hover_word, open_doc, session


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client):
        yield


async def test_tensor_with_requires_grad(client: LanguageClient) -> None:
    text = await hover_word(
        client, "import torch\nw = torch.zeros(3, 4, requires_grad=True)\n", "w"
    )
    assert "`torch.Size([3, 4]) · torch.float32 · cpu · requires_grad=True`" in (text or "")


async def test_module_summary_with_parameter_count_and_device(client: LanguageClient) -> None:
    code = "import torch.nn as nn\nnet = nn.Linear(10, 5).cuda()\n"
    text = await hover_word(client, code, "net")
    assert text is not None and "Linear · 55 parameters · cuda:0" in text


async def test_sequential_call_lists_each_layer(client: LanguageClient) -> None:
    code = (
        "import torch\nimport torch.nn as nn\n"
        "body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 30 * 30, 2))\n"
        "out = body(torch.randn(5, 3, 32, 32))\n"
    )
    text = await hover_word(client, code, "out") or ""
    lines = [line[3:-1].split("  ") for line in text.splitlines() if line.startswith("- `")]
    rows = {row[0]: [cell.strip() for cell in row[1:] if cell.strip()] for row in lines}
    assert rows["body.0"] == ["Conv2d 3→8 k3", "[5, 8, 30, 30]"]
    assert rows["body.2"] == ["Flatten 1..", "[5, 7200]"]
    assert text.index("Conv2d") < text.index("Flatten") < text.index("Linear 7200→2")


async def test_tuple_shows_each_element(client: LanguageClient) -> None:
    code = "import torch\nparts = torch.ones(6, 2).split(4)\n"
    text = await hover_word(client, code, "parts") or ""
    assert "tuple of 2" in text
    assert "torch.Size([4, 2])" in text and "torch.Size([2, 2])" in text


async def test_checkpoint_and_optimizer_state_dicts(client: LanguageClient) -> None:
    code = (
        "import torch\nimport torch.nn as nn\nmodel = nn.Linear(4, 2)\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "ckpt = {'epoch': 3, 'model': model.state_dict(), 'optimizer': opt.state_dict()}\n"
    )
    text = await hover_word(client, code, "ckpt") or ""
    assert "- `epoch`: int · 3" in text
    assert "- `model`: OrderedDict of 2" in text
    state = await hover_word(client, code + "sd = model.state_dict()\n", "sd") or ""
    assert (
        "- `weight`: `torch.Size([2, 4])" in state.replace("`: torch", "`: `torch")
        or "weight" in state
    )
    assert "torch.Size([2, 4])" in state and "torch.Size([2])" in state


async def test_numpy_array_and_scalar(client: LanguageClient) -> None:
    array = await hover_word(
        client, "import numpy as np\na = np.zeros((2, 5), dtype=np.float32)\n", "a"
    )
    assert "ndarray · shape (2, 5) · float32" in (array or "")
    scalar = await hover_word(client, "import torch\nn = torch.ones(3).sum().item()\n", "n")
    assert "float · 3.0" in (scalar or "") and "real CPU" in (scalar or "")


async def test_attribute_expression(client: LanguageClient) -> None:
    text = open_doc(client, "import torch\nx = torch.ones(7, 2)\nprint(x.shape)\n")
    hover = await hover_text(client, text, types.Position(line=2, character=9))
    assert hover is not None and "`x.shape`" in hover and "torch.Size([7, 2])" in hover


async def test_bad_view_reads_like_a_diagnosis(client: LanguageClient) -> None:
    code = "import torch\nx = torch.ones(2, 3)\n\ny = x.view(4, 2)\n"
    text = await hover_word(client, code, "y") or ""
    assert "**RuntimeError** at line 4" in text and "is invalid for input of size 6" in text


async def test_batchnorm_channel_error_names_the_layer(client: LanguageClient) -> None:
    code = (
        "import torch\nimport torch.nn as nn\n"
        "block = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(32))\n"
        "out = block(torch.rand(2, 1, 28, 28))\n"
    )
    text = await hover_word(client, code, "out") or ""
    assert "running_mean should contain 64 elements not 32" in text
    assert "block.2" in text and "torch.Size([2, 64, 28, 28])" in text


async def test_later_broken_code_does_not_break_an_earlier_hover(client: LanguageClient) -> None:
    code = "import torch\ngood = torch.ones(2)\nbad = torch.ones(2) @ torch.ones(3)\nthis is not python(\n"
    uri = open_doc(client, code)
    text = await hover_text(client, uri, types.Position(line=1, character=0))
    assert text is not None and "torch.Size([2])" in text


async def test_hover_inside_an_uncalled_function_but_not_on_keywords(
    client: LanguageClient,
) -> None:
    uri = open_doc(client, "import torch\ndef f():\n    z = torch.ones(1)\n    return z\n")
    text = await hover_text(client, uri, types.Position(line=2, character=4))
    assert text is not None and "torch.Size([1])" in text and "`f()`" in text
    assert await hover_text(client, uri, types.Position(line=1, character=0)) is None
