"""The environment a worker starts with: what Python and torch need, and nothing else.

The server's own environment may hold tokens and passwords; a preview runs
code from the workspace, so the worker gets an allowlist instead. Names that
look like credentials are dropped even when their prefix is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Exact names a worker keeps.
NAMES = frozenset(
    {
        "PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR",
        "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONNOUSERSITE", "PYTHONSAFEPATH",
        "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONWARNINGS",
        "PYTHONFAULTHANDLER", "PYTHONHASHSEED", "PYTHONMALLOC",
        "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "LD_LIBRARY_PATH",
        "CUDA_HOME", "CUDA_PATH", "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER",
        "NVIDIA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
    }
)  # fmt: skip
#: Prefixes of names a worker keeps (locale, thread pools, torch's own switches).
PREFIXES = ("LC_", "OMP_", "MKL_", "KMP_", "OPENBLAS_", "TORCH_", "PYTORCH_", "TORCHPEEK_")
#: Names that look like credentials never pass, whatever their prefix.
SECRET = re.compile(r"TOKEN|SECRET|PASS|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|_KEY|^KEY", re.I)


def allowed(name: str) -> bool:
    """Whether a variable of this name reaches the worker."""
    if SECRET.search(name):
        return False
    return name in NAMES or name.startswith(PREFIXES)


def worker_environment(source: Mapping[str, str]) -> dict[str, str]:
    """The allowlisted part of ``source``."""
    return {name: value for name, value in source.items() if allowed(name)}
