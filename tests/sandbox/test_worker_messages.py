"""The worker's end of the pipe: every request line is validated, and a bad one never stops it.

The worker runs as the server starts it (``worker/boot.py`` in this
interpreter, allowlisted environment); the test writes the lines a broken or
hostile server could send, then checks that a real preview still answers.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from torchpeek.sandbox.client import BOOT
from torchpeek.worker.environment import worker_environment

BAD_LINES = [
    b"[1]",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"op": "preview", "id": ' + b"9" * 5000 + b"}",
    b'{"op": "preview", "id": 1.5}',
    b'{"op": "preview", "id": true}',
    b'{"op": "preview"}',
    b'{"op": "cancel", "id": "x"}',
    b'{"op": 7, "id": 1}',
    b"\xff\xfe not json",
    b'{"op": "preview", "id": 3, "limits": {"timeout_ms": "soon"}}',
    b'{"op": "preview", "id": 4, "limits": {"memory_mb": -1}}',
    b'{"op": "preview", "id": 5, "limits": {"surprise": 1}}',
    b'{"op": "preview", "id": 6, "gpu": [1, 2]}',
]


class Worker:
    def __init__(self) -> None:
        python = os.environ.get("TORCHPEEK_WORKER_PYTHON", sys.executable)
        self.process = subprocess.Popen(
            [python, "-u", str(BOOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=worker_environment(os.environ),
        )
        self.buffer = b""

    def send(self, line: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()

    def read(self, timeout: float = 60) -> dict[str, Any]:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, "the worker did not answer"
            chunk = os.read(fd, 65536)
            assert chunk, f"the worker exited ({self.process.wait()})"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    running = Worker()
    try:
        hello = running.read(timeout=120)
        assert hello["op"] == "hello", hello
        if not hello.get("torch"):
            pytest.skip("no torch in the worker interpreter")
        yield running
    finally:
        running.process.kill()
        running.process.wait()


def test_bad_request_lines_are_refused_and_the_worker_keeps_serving(worker: Worker) -> None:
    for line in BAD_LINES:
        worker.send(line)
        answer = worker.read()
        assert answer.get("ok") is False or answer.get("op") == "error", (line[:60], answer)
    request = {
        "op": "preview",
        "id": 99,
        "source": "import torch\nx = torch.ones(2, 3)\n",
        "expr": "x",
        "line": 2,
    }
    worker.send(json.dumps(request).encode())
    answer = worker.read()
    assert answer["id"] == 99 and answer["ok"], answer
    assert answer["value"]["size"] == "torch.Size([2, 3])"
