"""Snapshot holders: confined processes that ran a document's first statements and fork per hover.

A holder is forked from the warm worker and confined like any preview child
(namespaces, scratch tmpfs, rlimits, Landlock, seccomp, audit hook). It runs
the document's first ``k`` top-level statements, records what a resumed run
needs (``resume.Held``) and the state of its scratch directory, then waits.

Forking is the one thing a holder may do that a preview may not, and only
one thread may do it. Seccomp filters belong to threads: the holder starts
its *forking thread* under a filter that allows ``fork`` (and naming other
pids), then gives its main thread the full filter before any user code runs.
User code therefore runs with ``fork`` refused, like in every other child.
The forking thread runs only this module's loop: it receives a request with
the pipe for its answer (``SCM_RIGHTS``), forks, and reports the child's pid
and exit status. Each child first loads the full filter for its own pid,
puts the scratch directory back as the holder left it, and resumes
(``resume.py``).

Everything a holder and its children run is imported before the holder is
confined (Landlock may not let it read torchpeek's own files afterwards), and
not before: the worker itself must start without torch.
"""

from __future__ import annotations

import _socket
import _thread
import array
import contextlib
import gc
import json
import os
import random
import select
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field, replace
from typing import Any

from . import sandbox, seccomp
from .children import answer_and_exit, close_all_except, kill
from .forksafe import settle_child
from .protocol import PreviewRequest, encode
from .scratch import Scratch

# A holder's forking thread calls only these, taken before any user code runs (code of the
# file that replaces ``os.read`` or a socket method must not get onto that thread).
_FORK, _WAITPID, _SELECT = os.fork, os.waitpid, select.select
_PIPE, _READ, _WRITE, _CLOSE, _WNOHANG = os.pipe, os.read, os.write, os.close, os.WNOHANG
_SENDALL, _RECV, _RECVMSG = _socket.socket.sendall, _socket.socket.recv, _socket.socket.recvmsg
_SOCKET_CLOSE, _FD_SIZE = _socket.socket.close, array.array("i").itemsize
_RIGHTS = (socket.SOL_SOCKET, socket.SCM_RIGHTS, socket.CMSG_LEN(_FD_SIZE))
STATE: dict[str, Any] = {}
HELD = _thread.allocate_lock()  # released once the holder's statements have run
MAX_BUFFER = 1 << 16
REAP_S = 0.02  # how often the forking thread looks for children that ended
# A holder's scratch tmpfs is small: statements that write more are not held (a
# full disk would change what they do), see ``scratch.MAX_BYTES``.
SCRATCH_MB = 16


