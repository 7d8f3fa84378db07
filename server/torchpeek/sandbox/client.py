"""Drive the worker process: start it, send requests, route answers, restart after a crash.

The worker runs ``worker/boot.py`` in the user's chosen interpreter, so the
server never imports torch. Its stderr goes to the server log. A request that
is cancelled (by ``$/cancelRequest`` or a newer hover) tells the worker to
kill the child that runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BOOT = Path(__file__).resolve().parent.parent / "worker" / "boot.py"
READ_LIMIT = 8 * 1024 * 1024


class WorkerGone(Exception):
    """The worker process ended while a request was pending."""


class WorkerClient:
    """One worker process and the requests waiting for it."""

    def __init__(self, python: str, on_state: Callable[[str, dict[str, Any]], None]) -> None:
        self.python = python
        self.on_state = on_state
        self.process: asyncio.subprocess.Process | None = None
        self.hello: dict[str, Any] = {}
        self.ready: asyncio.Future[dict[str, Any]] | None = None
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.ids = itertools.count(1)
        self.tasks: list[asyncio.Task[None]] = []
        self.stopping = False
        self.failed_starts = 0

    async def start(self) -> None:
        """Spawn the worker; ``ready`` resolves when torch is imported and warm."""
        loop = asyncio.get_running_loop()
        self.ready = loop.create_future()
        self.on_state("warming", {"detail": f"warming up torch in {self.python}"})
        try:
            self.process = await asyncio.create_subprocess_exec(
                self.python,
                "-u",
                str(BOOT),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=READ_LIMIT,
            )
        except OSError as error:
            message = f"cannot start the preview worker with {self.python}: {error}"
            self.ready.set_result({"torch": None, "error": message})
            self.on_state("error", {"detail": message})
            return
        self.tasks = [
            loop.create_task(self._read_stdout(self.process)),
            loop.create_task(self._read_stderr(self.process)),
        ]

    async def _read_stderr(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            log.info("worker: %s", line.decode(errors="replace").rstrip())

    async def _read_stdout(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            try:
                self._dispatch(json.loads(line))
            except json.JSONDecodeError:
                log.warning("worker sent a non-JSON line: %r", line[:200])
        await process.wait()
        self._gone(process.returncode)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("op") == "hello":
            self.hello = message
            if self.ready is not None and not self.ready.done():
                self.ready.set_result(message)
            state = "ready" if message.get("torch") else "error"
            self.on_state(state, message)
            return
        future = self.pending.pop(message.get("id", -1), None)
        if future is not None and not future.done():
            future.set_result(message)

    def _gone(self, code: int | None) -> None:
        error = WorkerGone(f"the preview worker exited (status {code})")
        for future in self.pending.values():
            if not future.done():
                future.set_exception(error)
        self.pending.clear()
        if self.ready is not None and not self.ready.done():
            self.ready.set_result({"torch": None, "error": str(error)})
        self.failed_starts = 0 if self.hello else self.failed_starts + 1
        self.hello = {}
        if self.stopping or self.failed_starts >= 3:
            self.on_state("error", {"detail": f"{error}; not restarting"})
            return
        self.on_state("restarting", {"detail": str(error)})
        asyncio.get_running_loop().create_task(self.start())

    def _send(self, message: dict[str, Any]) -> None:
        if (
            self.process is None
            or self.process.stdin is None
            or self.process.returncode is not None
        ):
            raise WorkerGone("the preview worker is not running")
        self.process.stdin.write((json.dumps(message) + "\n").encode())

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request and wait for its answer; cancelling kills the child running it."""
        if self.ready is None:
            await self.start()
        assert self.ready is not None
        hello = await asyncio.shield(self.ready)
        if not hello.get("torch"):
            return {
                "ok": False,
                "error": {"type": "ImportError", "summary": hello.get("error", "no torch")},
            }
        request_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        self._send({**message, "id": request_id})
        try:
            return await future
        except asyncio.CancelledError:
            self.pending.pop(request_id, None)
            with contextlib.suppress(WorkerGone):
                self._send({"op": "cancel", "id": request_id})
            raise

    async def stop(self) -> None:
        """Ask the worker to exit, then make sure it did."""
        self.stopping = True
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(WorkerGone, ConnectionError):
            self._send({"op": "shutdown"})
        try:
            await asyncio.wait_for(self.process.wait(), 2)
        except asyncio.TimeoutError:
            self.process.kill()
