"""Scheduling of background traces: one per version, newer versions win, hovers go first."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from torchpeek.sandbox.traces import BackgroundTraces


class Worker:
    """Answers each request after ``delay`` seconds, like a worker running one child at a time."""

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        self.started: list[dict[str, Any]] = []
        self.cancelled = 0

    async def send(self, request: dict[str, Any]) -> dict[str, Any]:
        self.started.append(request)
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return {"ok": True, "recorded": {"1": {"source": request["source"]}}}


async def always_idle(quiet: float) -> None:
    return None


async def test_a_newer_version_cancels_the_older_trace() -> None:
    worker = Worker()
    traces = BackgroundTraces(worker.send, always_idle)
    traces.schedule("file:///a.py", 1, {"source": "v1"})
    await asyncio.sleep(0.25)  # past the debounce: version 1 is running
    traces.schedule("file:///a.py", 2, {"source": "v2"})
    assert await traces.result("file:///a.py", 1) is None
    result = await traces.result("file:///a.py", 2)
    assert result is not None and result["recorded"]["1"]["source"] == "v2"
    assert worker.cancelled == 1


async def test_quick_edits_are_debounced_into_one_run() -> None:
    worker = Worker()
    traces = BackgroundTraces(worker.send, always_idle)
    for version in range(1, 6):
        traces.schedule("file:///b.py", version, {"source": f"v{version}"})
    await traces.result("file:///b.py", 5)
    assert [r["source"] for r in worker.started] == ["v5"]


async def test_a_hover_stops_the_running_trace_which_runs_again_after() -> None:
    worker = Worker(delay=0.3)
    traces = BackgroundTraces(worker.send, always_idle)
    seen: list[int | None] = []
    traces.listeners.append(lambda trace, result: seen.append(trace.version))
    traces.schedule("file:///c.py", 7, {"source": "v7"})
    await asyncio.sleep(0.3)
    traces.yield_to_user()
    assert await traces.result("file:///c.py", 7) is not None
    assert worker.cancelled == 1 and len(worker.started) == 2
    assert seen == [7]
    await traces.stop()


def test_the_worker_passes_a_trace_answer_and_refuses_an_empty_one() -> None:
    from torchpeek.worker.messages import checked_result

    trace = {"ok": True, "mode": "meta", "recorded": {"2": {"x": {"kind": "Tensor"}}}}
    assert checked_result(json.dumps(trace).encode()) == trace
    forged = checked_result(json.dumps({"ok": True, "mode": "meta"}).encode())
    assert forged["ok"] is False and forged["error"]["type"] == "InternalError"
