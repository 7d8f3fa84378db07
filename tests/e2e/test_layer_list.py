"""The hover's layer list on ResNet-18: short lines, repeated blocks collapsed, the end in view."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, hover_word, session

RESNET = (Path(__file__).resolve().parent.parent / "data" / "inlay" / "resnet18.py").read_text()


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client):
        yield


async def test_resnet18_fits_a_narrow_popup(client: LanguageClient) -> None:
    text = await hover_word(client, RESNET, "out") or ""
    assert text.startswith("`out`: `torch.Size([2, 1000])")
    block = [line[3:-1] for line in text.splitlines() if line.startswith("- `")]
    cells = [[c.strip() for c in line.split("  ") if c.strip()] for line in block]
    assert cells == [
        ["model.conv1", "Conv2d 3→64 k7 s2 p3", "[2, 64, 112, 112]"],
        ["model.bn1", "BatchNorm2d 64", "[2, 64, 112, 112]"],
        ["model.relu", "ReLU", "[2, 64, 112, 112]"],
        ["model.maxpool", "MaxPool2d k3 s2 p1", "[2, 64, 56, 56]"],
        ["model.layer1.0 … model.layer1.1", "×2", "[2, 64, 56, 56]"],
        ["model.layer2.0 … model.layer2.1", "×2", "[2, 128, 28, 28]"],
        ["model.layer3.0 … model.layer3.1", "×2", "[2, 256, 14, 14]"],
        ["model.layer4.0 … model.layer4.1", "×2", "[2, 512, 7, 7]"],
        ["model.avgpool", "AdaptiveAvgPool2d →1", "[2, 512, 1, 1]"],
        ["model.fc", "Linear 512→1000", "[2, 1000]"],
    ]
    assert max(len(line) for line in block) <= 80
    assert text.rstrip().splitlines()[-1].startswith("_")  # the one-line footer closes the hover
