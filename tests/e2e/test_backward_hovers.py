"""Hovers after ``loss.backward()`` never crash the preview child, over several worker starts.

The CUDA builds of torch start the autograd engine's device threads in the
forked child; before the fix in ``worker/forksafe.py`` they raced to rebuild
torch's thread pool and about one hover in ten aborted, at a rate that changed
from one worker start to the next. So the check is many hovers, each server
(and worker) started afresh, with zero failures allowed. With
``TORCHPEEK_WORKER_PYTHON`` the worker runs in that interpreter.
``TORCHPEEK_BACKWARD_HOVERS`` sets the total (``make test-user-env``: 100 over
four starts; the everyday suite, whose CPU build never crashed, runs 20 over two).
"""

from __future__ import annotations

import os
import subprocess

import pytest
import pytest_lsp
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, WORKER_PYTHON, hover_word, session

TOTAL = int(os.environ.get("TORCHPEEK_BACKWARD_HOVERS", "20"))
STARTS = 4 if TOTAL >= 100 else 2
HOVERS_PER_START = -(-TOTAL // STARTS)

# Three shapes of training code: gradients, an optimizer step, a manual update.
PROGRAMS = [
    """import torch
import torch.nn as nn
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
loss = model(torch.randn(16, 4)).pow(2).mean()  # {n}
loss.backward()
peek = model[0].weight.grad
""",
    """import torch
import torch.nn as nn
import torch.nn.functional as F
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss = F.cross_entropy(model(torch.randn(16, 4)), torch.randint(0, 3, (16,)))  # {n}
loss.backward()
opt.step()
peek = model[2].bias.grad
""",
    """import torch
w = torch.randn(8, 4, requires_grad=True)
loss = (torch.randn(16, 8) @ w).sum()  # {n}
loss.backward()
with torch.no_grad():
    w -= 0.1 * w.grad
peek = w.grad
""",
]
EXPECTED = ["torch.Size([8, 4])", "torch.Size([3])", "torch.Size([8, 4])"]


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client):
        yield


@pytest.mark.parametrize("start", range(STARTS))
async def test_hovers_after_backward_never_crash(client: LanguageClient, start: int) -> None:
    failures = []
    for n in range(HOVERS_PER_START):
        kind = n % len(PROGRAMS)
        text = await hover_word(client, PROGRAMS[kind].format(n=f"{start}-{n}"), "peek")
        if text is None or EXPECTED[kind] not in text.split("\n")[0]:
            failures.append(f"hover {n} (program {kind}): {text!r}")
    assert not failures, f"{len(failures)}/{HOVERS_PER_START} hovers failed:\n" + "\n".join(
        failures[:5]
    )


async def test_worker_runs_the_requested_torch(client: LanguageClient) -> None:
    text = await hover_word(client, "import torch\nversion = torch.__version__\n", "version")
    assert text is not None
    if not WORKER_PYTHON:
        pytest.skip("TORCHPEEK_WORKER_PYTHON is not set: the worker is the server's interpreter")
    expected = subprocess.run(
        [WORKER_PYTHON, "-c", "import torch; print(torch.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert expected in text, text
