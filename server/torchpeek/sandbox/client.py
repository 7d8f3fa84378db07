"""Drive the worker process: start it, send requests, route answers, restart after a crash.

The worker runs ``worker/boot.py`` in the user's chosen interpreter, so the
server never imports torch. Its stderr goes to the server log. A request that
is cancelled (by ``$/cancelRequest`` or a newer hover) tells the worker to
kill the child that runs it.

Once the first worker is warm a spare one is started beside it. When the
active worker dies, the spare takes over at once and a new spare warms up in
the background, so a crash costs the next hover nothing but the failed request.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..worker.environment import worker_environment
from ..worker.protocol import MAX_MESSAGE

log = logging.getLogger(__name__)

BOOT = Path(__file__).resolve().parent.parent / "worker" / "boot.py"
READ_LIMIT = 8 * 1024 * 1024


def parse_answer(line: bytes) -> dict[str, Any] | None:
    """One worker line as an answer object, or None when it is not one."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(message, dict):
        return None
    if message.get("op") == "hello":
        return message
    ident = message.get("id")
    if ident is not None and type(ident) is not int:
        return None
    if message.get("op") in ("result", "doctor") and not isinstance(message.get("ok", True), bool):
        return None
    return message


class WorkerGone(Exception):
    """The worker process ended while a request was pending."""


class RequestTooLarge(WorkerGone):
    """A request bigger than the worker reads; it was never sent."""


