"""Snapshots on a real worker: a hover after an edit resumes from a holder and answers as a full run.

Each case hovers a document, waits for the worker to build its holder (as a
user pauses between edits), edits, and hovers again. The answer from the
snapshot must equal the answer of a full run of the same version
(``snapshots: false``), and must say it resumed. Other cases check when a
snapshot must *not* be used, and that the sandbox holds in a holder.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.worker.worker_process import WorkerProcess

COMPARED = ("ok", "value", "reached", "layers", "notes")


@pytest.fixture(scope="module")
def worker() -> Iterator[WorkerProcess]:
    process = WorkerProcess()
    yield process
    process.close()


def same_answer(resumed: dict[str, Any], full: dict[str, Any]) -> None:
    for key in COMPARED:
        assert resumed.get(key) == full.get(key), key
    if not full["ok"]:
        assert resumed["error"]["summary"] == full["error"]["summary"]


def hover_after_edits(
    worker: WorkerProcess, versions: list[str], line: int, expr: str, filename: str
) -> list[dict[str, Any]]:
    """Hover each version in turn, pausing for the holders; each answer checked against a full run."""
    answers = []
    for source in versions:
        answer = worker.preview(source, line, expr, filename=filename)
        full = worker.preview(source, line, expr, filename=filename, snapshots=False)
        assert "resumed" not in full
        same_answer(answer, full)
        answers.append(answer)
        worker.settle()
    return answers


def test_an_edit_just_above_the_line_resumes(worker: WorkerProcess) -> None:
    head = ["import torch", "x0 = torch.zeros(4, 8)"]
    head += [f"x{i} = x{i - 1} * 1.5 + {i}" for i in range(1, 60)]
    versions = [
        "\n".join([*head[:-1], f"x59 = x58[:{n}] + 1", "y = x59.sum(0, keepdim=True).T"]) + "\n"
        for n in (4, 3, 2, 1)
    ]
    answers = hover_after_edits(worker, versions, 62, "y", "/tmp/tp-snap/scaling.py")
    assert all(a["value"]["shape"] == [8, 1] for a in answers)
    assert [("resumed" in a) for a in answers] == [False, False, True, True]
    assert answers[-1]["resumed"] == {"statements": 60, "line": 60}


MODEL = """\
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 16)

    def forward(self, x):
        h = self.fc(x)
        {edit}
        return h.relu()


if __name__ == "__main__":
    net = Net()
    x = torch.randn(3, 8)
    out = net(x)
    print(out.shape)
"""


def test_an_edit_inside_forward_runs_the_new_body(worker: WorkerProcess) -> None:
    edits = ["h = h * 2", "h = h[:, :4]", "h = h.unsqueeze(0)\n        h = h.squeeze(0)[:2]"]
    versions = [MODEL.replace("{edit}", edit) for edit in edits]
    lines = [12, 12, 13]
    answers = []
    for source, line in zip(versions, lines, strict=True):
        answers += hover_after_edits(worker, [source], line, "h", "/tmp/tp-snap/model.py")
    assert [a["value"]["shape"] for a in answers] == [[3, 16], [3, 4], [2, 16]]
    assert "resumed" not in answers[0]
    assert answers[1]["resumed"]["line"] == 18  # net and x built, ``out = net(x)`` to run
    assert answers[2]["resumed"]["line"] == 19
    assert answers[2]["reached"]["via_line"] == 20


TWICE = """\
import torch


def grow(t):
    t = torch.cat([t, t])
    return t


a = grow(torch.zeros(2, 3))
b = torch.ones(5)
c = grow(torch.zeros(1, 3))
d = c + {n}
"""


def test_a_hovered_function_that_ran_in_the_held_statements_is_reached_first(
    worker: WorkerProcess,
) -> None:
    versions = [TWICE.replace("{n}", str(n)) for n in range(3)]
    answers = hover_after_edits(worker, versions, 5, "t", "/tmp/tp-snap/twice.py")
    assert answers[-1]["resumed"]["line"] == 6  # ``grow`` defined, not yet called
    assert all(a["value"]["shape"] == [4, 3] and a["reached"]["via_line"] == 9 for a in answers)


def test_a_changed_function_that_already_ran_is_not_resumed(worker: WorkerProcess) -> None:
    versions = [TWICE.replace("{n}", str(n)) for n in range(3)]
    answers = hover_after_edits(worker, versions, 12, "d", "/tmp/tp-snap/ran.py")
    assert answers[-1]["resumed"]["line"] == 11  # ``grow`` ran at lines 9 and 11
    edited = versions[-1].replace("torch.cat([t, t])", "torch.cat([t, t, t])")
    (answer,) = hover_after_edits(worker, [edited], 12, "d", "/tmp/tp-snap/ran.py")
    assert answer["value"]["shape"] == [3, 3]
    assert "resumed" not in answer


SCRATCH = """\
import os
with open("log.txt", "w") as f:
    f.write("held")
