"""Sandbox holes found while writing this suite, each now fixed and kept as a regression test.

Each test states what must hold: Unix datagrams to host sockets, the worker's
own pipe, and a child that closes its result pipe but keeps running.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from tests.sandbox.hostile import assert_healthy, timed_hover


@pytest.fixture
def short_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tp-") as name:
        yield Path(name)


async def test_unix_datagram_to_a_host_socket_is_refused(
    client: LanguageClient, short_dir: Path
) -> None:
    path = str(short_dir / "d.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(path)
        receiver.settimeout(0.5)
        # socketpair() stays allowed, so the datagram has to be stopped at sendto()
        code = (
            "import socket\ns, _ = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
            f"n = s.sendto(b'leak', {path!r})\n"
        )
        await timed_hover(client, code, "n")
        try:
            data = receiver.recv(64)
        except TimeoutError:
            data = b""
    await assert_healthy(client)
    assert data == b"", f"the preview sent {data!r} to a host Unix socket"


async def test_writing_to_the_inherited_protocol_pipe_cannot_lose_a_hover(
    client: LanguageClient,
) -> None:
    code = (
        "import os\nn = [fd for fd in range(3, 64) if os.path.exists(f'/proc/self/fd/{fd}')"
        " and os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:')]\n"
        "w = [os.write(fd, b'garbage-without-newline') for fd in n]\n"
    )
    try:
        await timed_hover(client, code, "w", grace=0.5)
    finally:
        await assert_healthy(client)


async def test_closing_the_result_pipe_then_sleeping_still_times_out(
    client: LanguageClient,
) -> None:
    code = "import os, time\nos.closerange(3, 1024)\ntime.sleep(8)\nn = 1\n"
    try:
        await timed_hover(client, code, "n", grace=0.5)
    finally:
        # the child wakes after 8 s, so the worker recovers by itself
        await assert_healthy(client, limit=12)
