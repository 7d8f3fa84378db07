"""Sandbox holes found while writing this suite, pinned as strict xfails.

Each test states what must hold; it fails today. When a hole is fixed the test
passes, strict ``xfail`` turns that into a failure, and the marker should go.
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


@pytest.mark.xfail(
    strict=True,
    reason="seccomp allows socket(AF_UNIX) and sendto; Landlock (ABI<=7) does not mediate "
    "pathname Unix sockets, so a datagram reaches any host socket the user can reach",
)
async def test_unix_datagram_to_a_host_socket_is_refused(
    client: LanguageClient, short_dir: Path
) -> None:
    path = str(short_dir / "d.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(path)
        receiver.settimeout(0.5)
        code = (
            "import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
            f"n = s.sendto(b'leak', {path!r})\n"
        )
        await timed_hover(client, code, "n")
        try:
            data = receiver.recv(64)
        except TimeoutError:
            data = b""
    await assert_healthy(client)
    assert data == b"", f"the preview sent {data!r} to a host Unix socket"


@pytest.mark.xfail(
    strict=True,
    reason="the child inherits the worker's protocol pipe (fd 3, Channel.out); a partial "
    "line written there corrupts the next message and that hover never answers",
)
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


@pytest.mark.xfail(
    strict=True,
    reason="Supervisor._collect stops watching the clock at EOF on the result pipe and then "
    "blocks in waitpid; a child that closes its fds and sleeps hangs the worker",
)
async def test_closing_the_result_pipe_then_sleeping_still_times_out(
    client: LanguageClient,
) -> None:
    code = "import os, time\nos.closerange(3, 1024)\ntime.sleep(8)\nn = 1\n"
    try:
        await timed_hover(client, code, "n", grace=0.5)
    finally:
        # the child wakes after 8 s, so the worker recovers by itself
        await assert_healthy(client, limit=12)