@dataclass
class Holder:
    """The worker's handle on one holder process."""

    pid: int
    sock: socket.socket
    workdir: str
    key: str
    request: PreviewRequest
    stop_line: int
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    failed: str = ""
    count: int = 0
    end_line: int = 0
    spans: list[list[Any]] = field(default_factory=list)
    ran: list[list[int]] = field(default_factory=list)  # functions that ran in the held statements
    pss_kb: int = 0
    last_used: float = field(default_factory=time.monotonic)
    buffer: bytes = b""
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lines = self.request.source.splitlines()

    def fileno(self) -> int:
        return self.sock.fileno()

    def messages(self, timeout: float = 0.0) -> list[dict[str, Any]]:
        """Whole messages the holder sent (waiting up to ``timeout`` for the first)."""
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except (BlockingIOError, TimeoutError, InterruptedError):
            return []
        except OSError:
            chunk = b""
        if not chunk:
            self.failed = self.failed or "the snapshot process ended"
            return []
        self.buffer += chunk
        if len(self.buffer) > MAX_BUFFER:
            self.failed = "the snapshot process sent too much"
            return []
        found = []
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            with contextlib.suppress(ValueError):
                found.append(json.loads(line))
        return found

    def take_ready(self, message: dict[str, Any]) -> None:
        if message.get("op") == "ready":
            self.ready = True
            self.count, self.end_line = message["count"], message["end_line"]
            self.spans = message["spans"]
            self.ran = message.get("ran", [])
            self.pss_kb = tree_pss_kb(self.pid)
        elif message.get("op") == "failed":
            self.failed = str(message.get("why", "failed"))

    def discard(self, wait: bool = True) -> None:
        """Kill the holder with its children; ``wait=False`` leaves the reaping to the caller
        (a hover need not wait for a large process to be torn down)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, 9)  # the holder, its children and anything they left behind
        kill(self.pid)
        self.sock.close()
        if wait:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        shutil.rmtree(self.workdir, ignore_errors=True)


def tree_pss_kb(pid: int) -> int:
    """PSS of a process and all its descendants (a holder with its standby child)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += pss_kb(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo += [int(child) for child in handle.read().split()]
        except (OSError, ValueError):
            continue
    return total


def pss_kb(pid: int) -> int:
    """Proportional set size of a process, from /proc (0 if unreadable)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def start(request: PreviewRequest, stop_line: int, key: str) -> Holder:
    """Fork a holder that runs ``request``'s statements ending before ``stop_line``."""
    workdir = tempfile.mkdtemp(prefix="torchpeek-snapshot-")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # never returns
        ours.close()
        _holder_main(request, stop_line, theirs, workdir)
    theirs.close()
    return Holder(pid, ours, workdir, key, request, stop_line)


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    _SENDALL(sock, encode(message))


def _holder_main(
    request: PreviewRequest, stop_line: int, sock: socket.socket, workdir: str
) -> None:
    try:
        sandbox.die_with_parent()
        HELD.acquire()
        settle_child()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        close_all_except((sock.fileno(),))
        from .hold import hold
        from .resume import resume_preview

        STATE["resume"] = resume_preview
        limits = replace(
            request.limits, max_scratch_mb=min(request.limits.max_scratch_mb, SCRATCH_MB)
        )
        layers = sandbox.confine(workdir, limits, request.read_roots, forker=True)
        _thread.start_new_thread(_serve, (sock,))
        while sandbox.FORKER["ident"] is None:
            time.sleep(0.001)
        scoped = sandbox.signals_scoped(layers)
        active, detail = seccomp.install(os.getpid(), scoped)  # the main thread's full filter
        if not active and layers["seccomp"]["active"]:
            raise RuntimeError(detail)
        STATE["layers"] = sorted(name for name, layer in layers.items() if layer["active"])
        STATE["scoped"] = scoped
        held = hold(request, stop_line)
        if _thread._count() > 1:
            raise RuntimeError("the statements left threads running")
        STATE["held"], STATE["scratch"] = held, Scratch.take(workdir)
        STATE["random"] = random.getstate()  # Python reseeds its generator in each child
        # Nothing of the user's may run (in a finalizer) on the forking thread: what exists
        # now is never collected here, and nothing is collected while the holder waits.
        gc.freeze()
        gc.disable()
        ready = {"op": "ready", "count": held.count, "end_line": held.end_line}
        ready.update(spans=held.layout.to_json(held.count), ran=held.entered_spans)
        _send(sock, ready)
        HELD.release()
    except BaseException as error:  # noqa: BLE001 - reported; the worker discards the holder
        with contextlib.suppress(OSError):
            _send(sock, {"op": "failed", "why": f"{type(error).__name__}: {error}"[:500]})
        os._exit(0)
    lock = _thread.allocate_lock()
    lock.acquire()
    lock.acquire()  # the main thread waits here for good; the forking thread serves


def _read_line(sock: socket.socket, first: bytes) -> bytes:
    data = first
    while not data.endswith(b"\n"):
        chunk = _RECV(sock, 1 << 20)
        if not chunk:
            os._exit(0)
        data += chunk
    return data


def _receive_request(sock: socket.socket) -> tuple[bytes, int]:
    """The first bytes of a request and the pipe its answer goes to (``SCM_RIGHTS``)."""
    head, ancillary, _, _ = _RECVMSG(sock, 1 << 16, _RIGHTS[2])
    for level, kind, data in ancillary:
        if (level, kind) == _RIGHTS[:2] and len(data) >= _FD_SIZE:
            return head, array.array("i", data[:_FD_SIZE])[0]
    os._exit(0)  # the worker closed its end (or sent no pipe)


def _serve(sock: socket.socket) -> None:
    """The forking thread: one standby child always waiting, each exit reported.

    The next standby is forked as soon as the last one has taken its request,
    so a hover that follows at once does not wait for the last child's exit.
    """
    sandbox.FORKER["ident"] = _thread.get_ident()
    HELD.acquire()  # the first standby is forked once the statements have run
    while True:
        took_read, took_write = _PIPE()
        pid = _FORK()
        if pid == 0:
            _CLOSE(took_read)
            _standby(sock, took_write)
        _CLOSE(took_write)
        while not _SELECT([took_read], [], [], REAP_S)[0]:
            _reap(sock)
        _READ(took_read, 1)  # a byte once it took a request; nothing if it died first
        _CLOSE(took_read)
        _reap(sock)


def _reap(sock: socket.socket) -> None:
    """Report every child that has ended."""
    while True:
        try:
            pid, status = _WAITPID(-1, _WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        try:
            _SENDALL(sock, b'{"op": "exited", "pid": %d, "status": %d}\n' % (pid, status))
        except OSError:
            os._exit(0)


def _standby(sock: socket.socket, took: int) -> None:
    """A child of the holder: confined and set up first, then it takes one request and answers.

    The scratch directory is put back once the request is in: by then the
    worker has killed the previous child, which answered before this request
    was sent.
    """
    status = 0
    try:
        sandbox.FORKER["ident"] = None
        sandbox.die_with_parent()
        close_all_except((sock.fileno(), took))
        active, detail = seccomp.install(os.getpid(), STATE["scoped"])
        if not active and "seccomp" in STATE["layers"]:
            raise RuntimeError(detail)
        gc.enable()
        settle_child()
        random.setstate(STATE["random"])
        head, result_fd = _receive_request(sock)
        _WRITE(took, b"x")
        _CLOSE(took)
        data = _read_line(sock, head)
        _SENDALL(sock, b'{"op": "started", "pid": %d}\n' % os.getpid())
        _SOCKET_CLOSE(sock)  # user code must never reach the worker's socket
        STATE["scratch"].restore()
    except BaseException:  # noqa: BLE001 - the holder reports the exit
        os._exit(4)
    try:
        message = json.loads(data)
        resume = STATE["resume"]
        result = resume(PreviewRequest.from_json(message), message["snapshot"], STATE["held"])
        result["sandbox"] = STATE["layers"]
        payload = encode(result)
    except BaseException as error:  # noqa: BLE001
        payload = encode({"ok": False, "mismatch": f"{type(error).__name__}: {error}"[:500]})
        status = 3
    answer_and_exit(result_fd, payload, status)
