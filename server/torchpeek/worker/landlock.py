"""Landlock rules of a preview child: what it may read, the one folder it may write, its scopes.

Reads: the interpreter, its packages, system libraries, a few files of
``/etc``, ``/sys``, this process's own ``/proc`` entries and four harmless
devices, plus the user's project folders. Writes: the private work dir only.
From ABI 6 on, signals and abstract Unix sockets stay inside the sandbox.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Sequence

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
READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

_LIBC = ctypes.CDLL(None, use_errno=True)

#: The only devices a preview may open; writes go to /dev/null alone.
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
#: System-wide /proc files that hold no other process's data.
PROC_FILES = (
    "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/filesystems", "/proc/version",
    "/proc/loadavg", "/proc/uptime", "/proc/sys",
)  # fmt: skip


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The kernel's Landlock ABI, or 0 without Landlock."""
    abi = _LIBC.syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    return max(0, abi)


def _handled_fs(abi: int) -> int:
    rights = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR | FS_WRITE_DIR_BITS
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def system_read_roots() -> list[str]:
    """The interpreter, its packages, system libraries, and this process's own /proc entries."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr", "/lib", "/lib64", "/bin", "/sys"}
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    roots.update(("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd"))
    roots.update(PROC_FILES)
    return sorted(r for r in roots if os.path.exists(r))


def _add_rule(ruleset: int, path: str, allowed: int) -> bool:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not os.path.isdir(f"/proc/self/fd/{fd}"):
            allowed &= FILE_RIGHTS
        attr = _PathBeneath(allowed, fd)
        return (
            _LIBC.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(attr), 0)
            == 0
        )
    finally:
        os.close(fd)


def _ruleset(abi: int) -> int:
    attr = _RulesetAttr(
        _handled_fs(abi),
        NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
        SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL if abi >= 6 else 0,
    )
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    return int(_LIBC.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0))


def restrict(workdir: str, read_roots: Sequence[str] = ()) -> tuple[bool, str]:
    """Reads only from system, Python and ``read_roots`` locations, writes only in ``workdir``."""
    abi = abi_version()
    if abi < 1:
        return False, f"Landlock unavailable: {os.strerror(ctypes.get_errno())}"
    ruleset = _ruleset(abi)
    if ruleset < 0:
        return False, f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}"
    try:
        # /proc/self resolves to this process's own directory: no other pid is readable
        for root in [*system_read_roots(), "/proc/self", *read_roots]:
            _add_rule(ruleset, root, READ)
        for device in DEVICES:
            _add_rule(ruleset, device, FS_READ_FILE)
        _add_rule(ruleset, "/dev/null", FS_READ_FILE | FS_WRITE_FILE)
        _add_rule(ruleset, workdir, _handled_fs(abi))
        if _LIBC.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
            return False, f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}"
    finally:
        os.close(ruleset)
    net = "no TCP bind/connect, " if abi >= 4 else ""
    scope = "no signals outside the sandbox" if abi >= 6 else "signals not scoped"
    return True, (
        f"Landlock ABI {abi}: writes only in the work dir, reads the project, Python and system "
        f"libraries, /dev limited to null, zero, random, urandom, /proc limited to itself, "
        f"{net}{scope}"
    )
