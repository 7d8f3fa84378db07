"""Processes: no exec, no fork, no effect on another process; exits, threads and alarms end cleanly.

Commands that would run try to create a marker file under ``tmp_path``; the
test checks that it never appears and that the worker survives. Calls aimed
at another process (a victim the test starts, the server, the test itself)
are checked from outside: limits, priority, CPU set, scheduler, I/O priority
and run state must stay as they were.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from tests.lsp_support import command
from tests.sandbox.hostile import (
    alive,
    assert_healthy,
    assert_mentions,
    server_pid,
    timed_hover,
    worker_pid,
)

SPAWNS = {
    "os.system": "import os\nr = os.system('touch {marker}')\n",
    "subprocess.run": "import subprocess\nr = subprocess.run(['touch', '{marker}'])\n",
    "os.execv": "import os\nr = os.execv('/usr/bin/touch', ['touch', '{marker}'])\n",
    "os.posix_spawn": "import os\nr = os.posix_spawn('/usr/bin/touch', ['touch', '{marker}'], {{}})\n",
    "pty.spawn": "import pty\nr = pty.spawn(['touch', '{marker}'])\n",
}


@pytest.mark.parametrize("how", list(SPAWNS))
async def test_running_a_command_is_refused(
    client: LanguageClient, tmp_path: Path, how: str
) -> None:
    marker = tmp_path / "marker"
    text, _ = await timed_hover(client, SPAWNS[how].format(marker=marker), "r")
    assert not marker.exists(), f"{how} ran a command"
    # pty.spawn fails earlier: opening /dev/ptmx for writing is outside the sandbox
    assert_mentions(text, "PermissionError", "not allowed", "out of pty devices")
    await assert_healthy(client)


async def test_libc_system_bypassing_the_audit_hook_runs_nothing(
    client: LanguageClient, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    code = f"import ctypes\nr = ctypes.CDLL(None).system(b'touch {marker}')\n"
    text, _ = await timed_hover(client, code, "r")
    assert not marker.exists()
    assert "int ·" in text or "died" in text, text
    await assert_healthy(client)


async def test_libc_execv_kills_the_child_with_sigsys(
    client: LanguageClient, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    code = (
        "import ctypes\nargv = (ctypes.c_char_p * 3)(b'touch', "
        f"{str(marker).encode()!r}, None)\n"
        "r = ctypes.CDLL(None).execv(b'/usr/bin/touch', argv)\n"
    )
    text, _ = await timed_hover(client, code, "r")
    assert not marker.exists()
    assert_mentions(text, "died", "forbidden system call")
    await assert_healthy(client)


async def test_fork_bomb(client: LanguageClient) -> None:
    before = await worker_pid(client)
    text, _ = await timed_hover(client, "import os\nwhile True:\n    os.fork()\nn = 1\n", "n")
    assert_mentions(text, "PermissionError", "not allowed")
    code = (
        "import ctypes, os\nlibc = ctypes.CDLL(None)\npids = []\n"
        "for _ in range(50):\n"
        "    pid = libc.fork()\n"
        "    if pid == 0:\n"
        "        os._exit(0)\n"
        "    pids.append(pid)\n"
        "    pids.append(libc.syscall(57))\n"  # SYS_fork on x86_64; SYS_fork is absent elsewhere
        "n = sorted(set(pids))\n"
    )
    text, _ = await timed_hover(client, code, "n")
    assert "list of 1" in text and "int · -1" in text, text
    assert (await worker_pid(client)) == before
    await assert_healthy(client)


async def test_sys_exit(client: LanguageClient) -> None:
    text, _ = await timed_hover(client, "import sys\nr = sys.exit(3)\n", "r")
    assert_mentions(text, "sys.exit(3)")
    await assert_healthy(client)


async def test_os_exit(client: LanguageClient) -> None:
    text, _ = await timed_hover(client, "import os\nr = os._exit(0)\n", "r")
    assert_mentions(text, "exited with status 0")
    await assert_healthy(client)


async def test_threads_left_running_do_not_hold_the_answer(client: LanguageClient) -> None:
    code = (
        "import threading, time, torch\n"
        "threading.Thread(target=lambda: time.sleep(100), daemon=False).start()\n"
        "x = torch.ones(2, 3)\n"
    )
    text, elapsed = await timed_hover(client, code, "x")
    assert "torch.Size([2, 3])" in text
    assert elapsed < 2, f"took {elapsed:.2f} s"
    await assert_healthy(client)


async def test_thread_bomb_is_stopped(client: LanguageClient) -> None:
    code = (
        "import threading, time\nthreading.stack_size(64 * 1024)\nthreads = []\n"
        "while True:\n"
        "    t = threading.Thread(target=time.sleep, args=(100,))\n"
        "    t.start()\n"
        "    threads.append(t)\n"
        "n = 1\n"
    )
    text, elapsed = await timed_hover(client, code, "n")
    assert_mentions(text, "more than 64 threads")
    assert elapsed < 2, f"took {elapsed:.2f} s"
    await assert_healthy(client)


SIGNAL_CASES = {
    "ignore SIGTERM": "import signal, torch\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n",
    "ignore everything": "import signal, torch\nfor s in signal.valid_signals():\n"
    "    try:\n        signal.signal(s, signal.SIG_IGN)\n    except (OSError, ValueError):\n"
    "        pass\n",
    "alarm": "import signal, torch\nsignal.alarm(1)\n",
}


@pytest.mark.parametrize("case", list(SIGNAL_CASES))
async def test_signal_handlers_then_a_result(client: LanguageClient, case: str) -> None:
    text, _ = await timed_hover(client, SIGNAL_CASES[case] + "x = torch.ones(2, 3)\n", "x")
    assert "torch.Size([2, 3])" in text, text
    await assert_healthy(client)


async def test_alarm_that_fires_kills_only_the_child(client: LanguageClient) -> None:
    code = "import signal, time\nsignal.alarm(1)\ntime.sleep(2.5)\nr = 1\n"
    text, _ = await timed_hover(client, code, "r")
    assert_mentions(text, "died", "SIGALRM")
    await assert_healthy(client)


async def test_ignored_sigterm_still_times_out(client: LanguageClient) -> None:
    code = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\nr = 1\n"
    text, _ = await timed_hover(client, code, "r")
    assert_mentions(text, "TimeoutError", "3 s")
    await assert_healthy(client)


KILLS = {
    "worker": "import os\nr = os.kill(os.getppid(), 9)\n",
    "server": "import os\n"
    "server = int(open(f'/proc/{os.getppid()}/stat').read().rsplit(')', 1)[1].split()[1])\n"
    "r = os.kill(server, 9)\n",
}


@pytest.mark.parametrize("target", list(KILLS))
async def test_killing_the_parents_is_refused(client: LanguageClient, target: str) -> None:
    worker = await worker_pid(client)
    assert worker is not None
    text, _ = await timed_hover(client, KILLS[target], "r")
    assert_mentions(text, "PermissionError", "Operation not permitted")
    assert alive(worker) and (await worker_pid(client)) == worker, "the worker was killed"
    await assert_healthy(client)


async def test_killing_the_process_group_only_kills_the_child(client: LanguageClient) -> None:
    report = await command(client, "torchpeek.doctor")
    if "no signals outside the sandbox" not in report["layers"]["landlock"]["detail"]:
        pytest.skip("Landlock signal scoping is not available on this kernel")
    worker = await worker_pid(client)
    code = "import os, signal\nr = os.killpg(os.getpgid(0), signal.SIGKILL)\n"
    text, _ = await timed_hover(client, code, "r")
    assert_mentions(text, "died", "killed", "PermissionError")
    assert alive(os.getpid()) and worker is not None and alive(worker)
    await assert_healthy(client)


LIBC = ctypes.CDLL(None, use_errno=True)
SYS_IOPRIO_GET = 252
IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER = 1, 2, 3


@pytest.fixture
def victim() -> Iterator[int]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def snapshot(pid: int) -> tuple[object, ...]:
    """Everything a preview might try to change about a process, read from outside."""
    limits = Path(f"/proc/{pid}/limits").read_text()
    stopped = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "tT"
    ioprio = LIBC.syscall(SYS_IOPRIO_GET, IOPRIO_WHO_PROCESS, pid)
    return (
        limits,
        os.getpriority(os.PRIO_PROCESS, pid),
        os.sched_getaffinity(pid),
        os.sched_getscheduler(pid),
        ioprio,
        stopped,
    )


CALLS = {
    "prlimit CPU": "import resource\nr = resource.prlimit({pid}, resource.RLIMIT_CPU, (1, 1))\n",
    "prlimit NOFILE": "import resource\nr = resource.prlimit({pid}, resource.RLIMIT_NOFILE, (3, 3))\n",
    "setpriority": "import os\nr = os.setpriority(os.PRIO_PROCESS, {pid}, 19)\n",
    "setpriority group": "import os\nr = os.setpriority(os.PRIO_PGRP, 0, 19)\n",
    "setpriority user": "import os\nr = os.setpriority(os.PRIO_USER, os.getuid(), 19)\n",
    "sched_setaffinity": "import os\nr = os.sched_setaffinity({pid}, {{0}})\n",
    "sched_setscheduler": "import os\nr = os.sched_setscheduler({pid}, os.SCHED_IDLE, os.sched_param(0))\n",
    "sched_setparam": "import os\nr = os.sched_setparam({pid}, os.sched_param(0))\n",
    "ioprio process": "import ctypes\nr = ctypes.CDLL(None, use_errno=True).syscall(251, 1, {pid}, (3 << 13) | 7)\n",
    "ioprio group": "import ctypes\nr = ctypes.CDLL(None, use_errno=True).syscall(251, 2, 0, (3 << 13) | 7)\n",
    "ioprio user": "import ctypes, os\nr = ctypes.CDLL(None, use_errno=True).syscall(251, 3, os.getuid(), (3 << 13) | 7)\n",
    "kill": "import os, signal\nr = os.kill({pid}, signal.SIGSTOP)\n",
    "kill everyone": "import os, signal\nr = os.kill(-1, signal.SIGSTOP)\n",
    "killpg": "import os, signal\nr = os.killpg(0, signal.SIGSTOP)\n",
    "pidfd_open": "import os\nr = os.pidfd_open({pid})\n",
    "tgkill": "import ctypes\nr = ctypes.CDLL(None, use_errno=True).syscall(234, {pid}, {pid}, 19)\n",
    "process_madvise": "import ctypes\nr = ctypes.CDLL(None, use_errno=True).syscall(440, 0, None, 0, 21, 0)\n",
}


@pytest.mark.parametrize("call", list(CALLS))
async def test_another_process_is_left_alone(
    client: LanguageClient, victim: int, call: str
) -> None:
    if os.uname().machine != "x86_64" and "syscall" in CALLS[call]:
        pytest.skip("syscall numbers are x86_64's")
    server = server_pid(client)
    watched = (victim, server, os.getpid())
    before = [snapshot(pid) for pid in watched]
    text, _ = await timed_hover(client, CALLS[call].format(pid=victim), "r")
    after = [snapshot(pid) for pid in watched]
    for pid, old, new in zip(watched, before, after, strict=True):
        assert old == new, f"{call} changed process {pid}: {old} -> {new}\n{text}"
    assert alive(victim)
    await assert_healthy(client)


async def test_the_server_survives_a_cpu_limit_aimed_at_it(client: LanguageClient) -> None:
    server = server_pid(client)
    code = (
        "import os, resource\nr = []\n"
        f"for pid in ({server}, os.getppid(), 1):\n"
        "    try:\n        r.append(resource.prlimit(pid, resource.RLIMIT_CPU, (1, 1)))\n"
        "    except OSError as error:\n        r.append(error.errno)\n"
    )
    text, _ = await timed_hover(client, code, "r")
    assert "(1, 1)" not in text, text
    assert alive(server)
    await assert_healthy(client)


async def test_the_preview_is_the_first_the_oom_killer_takes(client: LanguageClient) -> None:
    code = (
        "score = int(open('/proc/self/oom_score_adj').read())\n"
        "try:\n    open('/proc/self/oom_score_adj', 'w').write('-1000')\nexcept OSError:\n    pass\n"
        "final = (score, int(open('/proc/self/oom_score_adj').read()))\n"
    )
    text, _ = await timed_hover(client, code, "final")
    assert text.count("int · 1000") == 2, text
