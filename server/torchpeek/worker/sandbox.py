"""Confine a preview child: namespaces, a capped scratch dir, resource limits, Landlock, seccomp.

Each layer is applied when the kernel allows it and reported either way, so
``torchpeek doctor`` can say which are active and which gaps stay open. Order
matters: namespaces need a single-threaded process, the scratch mount needs
the new mount namespace's privileges (dropped right after), Landlock and
seccomp need ``no_new_privs``, and the audit hook goes last because it is a
courtesy layer, not a boundary.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from . import landlock, seccomp
from .environment import allowed
from .protocol import Limits
from .seccomp import load_libseccomp

__all__ = ["confine", "die_with_parent", "isolate", "load_libseccomp"]

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18
SCRATCH_INODES = 4096

_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]


def _layer(active: bool, detail: str) -> dict[str, Any]:
    return {"active": active, "detail": detail}


def _errno_text() -> str:
    return os.strerror(ctypes.get_errno())


def set_rlimits(limits: Limits) -> dict[str, Any]:
    """Address space, CPU seconds, open files, file size, tasks and no core dumps."""
    cpu = max(1, -(-limits.timeout_ms // 1000) + 1)
    wanted = {
        resource.RLIMIT_AS: limits.memory_mb * 1024 * 1024,
        resource.RLIMIT_CPU: cpu,
        resource.RLIMIT_NOFILE: limits.max_files,
        resource.RLIMIT_FSIZE: limits.max_file_mb * 1024 * 1024,
        resource.RLIMIT_CORE: 0,
        # counted per user namespace: the child's own threads (not enforced for host root)
        resource.RLIMIT_NPROC: limits.max_threads + 1,
    }
    failed = []
    for which, value in wanted.items():
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError) as error:
            failed.append(f"{which}: {error}")
    detail = (
        f"AS={limits.memory_mb} MiB, CPU={cpu} s, NOFILE={limits.max_files}, "
        f"FSIZE={limits.max_file_mb} MiB, NPROC={limits.max_threads + 1}, no core dumps"
    )
    return _layer(not failed, detail if not failed else "; ".join(failed))


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def unshare_namespaces() -> dict[str, dict[str, Any]]:
    """New user, network, IPC and mount namespaces, with this user mapped to itself."""
    uid, gid = os.getuid(), os.getgid()
    wanted = CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS
    if _LIBC.unshare(wanted) == 0:
        with contextlib.suppress(OSError):
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        done = {"user", "network", "ipc", "mount"}
        why = ""
    else:
        why = _errno_text()
        done = set()
        for flag, name in (
            (CLONE_NEWNET, "network"),
            (CLONE_NEWIPC, "ipc"),
            (CLONE_NEWNS, "mount"),
        ):
            if _LIBC.unshare(flag) == 0:
                done.add(name)
    reason = f"unshare refused: {why}" if why else ""
    return {
        "user_namespace": _layer(
            "user" in done, "own user namespace" if "user" in done else reason
        ),
        "network_namespace": _layer(
            "network" in done, "no interfaces but a down loopback" if "network" in done else reason
        ),
        "ipc_namespace": _layer(
            "ipc" in done, "private SysV IPC and message queues" if "ipc" in done else reason
        ),
        "mount_namespace": _layer(
            "mount" in done, "private mounts, gone with the child" if "mount" in done else reason
        ),
    }


def mount_scratch(workdir: str, limits: Limits, have_mount_ns: bool) -> dict[str, Any]:
    """A size-capped private tmpfs over the work dir: the cap counts every file together."""
    if not have_mount_ns:
        return _layer(False, "no mount namespace: only the per-file size limit applies")
    _LIBC.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    options = f"size={limits.max_scratch_mb}m,nr_inodes={SCRATCH_INODES},mode=0700".encode()
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    if _LIBC.mount(b"tmpfs", workdir.encode(), b"tmpfs", flags, options) != 0:
        return _layer(False, f"tmpfs over the work dir failed: {_errno_text()}")
    return _layer(
        True,
        f"private tmpfs work dir, {limits.max_scratch_mb} MiB and {SCRATCH_INODES} files in all",
    )


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]  # fmt: skip


def drop_capabilities() -> bool:
    """Give up the capabilities a new user namespace grants, once the mounts are made."""
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    return _LIBC.syscall(126 if _is_x86_64() else 91, ctypes.byref(header), data) == 0


def _is_x86_64() -> bool:
    return os.uname().machine == "x86_64"


def process_isolation() -> dict[str, Any]:
    """A session and process group of its own, so group-wide calls reach only this process."""
    try:
        os.setsid()
    except OSError as error:
        return _layer(False, f"setsid: {error}")
    try:  # under memory pressure the kernel ends the preview, not the editor or the server
        _write("/proc/self/oom_score_adj", "1000")
    except OSError:
        pass
    return _layer(
        True,
        "own session and process group; first for the OOM killer; not dumpable; "
        "calls naming a pid reach only itself",
    )


def environment_layer() -> dict[str, Any]:
    """Whether the worker was started with the allowlisted environment only.

    Reads the environment the worker was started with, not ``os.environ``
    (which torch itself extends after start-up).
    """
    try:
        with open("/proc/self/environ", "rb") as handle:
            names = [
                e.split(b"=", 1)[0].decode(errors="replace")
                for e in handle.read().split(b"\0")
                if e
            ]
    except OSError as error:
        return _layer(False, f"cannot read the start-up environment: {error}")
    extra = sorted(name for name in names if not allowed(name))
    if extra:
        return _layer(False, f"not allowlisted: {', '.join(extra[:5])}")
    return _layer(True, f"allowlisted start-up environment ({len(names)} variables)")


# -- audit hook -----------------------------------------------------------------
_BLOCKED_EVENTS = {
    "os.system": "running shell commands",
    "os.exec": "replacing the process",
    "os.posix_spawn": "starting processes",
    "os.fork": "starting processes",
    "os.forkpty": "starting processes",
    "subprocess.Popen": "starting processes",
    "socket.connect": "network access",
    "socket.bind": "network access",
    "socket.getaddrinfo": "network access",
    "socket.sendto": "sending to an address",
    "socket.sendmsg": "sending to an address",
}


#: The thread of a snapshot holder that forks its children (the one fork allowed).
FORKER: dict[str, int | None] = {"ident": None}


def _audit(workdir: str) -> Callable[[str, tuple[Any, ...]], None]:
    forker, ident = FORKER, threading.get_ident

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "sys.addaudithook":  # no later hook may watch (or undo) this one
            raise RuntimeError("torchpeek sandbox: audit hooks cannot be added in a preview")
        reason = _BLOCKED_EVENTS.get(event)
        if reason is not None and not (event == "os.fork" and ident() == forker["ident"]):
            raise PermissionError(
                f"torchpeek sandbox: {reason} is not allowed in a preview ({event})"
            )
        if event == "open" and len(args) >= 3 and isinstance(args[0], (str, bytes, os.PathLike)):
            mode, flags = args[1], args[2]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            path = os.path.abspath(os.fsdecode(args[0]))
            if writing and not (path.startswith(workdir + os.sep) or path == os.devnull):
                raise PermissionError(
                    f"torchpeek sandbox: writing {path} is outside the preview's work dir"
                )

    return hook


def add_audit_hook(workdir: str) -> dict[str, Any]:
    """Friendly refusals for the common escape attempts (the kernel layers still hold)."""
    sys.addaudithook(_audit(os.path.realpath(workdir)))
    return _layer(True, "refuses exec, subprocess, sockets and writes outside the work dir")


def signals_scoped(layers: dict[str, dict[str, Any]]) -> bool:
    """Whether Landlock keeps this process's signals inside its own domain."""
    return bool(layers["landlock"]["active"]) and landlock.abi_version() >= 6


