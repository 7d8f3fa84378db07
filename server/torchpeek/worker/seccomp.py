"""The seccomp filter of a preview child: which system calls it may not make, and how they fail.

The filter allows by default and refuses whole classes: starting programs,
every way to open or use a communication channel (sockets with an address,
io_uring, SysV and POSIX IPC, keyrings), every call that acts on another
process by pid or group, memory the address-space limit does not count, and
changes to namespaces and mounts. Calls made for another architecture kill
the process, so a 32-bit entry point cannot skip the list.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
from typing import Any

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_FLTATR_ACT_BADARCH = 1
SCMP_CMP_NE, SCMP_CMP_EQ, SCMP_CMP_MASKED_EQ = 1, 4, 7
CLONE_THREAD = 0x00010000
LOW_32 = 0xFFFFFFFF

Cond = tuple[int, int, int, int]
Rule = tuple[int, str, list[Cond]]


def SCMP_ACT_ERRNO(code: int) -> int:  # noqa: N802 - libseccomp's macro name
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("a", ctypes.c_uint64),
        ("b", ctypes.c_uint64),
    ]


#: Refused outright: each opens or uses a channel, or reaches past the process.
REFUSED = (
    # sockets: socketpair stays (it can only reach its own other end)
    "socket", "connect", "bind", "listen", "accept", "accept4", "sendmsg", "sendmmsg",
    # asynchronous rings run socket and file operations past this filter
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    # SysV and POSIX IPC
    "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop", "semctl",
    "shmget", "shmat", "shmdt", "shmctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    # keyrings
    "add_key", "request_key", "keyctl",
    # other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "process_madvise", "process_mrelease", "perf_event_open",
    # memory the address-space limit does not see
    "memfd_create", "memfd_secret", "userfaultfd",
    # a new session or group would leave the preview's process group behind
    "setsid", "setpgid",
    # namespaces, mounts and kernel facilities
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "bpf", "syslog",
    "name_to_handle_at", "open_by_handle_at", "fanotify_init",
)  # fmt: skip

#: Allowed only on the calling process itself (pid argument 0).
SELF_ONLY = (
    "prlimit64", "sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr",
    "migrate_pages", "move_pages", "get_robust_list",
)  # fmt: skip

PRIO_PROCESS, IOPRIO_WHO_PROCESS = 0, 1
F_SETOWN, F_SETSIG, F_SETOWN_EX = 8, 10, 15
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
TIOCSTI = 0x5412


def rules(own_pid: int, signals_scoped: bool, forker: bool = False) -> list[Rule]:
    """Every rule of the filter; ``own_pid`` is the only pid signals may name.

    ``forker``: the filter of a snapshot holder's forking thread, which each
    child it forks tightens at once with the full filter of its own pid. It
    leaves out only the rules about starting processes and naming pids.
    """
    kill, eperm = SCMP_ACT_KILL_PROCESS, SCMP_ACT_ERRNO(errno.EPERM)
    ne_self: Cond = (0, SCMP_CMP_NE, own_pid, 0)
    result: list[Rule] = [
        (kill, "execve", []),
        (kill, "execveat", []),
        (SCMP_ACT_ERRNO(errno.ENOSYS), "clone3", []),
        # a datagram to an address reaches sockets by path; NULL keeps socketpair usable
        (eperm, "sendto", [(4, SCMP_CMP_NE, 0, 0)]),
        (eperm, "setpriority", [(0, SCMP_CMP_NE, PRIO_PROCESS, 0)]),
        (eperm, "setpriority", [(1, SCMP_CMP_NE, 0, 0)]),
        (eperm, "ioprio_set", [(0, SCMP_CMP_NE, IOPRIO_WHO_PROCESS, 0)]),
        (eperm, "ioprio_set", [(1, SCMP_CMP_NE, 0, 0)]),
        (eperm, "ioctl", [(1, SCMP_CMP_MASKED_EQ, LOW_32, TIOCSTI)]),
        (eperm, "prctl", [(0, SCMP_CMP_EQ, PR_SET_DUMPABLE, 0)]),
    ]
    if not forker:
        result += [
            (eperm, "fork", []),
            (eperm, "vfork", []),
            (eperm, "clone", [(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)]),
            (eperm, "tgkill", [ne_self]),
            (eperm, "rt_sigqueueinfo", [ne_self]),
            (eperm, "rt_tgsigqueueinfo", [ne_self]),
            (eperm, "prctl", [(0, SCMP_CMP_EQ, PR_SET_PDEATHSIG, 0)]),
        ]
    result += [
        (eperm, "fcntl", [(1, SCMP_CMP_EQ, cmd, 0)]) for cmd in (F_SETOWN, F_SETSIG, F_SETOWN_EX)
    ]
    result += [(eperm, name, []) for name in REFUSED]
    result += [(eperm, name, [(0, SCMP_CMP_NE, 0, 0)]) for name in SELF_ONLY]
    if not signals_scoped and not forker:  # without Landlock's signal scope, kill names itself
        result += [(eperm, "kill", [ne_self]), (eperm, "tkill", [ne_self])]
    return result


_SECCOMP: Any = None


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
        if _SECCOMP:
            _declare(_SECCOMP)
    return _SECCOMP


def _declare(lib: Any) -> None:
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
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]


def install(own_pid: int, signals_scoped: bool, forker: bool = False) -> tuple[bool, str]:
    """Load the filter into the calling thread (and the threads it starts); (active, detail)."""
    lib = load_libseccomp()
    if not lib:
        return False, "libseccomp not found (install libseccomp2)"
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        return False, "seccomp_init failed"
    try:
        lib.seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)
        count = 0
        for action, syscall, conds in rules(own_pid, signals_scoped, forker):
            number = lib.seccomp_syscall_resolve_name(syscall.encode())
            if number < 0:
                continue  # not a call on this architecture
            array = (_ArgCmp * max(1, len(conds)))(*[_ArgCmp(*c) for c in conds])
            if lib.seccomp_rule_add_array(ctx, action, number, len(conds), array) != 0:
                return False, f"seccomp rule for {syscall} rejected"
            count += 1
        if lib.seccomp_load(ctx) != 0:
            return False, "seccomp_load failed"
    finally:
        lib.seccomp_release(ctx)
    return True, (
        f"{count} rules: exec kills; fork, sockets with an address, io_uring, IPC, keyrings, "
        "memfd and calls on other pids refused"
    )
