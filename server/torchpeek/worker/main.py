"""The worker's main loop: import torch once, warm up, then fork a sandboxed child per preview.

The parent never runs user code. For each request it forks; the child confines
itself, runs the program, writes the result to a pipe and exits. The parent
enforces the wall-clock limit, answers cancellations by killing the child, and
turns a crash or kill into a clear message.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from .forksafe import prepare_parent, settle_child
from .install_hint import missing_torch_message
from .messages import check_limits, checked_result, parse_request
from .messages import failure as _failure
from .protocol import MAX_MESSAGE, Limits, PreviewRequest, encode

OUT_FD = 1


class Channel:
    """Line-oriented JSON over stdin and a private copy of stdout."""

    def __init__(self) -> None:
        self.out = os.dup(1)
        os.dup2(2, 1)  # stray prints in the parent go to stderr, not the protocol
        self.buffer = b""
        self.closed = False

    def send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        if len(data) > MAX_MESSAGE:  # measured after encoding: escapes can triple a string
            data = encode(
                {
                    "op": message.get("op", "error"),
                    "id": message.get("id"),
                    **_failure("InternalError", "the preview result was too large"),
                }
            )
        while data:
            data = data[os.write(self.out, data) :]

    def read_available(self) -> list[dict[str, Any]]:
        chunk = os.read(0, 65536)
        if not chunk:
            self.closed = True
        self.buffer += chunk
        messages = []
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if line.strip():
                message, problem = parse_request(line)
                if message is not None:
                    messages.append(message)
                else:
                    self.send({"op": "error", "message": f"bad request line: {problem}"})
        if len(self.buffer) > MAX_MESSAGE:
            self.buffer = b""
            self.send({"op": "error", "message": "bad request line: too long"})
        return messages


MAX_QUEUE = 8


def _torch_info() -> dict[str, Any]:
    try:
        import torch
    except ImportError as error:
        return {"torch": None, "error": missing_torch_message(sys.executable, error)}
    prepare_parent(torch)
    return {"torch": torch.__version__, "real_gpu": bool(torch.cuda.is_available())}


# Typical preview code: the first fake-tensor call of each operator pays a set-up
# cost in every child unless the parent has made it once before forking.
WARM_UP_PROGRAM = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import numpy as np
m = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.LeakyReLU(), nn.AvgPool2d(2),
    nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Linear(32, 16), nn.GELU(), nn.Dropout(),
    nn.Linear(16, 4), nn.LayerNorm(4),
)
x = torch.randn(2, 3, 16, 16, device="cuda")
logits = m.to("cuda")(x)
y = F.softmax(logits @ torch.ones(4, 4, device="cuda:0"), dim=1).cuda()
loss = F.cross_entropy(logits, torch.randint(0, 4, (2,), device="cuda"))
r = nn.LSTM(4, 8, batch_first=True)(torch.zeros(2, 5, 4))[0]
e = nn.Embedding(10, 4)(torch.tensor([[1, 2, 3]]))
u = F.interpolate(torch.rand(1, 1, 4, 4), scale_factor=2, mode="bilinear", align_corners=False)
z = torch.einsum("ij,jk->ik", torch.rand(2, 3), torch.rand(3, 4)).reshape(-1)[:3]
w = torch.cat([torch.stack([z, z]), torch.zeros(1, 3)]).permute(1, 0).unsqueeze(0).squeeze(0)
a = torch.from_numpy(np.zeros((4, 4, 3), dtype=np.uint8)).permute(2, 0, 1).float().div(255).unsqueeze(0)
b = torch.bmm(torch.rand(2, 3, 4), torch.rand(2, 4, 5)).transpose(1, 2).contiguous().view(2, -1)
"""


def warm_up() -> float:
    """Exercise the fake-tensor and CPU paths once so each child starts warm."""
    from .protocol import PreviewRequest
    from .run import run_preview
    from .sandbox import load_libseccomp

    load_libseccomp()
    started = time.perf_counter()
    program = WARM_UP_PROGRAM
    for expr in ("y", "z.sum().item()"):
        run_preview(PreviewRequest(id=0, source=program, expr=expr))
    return (time.perf_counter() - started) * 1000