def die_with_parent() -> None:
    """Have the kernel kill this process when the worker that forked it dies."""
    _LIBC.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


_PREPARED: dict[str, Any] = {}


def isolate(workdir: str, limits: Limits | None = None) -> dict[str, dict[str, Any]]:
    """The layers that do not depend on the request: session, namespaces, scratch mount.

    A pre-forked child calls this while it waits for work, which takes the
    namespace set-up off the hover's critical path; ``confine`` then skips it.
    """
    limits = limits or Limits()
    die_with_parent()
    layers = {"environment": environment_layer(), "processes": process_isolation()}
    spaces = unshare_namespaces()
    active = [name.split("_")[0] for name, layer in spaces.items() if layer["active"]]
    layers["namespaces"] = _layer(bool(active), " + ".join(active) or "none")
    layers.update(spaces)
    layers["scratch"] = mount_scratch(workdir, limits, layers["mount_namespace"]["active"])
    if layers["user_namespace"]["active"]:
        drop_capabilities()
    _LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # after the id maps: they need a dumpable owner
    _PREPARED.clear()
    _PREPARED.update(workdir=workdir, pid=os.getpid(), layers=layers)
    return layers


def _isolation(workdir: str, limits: Limits) -> dict[str, dict[str, Any]]:
    if _PREPARED.get("workdir") == workdir and _PREPARED.get("pid") == os.getpid():
        return dict(_PREPARED["layers"])
    return isolate(workdir, limits)


def confine(
    workdir: str, limits: Limits, read_roots: Sequence[str] = (), forker: bool = False
) -> dict[str, dict[str, Any]]:
    """Apply every layer in order; returns what is active.

    ``read_roots`` are the user's project folders: readable, never writable.
    The calling process is the one confined; it must not have started threads.
    ``forker``: a snapshot holder, whose seccomp filter still lets it fork
    (``holder.py`` tightens its main thread right after starting its forking thread).
    """
    layers = _isolation(workdir, limits)
    os.chdir(workdir)
    layers["rlimits"] = set_rlimits(limits)
    _LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    layers["landlock"] = _layer(*landlock.restrict(workdir, read_roots))
    scoped = signals_scoped(layers)
    layers["seccomp"] = _layer(*seccomp.install(os.getpid(), scoped, forker))
    layers["pid_namespace"] = _layer(
        False,
        "not used (a PID 1 ignores default signals); instead seccomp lets pid arguments name "
        "only this process, Landlock scopes signals and /proc shows only this process",
    )
    layers["workdir"] = _layer(True, "private temporary working directory")
    layers["audit"] = add_audit_hook(workdir)
    return layers
