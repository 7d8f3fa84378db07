"""The worker's main loop: import torch once, warm up, then fork a sandboxed child per preview.

The parent never runs user code. For each request it forks; the child confines
itself, runs the program, writes the result to a pipe and exits. The parent
enforces the wall-clock limit, answers cancellations by killing the child, and
turns a crash or kill into a clear message.
"""

from __future__ import annotations

import gc
import json
import os
import select
import shutil
import sys
import tempfile
import time
from collections import deque
from dataclasses import replace
from typing import Any

from .children import (
    WATCH_INTERVAL_S,
    Standby,
    Supervisor,
    fork_standby,
    read_all,
    reap_ended,
    write_all,
)
from .forksafe import prepare_parent
from .install_hint import missing_torch_message
from .messages import check_limits, parse_request
from .messages import failure as _failure
from .protocol import MAX_MESSAGE, Limits, PreviewRequest, encode
from .snapshots import Snapshots

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
emb = nn.Embedding(16, 8)(torch.randint(0, 16, (2, 6))) + nn.Embedding(6, 8)(torch.arange(6))
h = nn.Linear(8, 24)(F.layer_norm(emb, (8,))).split(8, dim=2)
q, k, v = (t.view(2, 6, 2, 4).transpose(1, 2) for t in h)
att = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(2, 6, 8)
s = (q @ k.transpose(-2, -1)).masked_fill(torch.tril(torch.ones(6, 6)) == 0, float("-inf"))
o = F.gelu(nn.Linear(8, 32)(F.dropout(att, 0.1))).softmax(-1).mean()
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
        self.snapshots = Snapshots()

    def poll_channel(self) -> None:
        for message in self.channel.read_available():
            self.handle(message)

    def take_standby(self) -> Standby | None:
        standby, self.standby = self.standby, None
        return standby

    def prepare_standby(self) -> None:
        """Fork the next child while idle, so the next request starts at once."""
        if self.standby is None and self.info.get("torch"):
            self.standby = fork_standby()

    def reap(self) -> None:
        """Collect children that were killed after reporting, without waiting on teardown."""
        reap_ended(self.zombies)

    def handle(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "cancel":
            if len(self.cancelled) > 4096:  # ids only grow; old ones are long answered
                self.cancelled.clear()
            self.cancelled.add(message["id"])
        elif op == "preview":
            self.enqueue(message)
        elif op == "snapshots":
            self.channel.send(
                {"op": "snapshots", "id": message.get("id"), **self.snapshots.status()}
            )
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
        data = read_all(read, time.monotonic() + 10)
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
        layers["snapshots"] = {
            "active": True,
            "detail": "holders run a file's first statements under these layers (16 MiB "
            "scratch); only a holder's forking thread may fork; at most 6, within "
            "snapshots.memoryMb of PSS",
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
            self.snapshots.build_pending()
            building = self.snapshots.building()
            sources: list[Any] = [0, *building]
            ready, _, _ = select.select(sources, [], [], 0.25 if building else 1.0)
            for source in ready:
                if source == 0:
                    self.poll_channel()
                else:
                    self.snapshots.on_readable(source)

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
            result = self.preview(request)
        result.update(
            op="result", id=request.id, elapsed_ms=round((time.perf_counter() - started) * 1000, 2)
        )
        return result

    def preview(self, request: PreviewRequest) -> dict[str, Any]:
        """From the best snapshot if one fits, else by running the whole document."""
        found = self.snapshots.find(request)
        if found is not None:
            holder, snapshot = found
            child = self.snapshots.fork_child(holder, request, snapshot)
            result: dict[str, Any] = (
                Supervisor(self, request, child).run() if child else {"mismatch": "gone"}
            )
            crashed = result.get("error", {}).get("type") in ("WorkerCrash", "InternalError")
            if "mismatch" in result or crashed:  # the whole run answers (or explains) instead
                self.snapshots.misfit(holder, request)
            elif result.pop("retry_real", False):
                real = self.preview(replace(request, modes=request.modes[1:]))
                if real.get("ok"):
                    real["fallback"] = result["error"]["summary"]
                    return real
                return result
            else:
                self.snapshots.after(request, result)
                return result
        result = Supervisor(self, request, self.standby_for(request)).run()
        self.snapshots.after(request, result)
        return result

    def standby_for(self, request: PreviewRequest) -> Standby:
        """The waiting standby (or a fresh one) with ``request`` written to it."""
        standby = self.take_standby() or fork_standby()
        try:
            write_all(standby.request_fd, encode(request.to_json()))
        except OSError:  # the standby died while waiting: start a fresh one
            standby.discard()
            standby = fork_standby()
            write_all(standby.request_fd, encode(request.to_json()))
        os.close(standby.request_fd)
        return standby


def _internal(message: str) -> dict[str, Any]:
    return {"type": "InternalError", "summary": message, "message": message}


def main() -> int:
    """Announce readiness (or the missing torch), then serve until stdin closes."""
    channel = Channel()
    info = _torch_info()
    if info.get("torch"):
        info["warmup_ms"] = round(warm_up(), 1)
        # torch's objects never become garbage: children and holders need not scan them
        # (nor copy their pages by touching them), and a holder finds its own objects fast.
        gc.collect()
        gc.freeze()
    channel.send({"op": "hello", "pid": os.getpid(), "python": sys.executable, **info})
    worker = Worker(channel, info)
    try:
        worker.serve()
    finally:
        standby = worker.take_standby()
        if standby is not None:
            standby.discard()
        worker.snapshots.close()
    return 0
