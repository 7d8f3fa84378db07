"""A worker whose answer cannot be read: the pending hover fails clearly, and a new worker starts.

The server is given a stand-in worker interpreter: a real process that says
hello like a worker, then answers every request with a line longer than the
server reads. The hover must answer with an error that says so instead of
hanging, and the server must start the worker again.
"""

from __future__ import annotations

import stat
import sys
import tempfile
from pathlib import Path

import pytest_lsp
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, session
from tests.sandbox.hostile import timed_hover

FOLDER = Path(tempfile.mkdtemp(prefix="tp-fake-"))
STARTS = FOLDER / "starts"
FAKE = FOLDER / "python"
FAKE.write_text(
    f"""#!{sys.executable}
import json, os, sys
with open({str(STARTS)!r}, "a") as log:
    log.write("start\\n")
print(json.dumps({{"op": "hello", "pid": os.getpid(), "torch": "0.0-stand-in"}}), flush=True)
for line in sys.stdin:
    if json.loads(line).get("op") == "preview":
        sys.stdout.write("x" * (9 << 20) + "\\n")
        sys.stdout.flush()
"""
)
FAKE.chmod(FAKE.stat().st_mode | stat.S_IXUSR)


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client, options={"python": str(FAKE)}):
        yield


async def test_an_unreadable_answer_fails_the_hover_and_restarts_the_worker(
    client: LanguageClient,
) -> None:
    text, _ = await timed_hover(client, "import torch\nx = torch.ones(2)\n", "x", limit=20)
    assert "oversized or broken" in text, text
    text, _ = await timed_hover(client, "import torch\ny = torch.ones(2)\n", "y", limit=20)
    assert "oversized or broken" in text, text
    assert STARTS.read_text().count("start") >= 2, "the worker was not started again"