marker = 1
with open("log.txt", "a") as f:
    f.write("+{n}")
seen = open("log.txt").read() + "|" + ",".join(sorted(os.listdir(".")))
"""


def test_the_scratch_dir_is_put_back_for_each_child(worker: WorkerProcess) -> None:
    versions = [SCRATCH.replace("{n}", str(n)) for n in range(4)]
    answers = hover_after_edits(worker, versions, 7, "seen", "/tmp/tp-snap/scratch.py")
    assert answers[-1]["resumed"]
    assert [a["value"]["value"] for a in answers] == [f"'held+{n}|log.txt'" for n in range(4)]


RANDOM = """\
import random
random.seed(7)
first = random.random()
n = {n}
picks = round(random.random(), 6) + n
"""


def test_random_streams_continue_from_the_held_state(worker: WorkerProcess) -> None:
    versions = [RANDOM.replace("{n}", str(n)) for n in range(4)]
    answers = hover_after_edits(worker, versions, 5, "picks", "/tmp/tp-snap/random.py")
    assert answers[-1]["resumed"]


HOSTILE = """\
import ctypes
import os
libc = ctypes.CDLL(None)
pid = libc.fork()
if pid == 0:
    os._exit(0)
try:
    os.fork()
    python_fork = "allowed"
except PermissionError as error:
    python_fork = "refused"
calls = []
os.register_at_fork(before=lambda: calls.append("before"), after_in_child=lambda: calls.append("child"))
n = {n}
seen = f"{pid} {python_fork} {calls}"
"""


def test_statements_in_a_holder_cannot_fork(worker: WorkerProcess) -> None:
    versions = [HOSTILE.replace("{n}", str(n)) for n in range(4)]
    answers = hover_after_edits(worker, versions, 15, "seen", "/tmp/tp-snap/hostile.py")
    assert answers[-1]["resumed"]
    assert all(a["value"]["value"] == "'-1 refused []'" for a in answers)


THREAD = """\
import threading
import time
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
n = {n}
x = n + 1
"""


def test_statements_that_leave_a_thread_running_are_not_held(worker: WorkerProcess) -> None:
    versions = [THREAD.replace("{n}", str(n)) for n in range(3)]
    answers = hover_after_edits(worker, versions, 5, "x", "/tmp/tp-snap/thread.py")
    assert not any("resumed" in a for a in answers)
    assert not [h for h in worker.snapshots()["holders"] if h["filename"].endswith("thread.py")]


def test_holders_stay_within_the_memory_setting(worker: WorkerProcess) -> None:
    source = "import torch\nx = torch.zeros(3)\ny = x + {n}\nz = y * 2\n"
    for n in range(3):
        worker.preview(
            source.replace("{n}", str(n)), 4, "z", snapshot_mb=1, filename="/tmp/tp-snap/m.py"
        )
        worker.settle()
    status = worker.snapshots()
    assert not [h for h in status["holders"] if h["filename"].endswith("m.py")]
    assert status["limit_mb"] == 1
    assert status["pss_kb"] > 0


def test_status_reports_each_holder(worker: WorkerProcess) -> None:
    source = "import torch\nx = torch.zeros(3)\ny = x + 1\nz = y * 2\n"
    worker.preview(source, 4, "z", filename="/tmp/tp-snap/status.py")
    status = worker.settle()
    (row,) = [h for h in status["holders"] if h["filename"].endswith("status.py")]
    assert row == {**row, "statements": 3, "line": 3, "mode": "meta", "ready": True}
    assert row["pss_kb"] > 1000
    assert status["pss_kb"] >= row["pss_kb"]


FORGER = """\
import os
import stat
for fd in range(3, 256):
    try:
        if stat.S_ISSOCK(os.fstat(fd).st_mode):  # a holder's line to the worker
            os.write(fd, b'{"op": "started", "pid": VICTIM}\\n{"op": "exited", "pid": VICTIM}\\n')
    except OSError:
        pass
