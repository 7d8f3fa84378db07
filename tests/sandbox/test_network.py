"""Network: no TCP or UDP to a listener the test opens on 127.0.0.1, no Unix stream connects.

After each hover the test checks its own listener: nothing may have arrived.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from tests.sandbox.hostile import assert_healthy, assert_mentions, timed_hover

REFUSED = ("PermissionError", "not allowed", "Operation not permitted")


@pytest.fixture
def tcp_listener() -> Iterator[socket.socket]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.3)
        yield listener


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A short directory name: Unix socket paths are limited to 108 bytes."""
    with tempfile.TemporaryDirectory(prefix="tp-") as name:
        yield Path(name)


def assert_no_connection(listener: socket.socket) -> None:
    try:
        conn, peer = listener.accept()
    except TimeoutError:
        return
    conn.close()
    raise AssertionError(f"the preview connected from {peer}")


TCP = {
    "create_connection": "import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n",
    "socket.connect": "import socket\ns = socket.socket()\ns.connect(('127.0.0.1', {port}))\n",
    "urllib": "import urllib.request\ns = urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=1)\n",
    "libc socket": "import ctypes, socket\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "s = (libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0), ctypes.get_errno())\n",
}


@pytest.mark.parametrize("how", list(TCP))
async def test_tcp_to_a_local_listener_is_refused(
    client: LanguageClient, tcp_listener: socket.socket, how: str
) -> None:
    port = tcp_listener.getsockname()[1]
    text, _ = await timed_hover(client, TCP[how].format(port=port), "s")
    assert_no_connection(tcp_listener)
    if how == "libc socket":
        assert "int · -1" in text and "int · 1" in text, text  # EPERM from seccomp
    else:
        assert_mentions(text, *REFUSED, "URLError")
    await assert_healthy(client)


async def test_udp_to_a_local_listener_is_refused(client: LanguageClient) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(0.3)
        port = receiver.getsockname()[1]
        code = (
            "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            f"n = s.sendto(b'leak', ('127.0.0.1', {port}))\n"
        )
        text, _ = await timed_hover(client, code, "n")
        with pytest.raises((TimeoutError, socket.timeout)):
            receiver.recvfrom(64)
    assert_mentions(text, *REFUSED)
    await assert_healthy(client)


async def test_unix_stream_connect_is_refused(client: LanguageClient, short_dir: Path) -> None:
    path = str(short_dir / "s.sock")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(path)
        listener.listen(8)
        listener.settimeout(0.3)
        for code in (
            f"import socket\ns = socket.socket(socket.AF_UNIX)\nr = s.connect({path!r})\n",
            # connect(2) through libc, past the audit hook: seccomp refuses it
            "import ctypes, socket\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            f"addr = ctypes.create_string_buffer(b'\\x01\\x00' + {path.encode()!r}, 110)\n"
            "r = (libc.connect(s.fileno(), addr, 110), ctypes.get_errno())\n",
        ):
            text, _ = await timed_hover(client, code, "r")
            assert_no_connection(listener)
            assert_mentions(text, *REFUSED, "int · -1")
    await assert_healthy(client)
