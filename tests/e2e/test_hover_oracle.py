"""The shape-preview acceptance cases (tests/data/seed_cases.yaml) through a real LSP hover."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
import yaml
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, ROOT, hover_word, session

CASES_FILE = ROOT / "tests" / "data" / "seed_cases.yaml"
SHARED = ROOT.parent / "shared" / "oracle" / "seed_cases.yaml"
CASES = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client):
        yield


def test_copy_matches_shared_oracle() -> None:
    if not SHARED.exists():
        pytest.skip("../shared/oracle/seed_cases.yaml is not beside this checkout")
    assert Path(CASES_FILE).read_bytes() == SHARED.read_bytes()


def expected_fragments(expect: dict) -> list[str]:
    fragments = []
    if "shape" in expect:
        fragments.append(f"torch.Size([{', '.join(str(d) for d in expect['shape'])}])")
    for key in ("dtype", "device", "error", "kind"):
        if key in expect:
            fragments.append(str(expect[key]))
    return fragments


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
async def test_seed_case(client: LanguageClient, case: dict) -> None:
    text = await hover_word(client, case["code"], case["hover"])
    assert text is not None, "no hover"
    for fragment in expected_fragments(case["expect"]):
        assert fragment in text, f"{fragment!r} missing from hover:\n{text}"
    if "error" not in case["expect"]:
        assert "Error" not in text.split("\n")[0], text


async def test_simulated_gpu_value_is_marked(client: LanguageClient) -> None:
    code = 'import torch\ntotal = torch.cuda.get_device_properties("cuda:0").total_memory\n'
    text = await hover_word(client, code, "total")
    assert text is not None and "simulated GPU" in text


async def test_server_keeps_serving_after_error(client: LanguageClient) -> None:
    bad = await hover_word(client, "import torch\nz = torch.ones(2, 3) @ torch.ones(2, 3)\n", "z")
    assert bad is not None and "RuntimeError" in bad and "line 2" in bad
    good = await hover_word(client, "import torch\nq = torch.ones(4, 1)\n", "q")
    assert good is not None and "torch.Size([4, 1])" in good
