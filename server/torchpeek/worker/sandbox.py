"""Confine a preview child: namespaces, resource limits, Landlock, seccomp and an audit hook.

Each layer is applied when the kernel allows it and reported either way, so
``torchpeek doctor`` can say which are active. Order matters: namespaces need a
single-threaded process, Landlock and seccomp need ``no_new_privs``, and the
audit hook goes last because it is a courtesy layer, not a boundary.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import resource
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .protocol import Limits

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
CLONE_THREAD = 0x00010000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_PDEATHSIG = 1

_LIBC = ctypes.CDLL(None, use_errno=True)


def _layer(active: bool, detail: str) -> dict[str, Any]:
    return {"active": active, "detail": detail}


def set_rlimits(limits: Limits) -> dict[str, Any]:
    """Address space, CPU seconds, open files and file size."""
    cpu = max(1, -(-limits.timeout_ms // 1000) + 1)
    wanted = {
        resource.RLIMIT_AS: limits.memory_mb * 1024 * 1024,
        resource.RLIMIT_CPU: cpu,
        resource.RLIMIT_NOFILE: limits.max_files,
        resource.RLIMIT_FSIZE: limits.max_file_mb * 1024 * 1024,
    }
    failed = []
    for which, value in wanted.items():
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError) as error:
            failed.append(f"{which}: {error}")
    detail = f"AS={limits.memory_mb} MiB, CPU={cpu} s, NOFILE={limits.max_files}, FSIZE={limits.max_file_mb} MiB"
    return _layer(not failed, detail if not failed else "; ".join(failed))


def unshare_namespaces() -> dict[str, Any]:
    """A new user and network namespace: no network interfaces but a down loopback."""
    if _LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        return _layer(True, "user+network namespaces")
    code = ctypes.get_errno()
    if _LIBC.unshare(CLONE_NEWNET) == 0:
        return _layer(True, f"network namespace only (user namespace: {os.strerror(code)})")
    return _layer(False, f"unshare failed: {os.strerror(ctypes.get_errno())}")


# -- Landlock -------------------------------------------------------------------
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_WRITE_DIR_BITS = sum(1 << b for b in range(4, 13))  # remove, make_* rights
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _handled_fs(abi: int) -> int:
    rights = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR | FS_WRITE_DIR_BITS
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def _read_roots() -> list[str]:
    """Where a preview may read: the interpreter, its packages and system libraries."""
    roots = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        "/usr",
        "/lib",
        "/lib64",
        "/bin",
        "/proc",
        "/sys",
        "/dev",
    }
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    roots.update(("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd"))
    return sorted(r for r in roots if os.path.exists(r))


def _add_rule(ruleset: int, path: str, allowed: int) -> bool:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not os.path.isdir(path):
            allowed &= FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
        attr = _PathBeneath(allowed, fd)
        return (
            _LIBC.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(attr), 0)
            == 0
        )
    finally:
        os.close(fd)


def apply_landlock(workdir: str, read_roots: Sequence[str] = ()) -> dict[str, Any]:
    """Reads only from system, Python and ``read_roots`` locations, writes only in ``workdir``."""
    abi = _LIBC.syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    if abi < 1:
        return _layer(False, f"Landlock unavailable: {os.strerror(ctypes.get_errno())}")
    fs = _handled_fs(abi)
    attr = _RulesetAttr(
        fs,
        NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
        SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL if abi >= 6 else 0,
    )
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = _LIBC.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        return _layer(False, f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}")
    try:
        for root in [*_read_roots(), *read_roots]:
            _add_rule(ruleset, root, FS_EXECUTE | FS_READ_FILE | FS_READ_DIR)
        _add_rule(ruleset, "/dev/null", FS_READ_FILE | FS_WRITE_FILE)
        _add_rule(ruleset, workdir, fs)
        if _LIBC.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            return _layer(False, f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)
    net = "no TCP bind/connect, " if abi >= 4 else ""
    scope = "no signals outside the sandbox" if abi >= 6 else "signals not scoped"
    return _layer(True, f"Landlock ABI {abi}: writes only in the work dir, {net}{scope}")


# -- seccomp --------------------------------------------------------------------
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_CMP_NE, SCMP_CMP_MASKED_EQ = 1, 7


def SCMP_ACT_ERRNO(code: int) -> int:  # noqa: N802 - libseccomp's macro name
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("a", ctypes.c_uint64),
        ("b", ctypes.c_uint64),
    ]


def _seccomp_rules() -> list[tuple[int, str, list[tuple[int, int, int, int]]]]:
    kill, eperm = SCMP_ACT_KILL_PROCESS, SCMP_ACT_ERRNO(errno.EPERM)
    rules: list[tuple[int, str, list[tuple[int, int, int, int]]]] = [
        (kill, "execve", []),
        (kill, "execveat", []),
        (eperm, "fork", []),
        (eperm, "vfork", []),
        (eperm, "clone", [(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)]),
        (SCMP_ACT_ERRNO(errno.ENOSYS), "clone3", []),
        (eperm, "socket", []),  # socketpair stays allowed; no Unix datagrams to host sockets
        (eperm, "connect", []),
        (eperm, "ptrace", []),
        (eperm, "process_vm_writev", []),
        (eperm, "mount", []),
        (eperm, "unshare", []),
        (eperm, "setns", []),
        (eperm, "bpf", []),
    ]
    return rules


def load_libseccomp() -> Any:
    """The system libseccomp, loaded once in the parent (finding it may run ldconfig)."""
    global _SECCOMP
    if _SECCOMP is None:
        for name in ("libseccomp.so.2", ctypes.util.find_library("seccomp")):
            try:
                _SECCOMP = ctypes.CDLL(name, use_errno=True) if name else False
            except OSError:
                _SECCOMP = False
            if _SECCOMP:
                break
    return _SECCOMP


_SECCOMP: Any = None


def apply_seccomp() -> dict[str, Any]:
    """Kill on exec; refuse new processes, network sockets and a few escape hatches."""
    lib = load_libseccomp()
    if not lib:
        return _layer(False, "libseccomp not found (install libseccomp2)")
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        return _layer(False, "seccomp_init failed")
    try:
        for action, syscall, conds in _seccomp_rules():
            number = lib.seccomp_syscall_resolve_name(syscall.encode())
            if number < 0:
                continue
            array = (_ArgCmp * max(1, len(conds)))(*[_ArgCmp(*c) for c in conds])
            if lib.seccomp_rule_add_array(ctx, action, number, len(conds), array) != 0:
                return _layer(False, f"seccomp rule for {syscall} rejected")
        if lib.seccomp_load(ctx) != 0:
            return _layer(False, "seccomp_load failed")
    finally:
        lib.seccomp_release(ctx)
    return _layer(True, "exec kills; fork, non-thread clone, socket, connect, ptrace refused")


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
}


def _audit(workdir: str) -> Callable[[str, tuple[Any, ...]], None]:
    def hook(event: str, args: tuple[Any, ...]) -> None:
        reason = _BLOCKED_EVENTS.get(event)
        if reason is not None:
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


def die_with_parent() -> None:
    """Have the kernel kill this process when the worker that forked it dies."""
    _LIBC.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


def confine(
    workdir: str, limits: Limits, read_roots: Sequence[str] = ()
) -> dict[str, dict[str, Any]]:
    """Apply every layer in order; returns what is active.

    ``read_roots`` are the user's project folders: readable, never writable.
    """
    die_with_parent()
    os.chdir(workdir)
    layers = {"namespaces": unshare_namespaces(), "rlimits": set_rlimits(limits)}
    _LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    layers["landlock"] = apply_landlock(workdir, read_roots)
    layers["seccomp"] = apply_seccomp()
    layers["workdir"] = _layer(True, "private temporary working directory")
    layers["audit"] = add_audit_hook(workdir)
    return layers
