"""Whole-file traces in the background: one run per document version, for inlay hints and diagnostics.

After an edit (debounced) the document runs once in the worker as a trace
(``line`` -1): the first value of every name each line assigns, and where the
run failed. A trace never goes ahead of a user's hover: it starts only once no
hover has been asked for a moment, and a hover that arrives while it runs stops
it (the worker runs one child at a time); it is started again once the user is
idle. A newer version of the document cancels the trace of the older one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .client import WorkerGone

log = logging.getLogger(__name__)
DEBOUNCE_S = 0.15
# A trace waits this long after the last hover; shorter than the hovers' own
# quiet time, since an edit's hints are what the user is waiting for.
QUIET_S = 0.3


@dataclass
class Trace:
    """The trace of one document version: its request and, once done, its result."""

    uri: str
    version: int | None
    request: dict[str, Any]
    done: asyncio.Future[dict[str, Any]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    task: asyncio.Task[None] | None = None
    running: asyncio.Task[dict[str, Any]] | None = None
    started: float = field(default_factory=time.monotonic)
    elapsed_s: float = 0.0


class BackgroundTraces:
    """The traces of open documents: schedule, yield to hovers, keep the latest result."""

    def __init__(
        self,
        send: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
        wait_idle: Callable[[float], Awaitable[None]],
    ) -> None:
        self.send = send
        self.wait_idle = wait_idle
        self.traces: dict[str, Trace] = {}
        self.finished: dict[str, Trace] = {}
        self.listeners: list[Callable[[Trace, dict[str, Any]], None]] = []

    def schedule(self, uri: str, version: int | None, request: dict[str, Any]) -> Trace:
        """Trace this version (after a short debounce); an older one of ``uri`` is cancelled."""
        current = self.traces.get(uri)
        if current is not None and current.version == version and not current.done.cancelled():
            return current
        self.forget(uri, keep_finished=True)
        trace = Trace(uri, version, request)
        trace.task = asyncio.get_running_loop().create_task(self._run(trace))
        self.traces[uri] = trace
        return trace

    def forget(self, uri: str, keep_finished: bool = False) -> None:
        """Stop the trace of ``uri`` (document closed or replaced by a newer version)."""
        trace = self.traces.pop(uri, None)
        if trace is not None:
            if trace.task is not None:
                trace.task.cancel()
            if not trace.done.done():
                trace.done.cancel()
        if not keep_finished:
            self.finished.pop(uri, None)

    def yield_to_user(self) -> None:
        """A hover is coming: stop any trace running in the worker; it restarts when idle."""
        for trace in self.traces.values():
            if trace.running is not None and not trace.running.done():
                trace.running.cancel()

    def pending(self) -> int:
        """Traces scheduled or running whose result is not in yet."""
        return sum(1 for trace in self.traces.values() if not trace.done.done())

    def latest(self, uri: str) -> Trace | None:
        """The last finished trace of ``uri`` (any version)."""
        return self.finished.get(uri)

    async def result(self, uri: str, version: int | None) -> dict[str, Any] | None:
        """The trace result of this version, waiting for it; None when it was superseded."""
        done = self.finished.get(uri)
        if done is not None and done.version == version:
            return done.done.result()
        trace = self.traces.get(uri)
        if trace is None or trace.version != version:
            return None
        try:
            return await asyncio.shield(trace.done)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            return None

    async def _run(self, trace: Trace) -> None:
        await asyncio.sleep(DEBOUNCE_S)
        while True:
            await self.wait_idle(QUIET_S)
            log.info("tracing %s version %s", trace.uri, trace.version)
            trace.running = asyncio.get_running_loop().create_task(self._send(trace.request))
            try:
                result = await trace.running
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                continue  # a hover stopped it: run again once the user is idle
            if not result.get("cancelled"):
                break
        trace.elapsed_s = time.monotonic() - trace.started
        log.info("traced %s version %s in %.2f s", trace.uri, trace.version, trace.elapsed_s)
        trace.done.set_result(result)
        self.finished[trace.uri] = trace
        for listener in self.listeners:
            try:
                listener(trace, result)
            except Exception:  # a failing listener must not lose the others
                log.exception("a trace listener failed for %s", trace.uri)

    async def _send(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.send(request)
        except WorkerGone as error:
            summary = f"{error}; it is restarting"
            return {"ok": False, "error": {"type": "WorkerCrash", "summary": summary}}

    async def stop(self) -> None:
        for uri in list(self.traces):
            task = self.traces[uri].task
            self.forget(uri)
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
