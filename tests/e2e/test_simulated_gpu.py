"""On a machine without a GPU, every hover whose answer comes from the simulated GPU says so."""

from __future__ import annotations

import pytest_lsp
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, hover_word, session

SIMULATED = "simulated"


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client):
        yield


async def test_device_chosen_by_is_available_is_marked(client: LanguageClient) -> None:
    code = 'import torch\ndev = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
    text = await hover_word(client, code, "dev")
    assert text is not None and "cuda" in text.split("\n")[0]
    assert SIMULATED in text, text


async def test_is_available_itself_is_marked(client: LanguageClient) -> None:
    text = await hover_word(client, "import torch\nok = torch.cuda.is_available()\n", "ok")
    assert text is not None and "True" in text.split("\n")[0]
    assert SIMULATED in text, text


async def test_tensor_on_the_simulated_device_is_marked_once(client: LanguageClient) -> None:
    code = (
        "import torch\n"
        'device = "cuda" if torch.cuda.is_available() else "cpu"\n'
        "x = torch.zeros(2, 3, device=device)\n"
    )
    text = await hover_word(client, code, "x")
    assert text is not None and "cuda:0" in text.split("\n")[0]
    assert text.count(SIMULATED) == 1, text


async def test_cpu_code_is_not_marked(client: LanguageClient) -> None:
    text = await hover_word(client, "import torch\ny = torch.ones(4)\n", "y")
    assert text is not None and "torch.Size([4])" in text
    assert SIMULATED not in text, text
