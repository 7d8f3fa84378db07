"""Shared helpers for the hostile-input tests: timed hovers, health checks, the process table.

Every case hovers a name in a small document through a real LSP hover, so the
server, the worker and the sandboxed preview child are the ones an editor gets.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import hover_word, session

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


async def hostile_session(client: LanguageClient) -> AsyncIterator[None]:
    """Initialize with the short timeout, wait for the worker's warm-up, yield, shut down.

    The options go in ``initializationOptions`` as an editor sends them, and again
    through ``workspace/didChangeConfiguration``.
    """
    async for _ in session(client, options=OPTIONS):
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"torchpeek": OPTIONS})
        )
        await assert_healthy(client, limit=120)
        yield
        await settle_late_hovers()


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


# -- forged results and Markdown ---------------------------------------------------
def forge(line: str) -> str:
    """Preview code that writes ``line`` (a Python bytes expression) on its result pipe and exits.

    This is what code can do that knows the worker's protocol: the worker must
    treat the line as hostile data, whatever it holds.
    """
    return (
        "import os\n"
        f"data = {line}\n"
        "for fd in range(3, 64):\n"
        "    try:\n"
        "        if os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:'):\n"
        "            view = memoryview(data)\n"
        "            while view:\n"
        "                view = view[os.write(fd, view):]\n"
        "    except OSError:\n"
        "        pass\n"
        "os._exit(0)\n"
        "n = 1\n"
    )


def outside_code_spans(markdown: str) -> str:
    """The Markdown with every code span removed (CommonMark's backtick-run rule)."""
    out, i = [], 0
    while i < len(markdown):
        if markdown[i] != "`":
            out.append(markdown[i])
            i += 1
            continue
        run = len(markdown[i:]) - len(markdown[i:].lstrip("`"))
        fence = "`" * run
        j = i + run
        while True:
            k = markdown.find(fence, j)
            if k < 0:
                out.append(fence)  # an unmatched run is literal text
                i += run
                break
            after = len(markdown[k:]) - len(markdown[k:].lstrip("`"))
            if after == run:
                i = k + run
                break
            j = k + after
    return "".join(out)


#: Markdown an editor would act on: links, images, autolinks, raw HTML.
ACTIVE_MARKDOWN = ("](", "![", "<http", "<a ", "<img", "command:", "http://", "https://", "www.")


def assert_inert(markdown: str) -> None:
    """No link, image or HTML outside code spans; no control or bidi character anywhere."""
    prose = outside_code_spans(markdown)
    for fragment in ACTIVE_MARKDOWN:
        assert fragment not in prose, f"{fragment!r} outside a code span:\n{markdown[:2000]}"
    bad = [
        c
        for c in markdown
        if (ord(c) < 32 and c != "\n")
        or 0x202A <= ord(c) <= 0x202E
        or 0x2066 <= ord(c) <= 0x2069
        or ord(c) in (0x200E, 0x200F, 0x061C, 0x2028, 0x2029)
    ]
    assert not bad, f"raw control characters {bad!r} in hover"
    for line in markdown.split("\n"):
        assert not line.lstrip().startswith(("#", "<", "```", "~~~")), f"block injected: {line!r}"
