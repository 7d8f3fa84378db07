"""The worker's snapshots: which holders to keep, which one answers a request, when to let go.

After each hover the worker wishes for a holder of that document that stops
before the top-level statement the hover's value came from, or before the
first line that changed since the previous version, whichever comes first:
the next hover after an edit there then runs only the statements from there
on. Holders are built one at a time while the worker is idle.

A request is answered from the holder whose statements reach furthest into
the new version, when the new version keeps them: the same text, or text
changed only inside one function body the holder never ran. Holders whose
statements changed are dropped; the rest stay within a count and a memory
budget (PSS), oldest use first out, and all go when the machine runs short.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from . import holder as holders
from .children import reap_ended
from .holder import Holder
from .protocol import PreviewRequest, encode

MAX_HOLDERS = 6
LOW_MEMORY_KB = 1 << 20  # below this much available memory, holders are let go
BUILD_LIMITS = 2  # a holder may take this many preview time limits to build
MAX_DOCUMENTS = 32


@dataclass
class Wish:
    request: PreviewRequest
    stop_line: int


def context_key(request: PreviewRequest) -> str:
    """What besides the text must match for a holder to stand for a request."""
    return json.dumps(
        [
            request.filename,
            request.cwd,
            request.read_roots,
            request.sys_path,
            request.modes[0],
            asdict(request.limits),
            asdict(request.gpu),
        ]  # fmt: skip
    )


def first_difference(old: list[str], new: list[str]) -> int | None:
    """The 1-based first line that differs (None: the same lines)."""
    for number, (a, b) in enumerate(zip(old, new, strict=False), 1):
        if a != b:
            return number
    return None if len(old) == len(new) else min(len(old), len(new)) + 1


def align(
    old: list[str], new: list[str], end: int, spans: list[list[Any]]
) -> dict[str, Any] | None:
    """How ``new`` keeps the held lines 1..``end`` of ``old``, or None."""
    limit = min(len(old), len(new))
    same = 0
    while same < limit and old[same] == new[same]:
        same += 1
    if same >= end:
        return {"delta": 0, "changed": None}
    tail = 0
    while tail < limit - same and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    first, last = same + 1, len(old) - tail
    if last >= end:
        return None
    for start, stop, _guard, functions in spans:
        if functions and start <= first and max(first - 1, last) <= stop:
            return {"delta": len(new) - len(old), "changed": [first, last]}
    return None


def reach(end: int, snapshot: dict[str, Any]) -> int:
    """The last held line, numbered in the new version."""
    return end + snapshot["delta"] if snapshot["changed"] else end


def in_functions(line: int, spans: list[list[Any]], snapshot: dict[str, Any]) -> bool:
    """Whether new line ``line`` lies in a held statement that defines functions."""
    changed = snapshot["changed"]
    for start, stop, _guard, functions in spans:
        if changed and start > changed[1]:
            start, stop = start + snapshot["delta"], stop + snapshot["delta"]
        elif changed and stop >= changed[0]:
            stop += snapshot["delta"]
        if functions and start <= line <= stop:
            return True
    return False


def _child_of(pid: Any, parent: int) -> bool:
    """Whether ``pid`` is a child of ``parent`` (a holder's word alone is never trusted)."""
    if type(pid) is not int or pid <= 1:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[1]) == parent
    except (OSError, ValueError, IndexError):
        return False


def _unran_function(line: int, holder: Holder, snapshot: dict[str, Any]) -> bool:
    """Whether new line ``line`` is in a held function that did not run (so its first call is
    still to come); inside the changed lines the child checks for itself."""
    if not in_functions(line, holder.spans, snapshot):
        return False
    changed, delta = snapshot["changed"], snapshot["delta"]
    old = line
    if changed and line > changed[1] + delta:
        old = line - delta
    elif changed and line >= changed[0]:
        return True
    return not any(first <= old <= last for first, last in holder.ran)


def memory_available_kb() -> int:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 1 << 40


def _wish_key(request: PreviewRequest, stop: int) -> tuple[str, int, int]:
    """A holder wish: the context, where it stops and the text it would run."""
    held = "\n".join(request.source.splitlines()[: stop - 1])
    return context_key(request), stop, hash(held)


