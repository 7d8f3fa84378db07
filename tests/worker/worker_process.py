"""A real worker process (``worker/boot.py``), spoken to line by line as the server does.

For tests of what the worker decides by itself, such as which snapshot
answers a request; the server's tests go through LSP instead.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from itertools import count
from typing import Any

from torchpeek.sandbox.client import BOOT
from torchpeek.worker.environment import worker_environment


class WorkerProcess:
    """One worker; ``preview`` sends a request and returns its result."""

    def __init__(self, require_torch: bool = True) -> None:
        python = os.environ.get("TORCHPEEK_WORKER_PYTHON", sys.executable)
        self.process = subprocess.Popen(
            [python, "-u", str(BOOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=worker_environment(os.environ),
        )
        self.ids = count(1)
        self.buffer = b""
        self.hello = self.receive(lambda m: m.get("op") == "hello", timeout=180)
        assert self.hello.get("torch") or not require_torch, self.hello

    def send_line(self, line: bytes) -> None:
        """One raw request line, as a broken or hostile server could write it."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()

    def next_message(self, timeout: float = 60) -> dict[str, Any]:
        return self.receive(lambda m: True, timeout)

    def send(self, message: dict[str, Any]) -> int:
        ident = next(self.ids)
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({**message, "id": ident}) + "\n").encode())
        self.process.stdin.flush()
        return ident

    def receive(self, wanted: Any, timeout: float = 60) -> dict[str, Any]:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                message = json.loads(line)
                if wanted(message):
                    return message
            left = deadline - time.monotonic()
            assert left > 0, "the worker did not answer in time"
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                assert chunk, "the worker exited"
                self.buffer += chunk

    def ask(self, message: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        ident = self.send(message)
        return self.receive(lambda m: m.get("id") == ident, timeout)

    def preview(self, source: str, line: int, expr: str, **fields: Any) -> dict[str, Any]:
        request = {"op": "preview", "source": source, "line": line, "expr": expr}
        return self.ask({**request, "filename": "/tmp/torchpeek-test/doc.py", **fields})

    def snapshots(self) -> dict[str, Any]:
        return self.ask({"op": "snapshots"})

    def settle(self, timeout: float = 30) -> dict[str, Any]:
        """Wait until no snapshot is being built (a user pausing between edits)."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.snapshots()
            if not status["building"] or time.monotonic() > deadline:
                return status
            time.sleep(0.05)

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
