"""What to tell a user whose preview interpreter has no torch: the install command for this machine.

Plain ``pip install torch`` on Linux brings the CUDA build and its nvidia-*
packages (about 3 GB), which a machine without an NVIDIA GPU never uses. There
the CPU-only build from PyTorch's own index is the right advice. Elsewhere
(macOS, Windows, Linux with an NVIDIA driver) the default wheel is the one to
take. Stdlib only: this runs in the worker before torch is known to exist.
"""

from __future__ import annotations

import os
import sys

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Markers the NVIDIA kernel driver leaves on Linux.
NVIDIA_MARKERS = ("/proc/driver/nvidia/version", "/dev/nvidia0")


def has_nvidia_driver() -> bool:
    """Whether this Linux machine has an NVIDIA GPU with its driver loaded."""
    return any(os.path.exists(marker) for marker in NVIDIA_MARKERS)


def install_command(python: str, platform: str | None = None, gpu: bool | None = None) -> str:
    """The pip command that installs torch into ``python`` on this platform."""
    platform = platform or sys.platform
    gpu = has_nvidia_driver() if gpu is None else gpu
    if platform.startswith("linux") and not gpu:
        return f"{python} -m pip install torch --index-url {CPU_INDEX}"
    return f"{python} -m pip install torch"


def install_advice(python: str, platform: str | None = None, gpu: bool | None = None) -> str:
    """The command plus, where it matters, why it differs from plain ``pip install torch``."""
    platform = platform or sys.platform
    gpu = has_nvidia_driver() if gpu is None else gpu
    command = install_command(python, platform, gpu)
    if platform.startswith("linux") and not gpu:
        return (
            f"Install it with: {command} (the CPU build: about 190 MB to download, "
            "where plain `pip install torch` brings the CUDA build, about 3 GB with its "
            "nvidia packages, which this machine has no GPU for)"
        )
    return f"Install it with: {command}"


def missing_torch_message(python: str, error: BaseException | str) -> str:
    """The hover and status text for an interpreter without torch."""
    return f"torch is not installed in {python} ({error}). {install_advice(python)}"
