"""Preview children: forking one per request, watching it, and explaining how it ended.

A child is either a *standby* (forked from the worker ahead of time, waiting on
a pipe for its request) or a child a snapshot holder forked (``holder.py``).
Either way the worker reads its result from a pipe, enforces the wall-clock
and thread limits, answers cancellations by killing it, and turns a crash or
a kill into a clear message.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from .forksafe import settle_child
from .messages import checked_result
from .messages import failure as _failure
from .protocol import MAX_MESSAGE, PreviewRequest, encode

# The answer is written with this, taken before the preview's code could replace ``os.write``.
_WRITE = os.write


class Child(Protocol):
    """A running preview child as the supervisor sees it."""

    @property
    def pid(self) -> int: ...

    @property
    def result_fd(self) -> int: ...

    def wait(self, deadline: float) -> int | None:
        """Its exit status, or None if it still runs at ``deadline``."""

    def cleanup(self) -> None:
        """Remove what it left behind."""

    def killed_after_answer(self, zombies: list[int]) -> None:
        """It was killed once its answer was in: note what must still be reaped."""


class Host(Protocol):
    """What the supervisor needs of the worker: its channel, cancellations, zombies."""

    cancelled: set[int]
    zombies: list[int]

    def poll_channel(self) -> None: ...


def _internal(message: str) -> dict[str, Any]:
    return {"type": "InternalError", "summary": message, "message": message}


def read_all(fd: int, deadline: float) -> bytes:
    chunks = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


@dataclass
class Standby:
    """A child forked ahead of time that waits for its request on a pipe.

    Forking the torch-sized worker costs several milliseconds; doing it while
    the worker is idle takes that off the hover's critical path.
    """

    pid: int
    request_fd: int
    result_read: int
    workdir: str

    @property
    def result_fd(self) -> int:
        return self.result_read

    def wait(self, deadline: float) -> int | None:
        return _wait_until(self.pid, deadline)

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def killed_after_answer(self, zombies: list[int]) -> None:
        zombies.append(self.pid)

    def discard(self) -> None:
        kill(self.pid)
        for fd in (self.request_fd, self.result_read):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        shutil.rmtree(self.workdir, ignore_errors=True)


def fork_standby() -> Standby:
    """Fork a child that will run whatever request arrives on its pipe."""
    workdir = tempfile.mkdtemp(prefix="torchpeek-preview-")
    request_read, request_write = os.pipe()
    result_read, result_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns
        _standby_child(request_read, result_write, workdir)
    os.close(request_read)
    os.close(result_write)
    return Standby(pid, request_write, result_read, workdir)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[_WRITE(fd, view) :]


def answer_and_exit(fd: int, data: bytes, status: int) -> NoReturn:
    """A child's last act: its answer on the pipe, then the exit (whatever the write did)."""
    try:
        write_all(fd, data)
    finally:
        os._exit(status)


class Supervisor:
    """Hand a request to a child, watch it, and explain how it ended."""

    def __init__(self, host: Host, request: PreviewRequest, child: Child) -> None:
        self.host = host
        self.request = request
        self.child = child

    def run(self) -> dict[str, Any]:
        try:
            data, reason = self._collect(self.child.result_fd, self.child.pid)
        finally:
            self.child.cleanup()
        return self._outcome(data, reason)

    def _collect(self, fd: int, pid: int) -> tuple[bytes, str | None]:
        deadline = time.monotonic() + self.request.limits.timeout_ms / 1000
        chunks: list[bytes] = []
        reason = None
        next_count = 0.0
        while True:
            now = time.monotonic()
            if now >= deadline:
                reason = "timeout"
                break
            # counted on every pass, busy pipe or not, at most once per interval
            if now >= next_count:
                next_count = now + WATCH_INTERVAL_S
                if _thread_count(pid) > self.request.limits.max_threads:
                    reason = "threads"
                    break
            wait = min(deadline - now, max(0.0, next_count - now))
            ready, _, _ = select.select([fd, 0], [], [], wait)
            if 0 in ready:
                self.host.poll_channel()
                if self.request.id in self.host.cancelled:
                    reason = "cancelled"
                    break
            if fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if chunk.endswith(b"\n"):
                    break  # a whole result: answer now, let the child's teardown happen later
                if sum(map(len, chunks)) > MAX_MESSAGE:
                    reason = "oversize"
                    break
        os.close(fd)
        if reason is not None or chunks:
            kill(pid)
            if reason is None:
                self.child.killed_after_answer(self.host.zombies)
                return b"".join(chunks), None
        status = self.child.wait(deadline)
        if status is None:  # closed its pipe but kept running
            kill(pid)
            self.child.wait(time.monotonic() + 1)
            return b"", "timeout"
        if reason is None and not chunks:
            reason = _exit_reason(status)
        return b"".join(chunks), reason

    def _outcome(self, data: bytes, reason: str | None) -> dict[str, Any]:
        seconds = self.request.limits.timeout_ms / 1000
        if reason == "cancelled":
            return {"cancelled": True, "ok": False}
        if reason == "timeout":
            return _failure(
                "TimeoutError", f"the preview ran longer than {seconds:g} s and was stopped"
            )
        if reason == "threads":
            limit = self.request.limits.max_threads
            return _failure(
                "ResourceError", f"the preview started more than {limit} threads and was stopped"
            )
        if reason == "oversize":
            return _failure("InternalError", "the preview result was too large")
        if reason is not None:
            return _failure("WorkerCrash", reason)
        return checked_result(data)