class Worker:
    """Runs one preview child at a time; queues the rest."""

    def __init__(self, channel: Channel, info: dict[str, Any]) -> None:
        self.channel = channel
        self.info = info
        self.queue: deque[dict[str, Any]] = deque()
        self.cancelled: set[int] = set()
        self.zombies: list[int] = []
        self.standby: Standby | None = None

    def take_standby(self) -> Standby | None:
        standby, self.standby = self.standby, None
        return standby

    def prepare_standby(self) -> None:
        """Fork the next child while idle, so the next request starts at once."""
        if self.standby is None and self.info.get("torch"):
            self.standby = fork_standby()

    def reap(self) -> None:
        """Collect children that were killed after reporting, without waiting on teardown."""
        for pid in list(self.zombies):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.zombies.remove(pid)

    def handle(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "cancel":
            if len(self.cancelled) > 4096:  # ids only grow; old ones are long answered
                self.cancelled.clear()
            self.cancelled.add(message["id"])
        elif op == "preview":
            self.enqueue(message)
        elif op == "doctor":
            self.channel.send({"op": "doctor", "id": message.get("id"), **self.doctor()})
        elif op == "shutdown":
            self.channel.closed = True

    def enqueue(self, message: dict[str, Any]) -> None:
        """Newest first, so the hover a user just made jumps slow earlier ones; drop the oldest."""
        self.queue.append(message)
        while len(self.queue) > MAX_QUEUE:
            dropped = self.queue.popleft()
            self.channel.send(
                {
                    "op": "result",
                    "id": dropped["id"],
                    **_failure("Busy", "too many previews were waiting; this one was dropped"),
                }
            )

    def doctor(self) -> dict[str, Any]:
        read, write = os.pipe()
        workdir = tempfile.mkdtemp(prefix="torchpeek-doctor-")
        pid = os.fork()
        if pid == 0:
            os.close(read)
            from .sandbox import confine

            layers = confine(workdir, Limits())
            os.write(write, json.dumps(layers).encode())
            os._exit(0)
        os.close(write)
        data = _read_all(read, time.monotonic() + 10)
        os.waitpid(pid, 0)
        shutil.rmtree(workdir, ignore_errors=True)
        layers = json.loads(data) if data else {}
        limits = Limits()
        layers["watchdog"] = {
            "active": True,
            "detail": f"SIGKILL after {limits.timeout_ms / 1000:g} s wall time or more than "
            f"{limits.max_threads} threads (counted every {WATCH_INTERVAL_S * 1000:g} ms)",
        }
        layers["queue"] = {
            "active": True,
            "detail": f"newest request first, at most {MAX_QUEUE} waiting; requests validated",
        }
        layers["result_size"] = {
            "active": True,
            "detail": f"results capped at {MAX_MESSAGE // 2**20} MiB after encoding",
        }
        return {"python": sys.executable, **self.info, "layers": layers}

    def serve(self) -> None:
        while not self.channel.closed or self.queue:
            self.reap()
            if self.queue:
                request = self.queue.pop()
                if request["id"] in self.cancelled:
                    self.channel.send({"op": "result", "id": request["id"], "cancelled": True})
                    continue
                self.channel.send(self.run(request))
                continue
            self.prepare_standby()
            ready, _, _ = select.select([0], [], [], 1.0)
            if ready:
                for message in self.channel.read_available():
                    self.handle(message)

    def run(self, raw: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            request = PreviewRequest.from_json(raw)
            check_limits(request.limits)
        except Exception as error:  # noqa: BLE001 - any malformed field is the sender's error
            return {
                "op": "result",
                "id": raw.get("id"),
                "ok": False,
                "error": _internal(f"bad request: {error}"),
            }
        if not self.info.get("torch"):
            result = {
                "ok": False,
                "error": {
                    "type": "ImportError",
                    "summary": self.info["error"],
                    "message": self.info["error"],
                },
            }
        else:
            result = Supervisor(self, request).run()
        result.update(
            op="result", id=request.id, elapsed_ms=round((time.perf_counter() - started) * 1000, 2)
        )
        return result


def _internal(message: str) -> dict[str, Any]:
    return {"type": "InternalError", "summary": message, "message": message}


def _read_all(fd: int, deadline: float) -> bytes:
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
    result_fd: int
    workdir: str

    def discard(self) -> None:
        _kill(self.pid)
        for fd in (self.request_fd, self.result_fd):
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


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Supervisor:
    """Hand a request to a child, watch it, and explain how it ended."""

    def __init__(self, worker: Worker, request: PreviewRequest) -> None:
        self.worker = worker
        self.request = request

    def _child_for_request(self) -> Standby:
        standby = self.worker.take_standby() or fork_standby()
        try:
            _write_all(standby.request_fd, encode(self.request.to_json()))
        except OSError:  # the standby died while waiting: start a fresh one
            standby.discard()
            standby = fork_standby()
            _write_all(standby.request_fd, encode(self.request.to_json()))
        os.close(standby.request_fd)
        return standby

    def run(self) -> dict[str, Any]:
        child = self._child_for_request()
        try:
            data, reason = self._collect(child.result_fd, child.pid)
        finally:
            shutil.rmtree(child.workdir, ignore_errors=True)
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
                for message in self.worker.channel.read_available():
                    self.worker.handle(message)
                if self.request.id in self.worker.cancelled:
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
            _kill(pid)
            if reason is None:
                self.worker.zombies.append(pid)
                return b"".join(chunks), None
        status = _wait_until(pid, deadline)
        if status is None:  # closed its pipe but kept running
            _kill(pid)
            os.waitpid(pid, 0)
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


def _kill(pid: int) -> None:
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


def _close_all_except(keep: tuple[int, ...]) -> None:
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
        _close_all_except((request_fd, result_fd, devnull))
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
        _close_all_except((write,))
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
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(write, view) :]
    finally:
        os._exit(status)


def main() -> int:
    """Announce readiness (or the missing torch), then serve until stdin closes."""
    channel = Channel()
    info = _torch_info()
    if info.get("torch"):
        info["warmup_ms"] = round(warm_up(), 1)
    channel.send({"op": "hello", "pid": os.getpid(), "python": sys.executable, **info})
    worker = Worker(channel, info)
    try:
        worker.serve()
    finally:
        standby = worker.take_standby()
        if standby is not None:
            standby.discard()
    return 0
