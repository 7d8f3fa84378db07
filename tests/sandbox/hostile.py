"""Shared helpers for the hostile-input tests: timed hovers, health checks, the process table.

Every case hovers a name in a small document through a real LSP hover, so the
server, the worker and the sandboxed preview child are the ones an editor gets.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import hover_word

TIMEOUT_MS = 3000
TIMEOUT_S = TIMEOUT_MS / 1000
#: Each hover must answer within the preview timeout plus this slack.
SLACK_S = 2.0
OPTIONS = {"preview": {"timeoutMs": TIMEOUT_MS}}
#: Hovers that never answered in time, still pending.
LATE: list[asyncio.Future[str | None]] = []
HEALTHY = "import torch\nx = torch.ones(2, 3)\n"
HEALTHY_SHAPE = "torch.Size([2, 3])"


async def timed_hover(
    client: LanguageClient,
    code: str,
    word: str,
    limit: float = TIMEOUT_S + SLACK_S,
    grace: float = 5.0,
) -> tuple[str, float]:
    """Hover the last ``word`` in ``code``; the hover must answer, within ``limit`` seconds.

    A hover still unanswered ``grace`` seconds after the limit fails the test but is
    not cancelled (pygls' client cannot take a late answer to a cancelled request):
    it goes to ``LATE`` for the fixture to wait out before shutting down.
    """
    started = time.monotonic()
    task = asyncio.ensure_future(hover_word(client, code, word))
    done, _ = await asyncio.wait({task}, timeout=limit + grace)
    if not done:
        LATE.append(task)
        raise AssertionError(f"the hover did not answer within {limit + grace:.1f} s")
    text = task.result()
    elapsed = time.monotonic() - started
    assert text is not None, "no hover"
    assert elapsed <= limit, f"the hover took {elapsed:.2f} s (limit {limit:.1f} s):\n{text}"
    return text, elapsed


def assert_mentions(text: str, *fragments: str) -> None:
    """At least one of ``fragments`` is in the hover text."""
    assert any(f in text for f in fragments), f"none of {fragments!r} in hover:\n{text}"


async def assert_healthy(client: LanguageClient, limit: float = TIMEOUT_S + SLACK_S) -> float:
    """An ordinary hover still gives the right shape; returns how long it took."""
    text, elapsed = await timed_hover(client, HEALTHY, "x", limit)
    assert HEALTHY_SHAPE in text, text
    return elapsed


async def settle_late_hovers(timeout: float = 2.0) -> None:
    """Give unanswered hovers a chance to finish before the server shuts down."""
    if LATE:
        await asyncio.wait(set(LATE), timeout=timeout)
        LATE.clear()


# -- the process table -------------------------------------------------------------
def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces; it is wrapped in parentheses
    return [raw[: raw.index(" ")], raw[raw.index("(") : raw.rindex(")") + 1]] + raw[
        raw.rindex(")") + 2 :
    ].split()


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    fields = _stat(pid)
    return fields is not None and fields[2] != "Z"


def children(pid: int) -> list[int]:
    """Live direct children of ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and fields[3] == str(pid) and fields[2] != "Z":
                found.append(int(entry))
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def server_pid(client: LanguageClient) -> int:
    """The ``python -m torchpeek serve`` process this client talks to."""
    process = getattr(client, "_server", None)
    if process is not None and process.returncode is None:
        return int(process.pid)
    for pid in children(os.getpid()):
        if "torchpeek serve" in cmdline(pid):
            return pid
    raise AssertionError("cannot find the torchpeek server process")


async def worker_pid(client: LanguageClient) -> int | None:
    """The pid of the server's active worker (a warm spare may run beside it)."""
    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="torchpeek.doctor", arguments=[{}])
    )
    pid = report.get("worker_pid") if isinstance(report, dict) else None
    return pid if isinstance(pid, int) and alive(pid) else None


async def wait_for(predicate: object, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        await asyncio.sleep(interval)
    return bool(predicate())  # type: ignore[operator]
