"""Channels to other programs: io_uring, Unix datagrams, SysV and POSIX IPC, devices, keyrings.

Each case aims at something the test holds on the host (a Unix socket bound
at a path or in the abstract namespace, a SysV segment, a terminal, a key in
the session keyring) and checks that thing from outside after the hover.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from tests.sandbox.hostile import assert_healthy, assert_mentions, timed_hover

LIBC = ctypes.CDLL(None, use_errno=True)
REFUSED = ("PermissionError", "not allowed", "Operation not permitted", "Permission denied")
#: (result, errno) of a raw call refused with EPERM, as the hover shows the tuple's items.
EPERM_PAIR = ("int · -1", f"int · {errno.EPERM}")


@pytest.fixture
def receiver() -> Iterator[tuple[socket.socket, str]]:
    """A host Unix datagram socket at a short path; yields it and its path."""
    with tempfile.TemporaryDirectory(prefix="tp-") as name:
        path = str(Path(name) / "d.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(path)
            sock.settimeout(0.3)
            yield sock, path


def received(sock: socket.socket) -> bytes:
    try:
        return sock.recv(256)
    except TimeoutError:
        return b""


def _addr(path: str) -> str:
    """A sockaddr_un for ``path`` as preview code builds it with ctypes."""
    return f"addr = ctypes.create_string_buffer(b'\\x01\\x00' + {path.encode()!r}, 110)\n"


DATAGRAMS = {
    "socketpair + sendto": "import socket\na, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
    "r = a.sendto(b'leak', {path!r})\n",
    "socketpair + sendmsg": "import socket\na, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
    "r = a.sendmsg([b'leak'], [], 0, {path!r})\n",
    "libc sendto": "import ctypes, socket\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n" + _addr("{path}") + ""
    "r = (libc.sendto(a.fileno(), b'leak', 4, 0, addr, 110), ctypes.get_errno())\n",
    "raw sendto syscall": "import ctypes, socket\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n" + _addr("{path}") + ""
    "r = (libc.syscall(44, a.fileno(), b'leak', 4, 0, addr, 110), ctypes.get_errno())\n",
    "libc sendmsg": "import ctypes, socket\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n" + _addr("{path}") + ""
    "class Iov(ctypes.Structure):\n    _fields_ = [('base', ctypes.c_char_p), ('len', ctypes.c_size_t)]\n"
    "class Msg(ctypes.Structure):\n    _fields_ = [('name', ctypes.c_void_p), ('namelen', ctypes.c_uint),"
    " ('iov', ctypes.POINTER(Iov)), ('iovlen', ctypes.c_size_t), ('control', ctypes.c_void_p),"
    " ('controllen', ctypes.c_size_t), ('flags', ctypes.c_int)]\n"
    "iov = Iov(b'leak', 4)\n"
    "msg = Msg(ctypes.cast(addr, ctypes.c_void_p), 110, ctypes.pointer(iov), 1, None, 0, 0)\n"
    "r = (libc.sendmsg(a.fileno(), ctypes.byref(msg), 0), ctypes.get_errno())\n",
    "new datagram socket": "import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
    "r = s.sendto(b'leak', {path!r})\n",
}


@pytest.mark.parametrize("how", list(DATAGRAMS))
async def test_unix_datagram_to_a_host_path_never_arrives(
    client: LanguageClient, receiver: tuple[socket.socket, str], how: str
) -> None:
    sock, path = receiver
    text, _ = await timed_hover(client, DATAGRAMS[how].format(path=path), "r")
    assert received(sock) == b"", f"{how} reached a host socket"
    assert_mentions(text, *REFUSED, EPERM_PAIR[1])


async def test_unix_datagram_to_an_abstract_name_never_arrives(client: LanguageClient) -> None:
    name = f"\0torchpeek-test-{uuid.uuid4().hex[:8]}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(name)
        sock.settimeout(0.3)
        code = (
            "import ctypes, socket\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
            f"addr = ctypes.create_string_buffer(b'\\x01\\x00' + {name.encode()!r}, 110)\n"
            f"r = (libc.sendto(a.fileno(), b'leak', 4, 0, addr, {2 + len(name)}), ctypes.get_errno())\n"
        )
        text, _ = await timed_hover(client, code, "r")
        assert received(sock) == b""
    assert all(f in text for f in EPERM_PAIR), text


async def test_socketpair_still_talks_to_itself(client: LanguageClient) -> None:
    code = "import socket\na, b = socket.socketpair()\na.sendall(b'ping')\nr = b.recv(4)\n"
    text, _ = await timed_hover(client, code, "r")
    assert "b'ping'" in text, text


IO_URING = {
    # io_uring_setup(entries, params): the ring itself, before any operation on it
    "setup": "r = (libc.syscall(425, 8, ctypes.create_string_buffer(120)), ctypes.get_errno())\n",
    "enter": "r = (libc.syscall(426, 3, 1, 1, 0, None, 0), ctypes.get_errno())\n",
    "register": "r = (libc.syscall(427, 3, 0, None, 0), ctypes.get_errno())\n",
}


@pytest.mark.parametrize("call", list(IO_URING))
async def test_io_uring_is_refused(client: LanguageClient, call: str) -> None:
    if os.uname().machine != "x86_64":
        pytest.skip("syscall numbers are x86_64's")
    code = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n" + IO_URING[call]
    text, _ = await timed_hover(client, code, "r")
    assert all(f in text for f in EPERM_PAIR), text


# -- SysV and POSIX IPC --------------------------------------------------------------
IPC_CREAT, IPC_RMID = 0o1000, 0


def _host_segment(key: int, size: int) -> int:
    LIBC.shmget.restype = ctypes.c_int
    shmid = LIBC.shmget(key, size, IPC_CREAT | 0o600)
    assert shmid >= 0, os.strerror(ctypes.get_errno())
    return int(shmid)


def _segment_bytes(shmid: int, size: int) -> bytes:
    LIBC.shmat.restype = ctypes.c_void_p
    address = LIBC.shmat(shmid, None, 0)
    try:
        return ctypes.string_at(address, size)
    finally:
        LIBC.shmdt(ctypes.c_void_p(address))


def _segment_keys() -> set[int]:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {int(line.split()[0]) for line in lines if line.split()}


async def test_sysv_shared_memory_of_the_host_is_out_of_reach(client: LanguageClient) -> None:
    key = 0x7470_0000 | (os.getpid() & 0xFFFF)
    shmid = _host_segment(key, 4096)
    new_key = key + 1
    try:
        before = _segment_bytes(shmid, 16)
        code = (
            "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "libc.shmat.restype = ctypes.c_void_p\n"
            f"found = (libc.shmget({key}, 4096, 0), ctypes.get_errno())\n"
            f"attach = libc.shmat({shmid}, None, 0)\n"
            f"big = (libc.shmget({new_key}, 64 << 20, 0o1600), ctypes.get_errno())\n"
            "r = [found, attach, big]\n"
        )
        text, _ = await timed_hover(client, code, "r")
        assert _segment_bytes(shmid, 16) == before
        assert new_key not in _segment_keys(), "the preview left a segment behind"
        assert "int · 1" in text, text  # EPERM
        for call in ("msgget", "semget"):
            code = (
                f"import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                f"r = (libc.{call}({key}, 0o1600{', 1' if call == 'semget' else ''}), ctypes.get_errno())\n"
            )
            text, _ = await timed_hover(client, code, "r")
            assert all(f in text for f in EPERM_PAIR), text
    finally:
        LIBC.shmctl(shmid, IPC_RMID, None)


async def test_posix_shared_memory_of_the_host_is_out_of_reach(client: LanguageClient) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm here")
    name = f"torchpeek-test-{uuid.uuid4().hex[:8]}"
    host = shm / name
    host.write_bytes(b"host data")
    created = shm / f"{name}-new"
    try:
        for code in (
            f"got = open({str(host)!r}, 'rb').read()\n",
            f"got = open({str(host)!r}, 'r+b').write(b'owned')\n",
            f"import os\ngot = os.open({str(created)!r}, os.O_CREAT | os.O_RDWR)\n",
            "import os\ngot = os.listdir('/dev/shm')\n",
        ):
            text, _ = await timed_hover(client, code, "got")
            assert "host data" not in text, text
            if "listdir" in code:
                assert name not in text, text
            assert_mentions(text, *REFUSED)
        assert host.read_bytes() == b"host data" and not created.exists()
    finally:
        host.unlink(missing_ok=True)
        created.unlink(missing_ok=True)


# -- devices ---------------------------------------------------------------------------
async def test_a_terminal_cannot_be_read_or_written(client: LanguageClient) -> None:
    primary, secondary = os.openpty()
    try:
        tty = os.ttyname(secondary)
        os.write(primary, b"typed password\n")
        for code in (
            f"r = open({tty!r}, 'rb', buffering=0).read(64)\n",
            f"import os\nr = os.open({tty!r}, os.O_WRONLY)\n",
            "import os\nr = os.listdir('/dev/pts')\n",
            "import os\nr = os.open('/dev/ptmx', os.O_RDWR)\n",
            "r = open('/dev/tty', 'rb').read(1)\n",
        ):
            text, _ = await timed_hover(client, code, "r")
            assert "password" not in text
            assert_mentions(text, *REFUSED, "No such device", "No such device or address")
        assert os.read(secondary, 64) == b"typed password\n", "the preview took the input"
    finally:
        os.close(primary)
        os.close(secondary)


DEVICES = ("/dev/mem", "/dev/kmsg", "/dev/fuse", "/dev/net/tun", "/dev/full", "/dev/shm")


async def test_only_four_devices_are_open(client: LanguageClient) -> None:
    code = (
        "import os\nr = []\n"
        f"for path in {DEVICES!r} + ('/dev',):\n"
        "    try:\n        os.close(os.open(path, os.O_RDONLY))\n        r.append(path)\n"
        "    except OSError:\n        pass\n"
        "ok = [len(open(p, 'rb').read(4)) for p in ('/dev/null', '/dev/zero', '/dev/urandom', '/dev/random')]\n"
        "n = (len(r), ok)\n"
    )
    text, _ = await timed_hover(client, code, "n")
    assert "int · 0" in text and "list of 4" in text, text
    await assert_healthy(client)


# -- keyrings -----------------------------------------------------------------------------
KEY_SPEC_SESSION_KEYRING = -3
SYS_ADD_KEY, SYS_KEYCTL, SYS_REQUEST_KEY = 248, 250, 249
KEYCTL_SEARCH = 10


def _search_key(description: bytes) -> int:
    return int(
        LIBC.syscall(SYS_KEYCTL, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, b"user", description, 0)
    )


async def test_the_session_keyring_is_out_of_reach(client: LanguageClient) -> None:
    if os.uname().machine != "x86_64":
        pytest.skip("syscall numbers are x86_64's")
    secret = uuid.uuid4().hex
    mine = f"torchpeek-test-{secret[:8]}".encode()
    key = LIBC.syscall(
        SYS_ADD_KEY, b"user", mine, secret.encode(), len(secret), KEY_SPEC_SESSION_KEYRING
    )
    if key < 0:
        pytest.skip(f"no session keyring here: {os.strerror(ctypes.get_errno())}")
    planted = b"torchpeek-planted-" + secret[:8].encode()
    try:
        code = (
            "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(256)\n"
            f"found = libc.syscall({SYS_KEYCTL}, {KEYCTL_SEARCH}, {KEY_SPEC_SESSION_KEYRING}, b'user', {mine!r}, 0)\n"
            f"read = libc.syscall({SYS_KEYCTL}, 11, {key}, buf, 256)\n"
            f"added = libc.syscall({SYS_ADD_KEY}, b'user', {planted!r}, b'x', 1, {KEY_SPEC_SESSION_KEYRING})\n"
            f"asked = libc.syscall({SYS_REQUEST_KEY}, b'user', {mine!r}, None, {KEY_SPEC_SESSION_KEYRING})\n"
            "r = [found, read, added, asked, buf.value, ctypes.get_errno()]\n"
        )
        text, _ = await timed_hover(client, code, "r")
        assert secret not in text, "the preview read the key"
        assert _search_key(planted) < 0, "the preview added a key to the session keyring"
        assert f"int · {errno.EPERM}" in text, text
    finally:
        LIBC.syscall(SYS_KEYCTL, 21, key, KEY_SPEC_SESSION_KEYRING)  # KEYCTL_UNLINK
    await assert_healthy(client)