WATCH_INTERVAL_S = 0.05


def _thread_count(pid: int) -> int:
    """Threads of a child, from /proc (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[17])  # num_threads: field 20, counted after "pid (comm)"


def _wait_until(pid: int, deadline: float) -> int | None:
    """The child's exit status, or None if it is still alive at the deadline."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.005)


def reap_ended(pids: list[int]) -> None:
    """Collect the killed children in ``pids`` that have ended (removed from the list)."""
    for pid in list(pids):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            pids.remove(pid)


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _exit_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        names = {
            signal.SIGSYS: "a forbidden system call (such as exec) was blocked by the sandbox",
            signal.SIGSEGV: "the code crashed the interpreter (segmentation fault)",
            signal.SIGKILL: "it was killed (out of memory or over the limit)",
            signal.SIGXCPU: "it used more CPU time than allowed",
            signal.SIGXFSZ: "it wrote a file larger than allowed",
            signal.SIGABRT: "it aborted",
        }
        detail = names.get(signal.Signals(sig), f"signal {signal.Signals(sig).name}")
        return f"the preview process died: {detail}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"the preview process exited with status {code} before reporting (os._exit?)"


def close_all_except(keep: tuple[int, ...]) -> None:
    """Close every descriptor from 3 up except ``keep``."""
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)


def _standby_child(request_fd: int, result_fd: int, workdir: str) -> None:
    """Drop the worker's descriptors, then wait for the request and run it."""
    try:
        from .sandbox import die_with_parent, isolate

        die_with_parent()
        settle_child()  # before any thread starts: see forksafe.py
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):
            os.dup2(devnull, fd)
        close_all_except((request_fd, result_fd, devnull))
        isolate(workdir)  # namespaces and the scratch mount, before the request arrives
        raw = b""
        while not raw.endswith(b"\n"):
            chunk = os.read(request_fd, 1 << 20)
            if not chunk:
                os._exit(4)
            raw += chunk
        request = PreviewRequest.from_json(json.loads(raw))
    except BaseException:  # noqa: BLE001 - nothing to report to; the parent sees the exit
        os._exit(4)
    _child(request, result_fd, workdir)


def _child(request: PreviewRequest, write: int, workdir: str) -> None:
    """Confine this process, run the preview and report; always ends in ``os._exit``."""
    status = 0
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        # Nothing of the worker's (its pipe to the server above all) stays reachable.
        close_all_except((write,))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        from . import simcuda
        from .run import run_preview
        from .sandbox import confine

        layers = confine(workdir, request.limits, request.read_roots)
        import torch

        simcuda.install(request.gpu, real_gpu=bool(torch.cuda.is_available()))
        result = run_preview(request)
        result["sandbox"] = sorted(name for name, layer in layers.items() if layer["active"])
        data = encode(result)
        if len(data) > MAX_MESSAGE:
            data = encode(_failure("InternalError", "the preview result was too large"))
    except BaseException as error:  # noqa: BLE001
        data = encode({"ok": False, "error": _internal(f"{type(error).__name__}: {error}")})
        status = 3
    answer_and_exit(write, data, status)
