"""The worker's end of the pipe: every request line is validated, and a bad one never stops it.

The worker runs as the server starts it (``worker/boot.py`` in this
interpreter, allowlisted environment); the test writes the lines a broken or
hostile server could send, then checks that a real preview still answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.worker.worker_process import WorkerProcess

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


@pytest.fixture(scope="module")
def worker() -> Iterator[WorkerProcess]:
    running = WorkerProcess(require_torch=False)
    try:
        if not running.hello.get("torch"):
            pytest.skip("no torch in the worker interpreter")
        yield running
    finally:
        running.process.kill()
        running.process.wait()


def test_bad_request_lines_are_refused_and_the_worker_keeps_serving(worker: WorkerProcess) -> None:
    for line in BAD_LINES:
        worker.send_line(line)
        answer = worker.next_message()
        assert answer.get("ok") is False or answer.get("op") == "error", (line[:60], answer)
    request = {
        "op": "preview",
        "id": 99,
        "source": "import torch\nx = torch.ones(2, 3)\n",
        "expr": "x",
        "line": 2,
    }
    worker.send_line(json.dumps(request).encode())
    answer = worker.next_message()
    assert answer["id"] == 99 and answer["ok"], answer
    assert answer["value"]["size"] == "torch.Size([2, 3])"