n = {n}
x = n * 2
"""


def test_forged_holder_messages_never_name_another_process(worker: WorkerProcess) -> None:
    victim = subprocess.Popen(["sleep", "120"])
    try:
        source = FORGER.replace("VICTIM", str(victim.pid))
        versions = [source.replace("{n}", str(n)) for n in range(4)]
        answers = hover_after_edits(worker, versions, 10, "x", "/tmp/tp-snap/forger.py")
        assert [a["value"]["value"] for a in answers] == ["0", "2", "4", "6"]
        assert answers[-1]["resumed"]
        assert victim.poll() is None, "the worker signalled a process a holder named"
    finally:
        victim.kill()
        victim.wait()


def test_a_whole_file_trace_resumes_with_every_line_recorded(worker: WorkerProcess) -> None:
    # the trace behind inlay hints: every assigned name's first value, by line
    versions = [TWICE.replace("{n}", str(n)) for n in range(4)]
    answers = []
    for source in versions:
        answer = worker.preview(source, -1, "", filename="/tmp/tp-snap/trace.py")
        full = worker.preview(source, -1, "", filename="/tmp/tp-snap/trace.py", snapshots=False)
        assert answer["recorded"] == full["recorded"]
        assert answer["recorded_loops"] == full["recorded_loops"]
        answers.append(answer)
        worker.settle()
    assert [("resumed" in a) for a in answers] == [False, False, True, True]
    assert sorted(answers[-1]["recorded"]) == ["10", "11", "12", "5", "9"]


def test_a_line_in_a_function_that_ran_picks_an_earlier_holder(worker: WorkerProcess) -> None:
    versions = [TWICE.replace("{n}", str(n)) for n in range(6)]
    name = "/tmp/tp-snap/earlier.py"
    hover_after_edits(worker, versions[:2], 5, "t", name)  # a holder before the first call
    hover_after_edits(worker, versions[2:4], 12, "d", name)  # one after both calls
    held = sorted(h["line"] for h in worker.snapshots()["holders"] if h["filename"] == name)
    assert held == [6, 11]
    answers = hover_after_edits(worker, versions[4:], 5, "t", name)
    assert all(a["resumed"]["line"] == 6 and a["reached"]["via_line"] == 9 for a in answers)


ESCAPES = """\
import os
import sys
heard = []
sys.addaudithook(lambda event, args: heard.append(event))
try:
    os.setsid()
    session = "new"
except PermissionError:
    session = "refused"
open("probe.txt", "w").close()
n = {n}
seen = f"{session} {len(heard)}"
"""


def test_previews_cannot_leave_their_group_or_add_audit_hooks(worker: WorkerProcess) -> None:
    versions = [ESCAPES.replace("{n}", str(n)) for n in range(4)]
    answers = hover_after_edits(worker, versions, 12, "seen", "/tmp/tp-snap/escapes.py")
    assert answers[-1]["resumed"]
    assert all(a["value"]["value"] == "'refused 0'" for a in answers)


PATCHER = """\
import ctypes
import os
import socket
libc = ctypes.CDLL(None)
forks = []


def evil(*args, **kwargs):
    forks.append(libc.fork())  # on a holder's forking thread this would succeed
    raise OSError("replaced")


os.read = os.write = os.close = os.pipe = os.waitpid = evil
socket.socket.sendall = socket.socket.recv = socket.socket.recvmsg = socket.socket.close = evil
n = {n}
seen = len(forks)
"""


def test_replaced_os_and_socket_functions_never_run_on_the_forking_thread(
    worker: WorkerProcess,
) -> None:
    versions = [PATCHER.replace("{n}", str(n)) for n in range(4)]
    answers = hover_after_edits(worker, versions, 16, "seen", "/tmp/tp-snap/patcher.py")
    assert answers[-1]["resumed"]  # the holder still serves: its thread called none of them
    assert all(a["value"]["value"] == "0" for a in answers)
