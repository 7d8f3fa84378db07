"""Denial of service: forged and oversized results, busy pipes, memory and disk, huge documents.

Each case must end in a clear answer within the preview timeout (plus slack),
leave memory and disk as they were, and leave the next ordinary hover right.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import RawServer, hover_text, hover_word, open_doc
from tests.sandbox.hostile import (
    HEALTHY,
    assert_healthy,
    assert_mentions,
    forge,
    server_pid,
    timed_hover,
)

FORGED_LINES = {
    "astral string": 'b\'{"ok": true, "value": {"kind": "str", "value": "\' '
    "+ ('\\U0001F600' * (1 << 20)).encode() + b'\"}}\\n'",
    "not an object": "b'[1]\\n'",
    "deep nesting": "b'[' * 200000 + b']' * 200000 + b'\\n'",
    "5000-digit number": 'b\'{"ok": true, "value": {"kind": "int", "value": \' + b\'9\' * 5000 + b\'}}\\n\'',
    "wrong types": 'b\'{"ok": 1, "value": [], "error": 7, "id": "x"}\\n\'',
    "not UTF-8": "b'\\xff\\xfe{\\n'",
    "no newline": "b'{\"ok\": true' * 1000",
    "many lines": "b'{}\\n' * 100000",
}


@pytest.mark.parametrize("case", list(FORGED_LINES))
async def test_forged_result_lines_end_in_an_answer(client: LanguageClient, case: str) -> None:
    text, _ = await timed_hover(client, forge(FORGED_LINES[case]), "n")
    assert len(text) < 30_000, len(text)
    assert_mentions(text, "InternalError", "too large", "unreadable", "wrong shape", "exited with")
    await assert_healthy(client)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def test_big_forged_results_are_cut_and_not_kept(client: LanguageClient) -> None:
    big = 'b\'{"ok": true, "value": {"kind": "str", "value": "\' + b\'x\' * (7 << 19) + b\'"}}\\n\''
    server = server_pid(client)
    text, _ = await timed_hover(client, forge(big), "n")  # warms the server's buffers once
    before = _rss_kib(server)
    for _ in range(16):
        text, _ = await timed_hover(client, forge(big), "n")
        assert len(text) < 30_000, len(text)
    grown = (_rss_kib(server) - before) // 1024
    assert grown < 40, f"the server kept {grown} MiB after 16 results of 3.5 MiB"
    await assert_healthy(client)


async def test_threads_are_counted_while_the_pipe_is_busy(client: LanguageClient) -> None:
    code = (
        "import os, threading, time\nthreading.stack_size(64 * 1024)\n"
        "pipes = [fd for fd in range(3, 64) if os.path.exists(f'/proc/self/fd/{fd}')"
        " and os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:')]\n"
        "def chatter():\n    while True:\n        for fd in pipes:\n            os.write(fd, b' ')\n"
        "        time.sleep(0.01)\n"
        "threading.Thread(target=chatter, daemon=True).start()\n"
        "threads = []\nwhile True:\n"
        "    t = threading.Thread(target=time.sleep, args=(100,), daemon=True)\n"
        "    t.start()\n    threads.append(t)\n    time.sleep(0.002)\n"
        "n = 1\n"
    )
    text, elapsed = await timed_hover(client, code, "n")
    assert_mentions(text, "more than 64 threads", "can't start new thread")
    assert elapsed < 2.5, f"took {elapsed:.2f} s"
    await assert_healthy(client)


def _shmem_mib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1]) // 1024
    return 0


async def test_scratch_space_is_capped_in_total(client: LanguageClient) -> None:
    code = (
        "written = 0\nfor i in range(24):\n"
        "    try:\n        with open(f'f{i}', 'wb') as fh:\n"
        "            for _ in range(64):\n                written += fh.write(b'x' * (1 << 20))\n"
        "    except OSError as error:\n        failure = error.strerror\n        break\n"
        "n = (written >> 20, failure)\n"
    )
    before = _shmem_mib()
    text, _ = await timed_hover(client, code, "n")
    assert "No space left on device" in text, text
    assert any(f"int · {m}" in text for m in range(200, 300)), text
    await asyncio.sleep(0.3)  # the child's mounts go with it
    assert _shmem_mib() - before < 128, "scratch files outlived the preview"
    await assert_healthy(client)


MEMORY = {
    "memfd": "import os\nfds = [os.memfd_create(f'm{i}') for i in range(24)]\nn = len(fds)\n",
    "libc memfd": "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "n = (libc.memfd_create(b'm', 0), ctypes.get_errno())\n",
    "shared anonymous map": "import mmap\nmaps = [mmap.mmap(-1, 1 << 30) for _ in range(8)]\n"
    "for m in maps:\n    m.write(b'x' * (1 << 20))\nn = len(maps)\n",
    "pipe buffers": "import os, fcntl\nps = []\nfor _ in range(100):\n    r, w = os.pipe()\n"
    "    try:\n        fcntl.fcntl(w, 1031, 1 << 20)\n    except OSError:\n        pass\n    ps.append(w)\n"
    "n = len(ps)\n",
}


@pytest.mark.parametrize("case", list(MEMORY))
async def test_memory_outside_the_address_space_is_refused(
    client: LanguageClient, case: str
) -> None:
    before = _shmem_mib()
    text, _ = await timed_hover(client, MEMORY[case], "n")
    assert _shmem_mib() - before < 128, text
    if case in ("memfd", "shared anonymous map"):
        assert_mentions(text, "PermissionError", "MemoryError", "Cannot allocate memory")
    await assert_healthy(client)


async def test_a_huge_document_answers_at_once_and_others_keep_working(
    client: LanguageClient,
) -> None:
    huge = "import torch\n" + "y = torch.zeros(3)\n" * 600_000 + "x = torch.ones(2)\n"
    uri = open_doc(client, huge)
    started = time.monotonic()
    position = types.Position(line=huge.count("\n") - 1, character=0)
    big = asyncio.ensure_future(hover_text(client, uri, position))
    elapsed = await assert_healthy(client)
    text = await asyncio.wait_for(big, 10)
    assert text is not None and "too large" in text, text
    assert time.monotonic() - started < 5 and elapsed < 5


async def test_the_newest_hover_does_not_wait_for_a_queue(client: LanguageClient) -> None:
    slow = [
        asyncio.ensure_future(
            hover_word(client, f"import time\ntime.sleep(1.0)\nslow{i} = {i}\n", f"slow{i}")
        )
        for i in range(4)
    ]
    await asyncio.sleep(0.2)  # all four are queued or running
    # first come, first served would wait for all four: 4 s and more
    elapsed = await assert_healthy(client, limit=3.0)
    texts = await asyncio.wait_for(asyncio.gather(*slow), 20)
    assert all(t is not None for t in texts), texts
    assert elapsed < 3.0


BAD_POSITIONS = {
    "negative line": {"line": -1, "character": 0},
    "huge line": {"line": 10**12, "character": 0},
    "fractional": {"line": 1.5, "character": 0},
    "null line": {"line": None, "character": 0},
    "negative character": {"line": 0, "character": -1},
    "missing position": None,
    "past the end": {"line": 1000, "character": 0},
    "past the line": {"line": 0, "character": 5000},
}


def test_bad_hover_positions_get_an_answer() -> None:
    server = RawServer()
    try:
        server.initialize()
        uri = "file:///tmp/torchpeek-tests/positions.py"
        server.open(uri, HEALTHY)
        for n, (case, position) in enumerate(BAD_POSITIONS.items(), start=10):
            params: dict[str, object] = {"textDocument": {"uri": uri}}
            if position is not None:
                params["position"] = position
            server.send("textDocument/hover", params, n)
            answer = server.response(n)
            invalid = answer.get("error", {}).get("code") == -32602
            assert invalid or answer.get("result") is None, f"{case}: {answer}"
    finally:
        server.close()