class WorkerProcess:
    """One running worker: its process, its hello message and its output readers."""

    def __init__(self, owner: WorkerClient) -> None:
        self.owner = owner
        self.process: asyncio.subprocess.Process | None = None
        self.ready: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.tasks: list[asyncio.Task[None]] = []

    async def spawn(self, python: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            self.process = await asyncio.create_subprocess_exec(
                python, "-u", str(BOOT),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, limit=READ_LIMIT,
                env=worker_environment(os.environ),
            )  # fmt: skip
        except OSError as error:
            self.ready.set_result({"torch": None, "error": f"cannot start {python}: {error}"})
            return
        self.tasks = [loop.create_task(self._read_stdout()), loop.create_task(self._read_stderr())]

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def hello(self) -> dict[str, Any]:
        return self.ready.result() if self.ready.done() else {}

    async def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for line in self.process.stderr:
            log.info("worker %s: %s", self.process.pid, line.decode(errors="replace").rstrip())

    async def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        try:
            async for line in self.process.stdout:
                self._dispatch(line)
        except (ValueError, asyncio.LimitOverrunError) as error:
            # a line past the limit (or a broken stream): this worker cannot be trusted to
            # frame its answers any more, so fail what it owes and replace it
            log.warning("worker %s sent an unreadable answer: %s", self.process.pid, error)
            self.owner.broken(
                self, f"the preview worker sent an oversized or broken answer ({error})"
            )
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        await self.process.wait()
        if not self.ready.done():
            self.ready.set_result({"torch": None, "error": "the worker exited during start-up"})
        self.owner.gone(self, self.process.returncode)

    def _dispatch(self, line: bytes) -> None:
        message = parse_answer(line)
        if message is None:
            log.warning("worker sent a line that is not an answer: %r", line[:200])
        elif message.get("op") == "hello":
            if not self.ready.done():
                self.ready.set_result(message)
            self.owner.hello_from(self)
        else:
            self.owner.answer(message)

    def send(self, message: dict[str, Any]) -> None:
        if not self.alive or self.process is None or self.process.stdin is None:
            raise WorkerGone("the preview worker is not running")
        data = (json.dumps(message) + "\n").encode()
        if len(data) > MAX_MESSAGE:  # the worker would drop it without knowing its id
            raise RequestTooLarge(f"the preview request is too large ({len(data):,} bytes)")
        self.process.stdin.write(data)

    async def stop(self) -> None:
        if not self.alive or self.process is None:
            return
        with contextlib.suppress(WorkerGone, ConnectionError):
            self.send({"op": "shutdown"})
        try:
            await asyncio.wait_for(self.process.wait(), 2)
        except asyncio.TimeoutError:
            self.process.kill()


class WorkerClient:
    """The active worker, a warm spare, and the requests waiting for answers."""

    def __init__(
        self,
        python: str,
        on_state: Callable[[str, dict[str, Any]], None],
        keep_spare: bool = True,
        idle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.python = python
        self.on_state = on_state
        self.keep_spare = keep_spare
        self.idle = idle
        self.active: WorkerProcess | None = None
        self.spare: WorkerProcess | None = None
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.ids = itertools.count(1)
        self.stopping = False
        self.failed_starts = 0
        self._spare_task: asyncio.Task[None] | None = None

    @property
    def hello(self) -> dict[str, Any]:
        return self.active.hello if self.active is not None else {}

    @property
    def ready(self) -> asyncio.Future[dict[str, Any]] | None:
        return self.active.ready if self.active is not None else None

    @property
    def pid(self) -> int | None:
        active = self.active
        return active.process.pid if active and active.process else None

    async def _launch(self) -> WorkerProcess:
        worker = WorkerProcess(self)
        await worker.spawn(self.python)
        return worker

    async def start(self) -> None:
        """Spawn the active worker; ``ready`` resolves when torch is imported and warm."""
        self.on_state("warming", {"detail": f"warming up torch in {self.python}"})
        self.active = await self._launch()
        hello = self.active.hello
        if hello and not hello.get("torch"):
            self.on_state("error", {"detail": hello.get("error", "")})

    def hello_from(self, worker: WorkerProcess) -> None:
        """A worker finished warming up."""
        if worker is not self.active:
            return
        self.failed_starts = 0
        hello = worker.hello
        self.on_state("ready" if hello.get("torch") else "error", hello)
        starting = self._spare_task is not None and not self._spare_task.done()
        if hello.get("torch") and self.keep_spare and self.spare is None and not starting:
            self._spare_task = asyncio.get_running_loop().create_task(self._start_spare())

    async def _start_spare(self) -> None:
        """Warm a spare once the user is not waiting on the active worker."""
        if self.idle is not None:
            await self.idle()
        if self.spare is None and not self.stopping:
            self.spare = await self._launch()

    def answer(self, message: dict[str, Any]) -> None:
        future = self.pending.pop(message.get("id", -1), None)
        if future is not None and not future.done():
            future.set_result(message)

    def broken(self, worker: WorkerProcess, reason: str) -> None:
        """A worker's output can no longer be read: fail its pending requests now."""
        if worker is not self.active:
            return
        error = WorkerGone(reason)
        for future in self.pending.values():
            if not future.done():
                future.set_exception(error)
        self.pending.clear()

    def gone(self, worker: WorkerProcess, code: int | None) -> None:
        """A worker exited: fail its requests and promote the spare (or start anew)."""
        if worker is self.spare:
            self.spare = None
            return
        if worker is not self.active:
            return
        error = WorkerGone(f"the preview worker exited (status {code})")
        for future in self.pending.values():
            if not future.done():
                future.set_exception(error)
        self.pending.clear()
        self.failed_starts = (
            self.failed_starts if worker.hello.get("torch") else self.failed_starts + 1
        )
        if self.stopping or self.failed_starts >= 3:
            self.on_state("error", {"detail": f"{error}; not restarting"})
            return
        self._replace_active(str(error))

    def _replace_active(self, reason: str) -> None:
        loop = asyncio.get_running_loop()
        spare, self.spare = self.spare, None
        if spare is not None and spare.alive:
            self.active = spare
            self.on_state("restarting", {"detail": f"{reason}; the spare worker took over"})
            if spare.ready.done():
                self.hello_from(spare)
            return
        self.on_state("restarting", {"detail": reason})
        loop.create_task(self.start())

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request and wait for its answer; cancelling kills the child running it."""
        if self.active is None:
            await self.start()
        assert self.active is not None
        worker = self.active
        hello = await asyncio.shield(worker.ready)
        if not hello.get("torch"):
            summary = hello.get("error", "no torch")
            return {"ok": False, "error": {"type": "ImportError", "summary": summary}}
        request_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        try:
            worker.send({**message, "id": request_id})
        except WorkerGone:
            self.pending.pop(request_id, None)
            raise
        try:
            return await future
        except asyncio.CancelledError:
            self.pending.pop(request_id, None)
            with contextlib.suppress(WorkerGone):
                worker.send({"op": "cancel", "id": request_id})
            raise

    async def stop(self) -> None:
        """Ask the workers to exit, then make sure they did."""
        self.stopping = True
        for worker in (self.active, self.spare):
            if worker is not None:
                await worker.stop()