def _stop_line(request: PreviewRequest, result: dict[str, Any], changed: int | None) -> int | None:
    """Where a wished-for holder stops: before the statement a hover's value came from (its
    module-level line), or before the first changed line if that comes first. A whole-file
    trace (inlay hints) only has the changed line."""
    if request.line < 0:
        return changed
    top = result.get("top_line")
    if request.line == 0 or type(top) is not int:
        return None
    return top if changed is None else min(top, changed)


@dataclass
class HolderChild:
    """A preview child forked by a holder (the holder waits for it and reports its end)."""

    holder: Holder
    pid: int
    result_fd: int

    def wait(self, deadline: float) -> int | None:
        while not self.holder.failed:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            for message in self.holder.messages(left):
                status = message.get("status")
                if message.get("op") == "exited" and message.get("pid") == self.pid:
                    return status if type(status) is int else 9
        return 9  # the holder is gone, and its children with it

    def cleanup(self) -> None:
        self.holder.last_used = time.monotonic()

    def killed_after_answer(self, zombies: list[int]) -> None:
        """The holder reaps it and reports that; the report is skipped later."""


class Snapshots:
    """All holders of the worker."""

    def __init__(self) -> None:
        self.holders: list[Holder] = []
        self.wish: Wish | None = None
        self.previous: dict[str, list[str]] = {}
        self.misfits: set[tuple[int, int, int]] = set()
        self.limit_kb = 1024 * 1024
        self.last_failure = ""  # why the last holder that failed to build was not kept
        self.refused: set[tuple[str, int, int]] = set()
        self.zombies: list[int] = []

    def building(self) -> list[Holder]:
        return [h for h in self.holders if not h.ready and not h.failed]

    def on_readable(self, holder: Holder) -> None:
        for message in holder.messages():
            holder.take_ready(message)
        if holder.ready and holder.pss_kb > self.limit_kb:
            holder.failed = f"{holder.pss_kb >> 10} MB is over the snapshots' memory budget"
            holder.ready = False
        if holder.failed:
            self.drop(holder)
        elif holder.ready:
            self.fit()

    def find(self, request: PreviewRequest) -> tuple[Holder, dict[str, Any]] | None:
        """The holder that reaches furthest into ``request``'s document, with its alignment."""
        if not request.snapshots or request.line == 0:
            return None
        new = request.source.splitlines()
        key, best, best_end = context_key(request), None, 0
        for holder in list(self.holders):
            if holder.request.filename != request.filename or not holder.ready:
                continue
            snapshot = align(holder.lines, new, holder.end_line, holder.spans)
            if snapshot is None:
                self.drop(holder)  # its statements changed: it can never answer again
                continue
            end = reach(holder.end_line, snapshot)
            if holder.key != key or end <= best_end or self._misfit(holder, request):
                continue
            if 0 < request.line <= end and not _unran_function(request.line, holder, snapshot):
                continue
            best, best_end = (holder, snapshot), end
        return best

    def _misfit(self, holder: Holder, request: PreviewRequest) -> bool:
        return (holder.pid, hash(request.source), request.line) in self.misfits

    def misfit(self, holder: Holder, request: PreviewRequest) -> None:
        if len(self.misfits) > 4096:
            self.misfits.clear()
        self.misfits.add((holder.pid, hash(request.source), request.line))

    def fork_child(
        self, holder: Holder, request: PreviewRequest, snapshot: dict[str, Any]
    ) -> HolderChild | None:
        """Have ``holder`` fork a child for ``request``; None if the holder is gone."""
        read, write = os.pipe()
        payload = encode({**request.to_json(), "snapshot": snapshot})
        try:
            while holder.messages():  # reports of earlier children
                pass
            socket.send_fds(holder.sock, [payload[:4096]], [write])
            holder.sock.sendall(payload[4096:])
            os.close(write)
            deadline = time.monotonic() + 2
            while not holder.failed and time.monotonic() < deadline:
                for message in holder.messages(deadline - time.monotonic()):
                    pid = message.get("pid")
                    if message.get("op") == "started" and _child_of(pid, holder.pid):
                        assert isinstance(pid, int)
                        holder.last_used = time.monotonic()
                        return HolderChild(holder, pid, read)
        except OSError:
            pass
        for fd in (read, write):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.drop(holder)
        return None

    def after(self, request: PreviewRequest, result: dict[str, Any]) -> None:
        """Wish for the holder that would have made this request cheap."""
        new = request.source.splitlines()
        previous = self.previous.pop(request.filename, None)
        self.previous[request.filename] = new
        while len(self.previous) > MAX_DOCUMENTS:
            self.previous.pop(next(iter(self.previous)))
        self.limit_kb = request.snapshot_mb * 1024
        changed = first_difference(previous, new) if previous is not None else None
        stop = _stop_line(request, result, changed)
        used = result.get("resumed", {}).get("line")
        if not request.snapshots or stop is None or stop <= 1:
            return
        if isinstance(used, int) and used >= stop - 1:
            return
        mode = str(result.get("mode", request.modes[0]))
        wanted = replace(request, modes=request.modes if mode == request.modes[0] else (mode,))
        if _wish_key(wanted, stop) in self.refused:
            return
        key = context_key(wanted)
        for holder in self.holders:
            if (
                holder.key == key
                and holder.stop_line == stop
                and holder.lines[: stop - 1] == new[: stop - 1]
            ):
                return
        self.wish = Wish(wanted, stop)

    def build_pending(self) -> None:
        """Start the wished-for holder, one at a time; give up on holders that take too long."""
        self.reap()
        now = time.monotonic()
        for holder in self.building():
            if now - holder.started > BUILD_LIMITS * holder.request.limits.timeout_ms / 1000 + 2:
                holder.failed = "its statements ran longer than the preview time limit"
                self.drop(holder)
        if self.wish is None or self.building():
            return
        wish, self.wish = self.wish, None
        self.fit(room=1)
        self.holders.append(holders.start(wish.request, wish.stop_line, context_key(wish.request)))

    def fit(self, room: int = 0) -> None:
        """Drop the least recently used holders until count and memory are within bounds."""
        for holder in self.holders:
            if holder.ready:  # its standby child counts too, forked after it became ready
                holder.pss_kb = holders.tree_pss_kb(holder.pid)
        while True:
            ready = sorted((h for h in self.holders if h.ready), key=lambda h: h.last_used)
            over = (
                len(self.holders) + room > MAX_HOLDERS
                or sum(h.pss_kb for h in ready) > self.limit_kb
                or memory_available_kb() < LOW_MEMORY_KB
            )
            if not over or not ready:
                return
            self.drop(ready[0])

    def drop(self, holder: Holder) -> None:
        if holder in self.holders:
            self.holders.remove(holder)
        if holder.failed and not holder.ready:
            self.last_failure = f"{os.path.basename(holder.request.filename)}: {holder.failed}"
            if len(self.refused) > 4096:
                self.refused.clear()
            self.refused.add(_wish_key(holder.request, holder.stop_line))  # not built again
        holder.discard(wait=False)
        self.zombies.append(holder.pid)

    def reap(self) -> None:
        """Collect holders that were killed, without waiting for their teardown."""
        reap_ended(self.zombies)

    def wait_fds(self) -> list[Holder]:
        return self.building()

    def status(self) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        for holder in self.holders:
            if holder.ready:
                holder.pss_kb = holders.tree_pss_kb(holder.pid)
            rows.append(
                {
                    "filename": holder.request.filename,
                    "statements": holder.count,
                    "line": holder.end_line,
                    "mode": holder.request.modes[0],
                    "ready": holder.ready,
                    "pss_kb": holder.pss_kb,
                }
            )
        total = holders.tree_pss_kb(os.getpid())  # the worker, its standby, holders, children
        return {
            "holders": rows,
            "building": len(self.building()),
            "pss_kb": total,
            "limit_mb": self.limit_kb // 1024,
            "last_failure": self.last_failure,
        }

    def close(self) -> None:
        for holder in list(self.holders):
            self.drop(holder)
        for pid in self.zombies:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
