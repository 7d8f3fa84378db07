"""Torch state around ``fork``: what the worker sets before forking and what each child redoes.

The worker imports torch once and forks a child per preview, so every child
inherits torch's process-wide state from a parent whose threads did not come
along. Two pieces of that state matter:

* The OpenMP intra-op pool. The parent pins torch to one thread before the
  first fork, so no child waits on an OpenMP team that exists only in the
  parent.
* The small pthreadpool torch keeps beside it (used by QNNPACK/XNNPACK kernels).
  After a fork torch throws the inherited pool away and builds a new one the
  next time any thread asks for it. That swap is not thread-safe. In the CUDA
  builds of torch, ``backward()`` in a child starts the autograd engine's
  per-device threads (eight of them, even on a machine without a GPU), and each
  new thread calls ``set_num_threads``, which asks for the pool. Two threads
  racing through the swap let one see no pool at all, and torch aborts with
  ``pool INTERNAL ASSERT FAILED ... Invalid thread pool!``. CPU-only builds
  start no such threads, which is why they never crashed.

``settle_child`` makes the swap happen once, in the fresh child while it has a
single thread, before any user code runs; afterwards every thread finds a valid
pool.

CUDA itself must stay uninitialised in the parent: a driver initialised before
``fork`` is unusable in the children. The worker asks whether a GPU exists
through NVML (``PYTORCH_NVML_BASED_CUDA_CHECK``), which leaves the driver alone.
"""

from __future__ import annotations

import os
from typing import Any


def prepare_parent(torch: Any) -> None:
    """Pin torch to one intra-op thread, and keep CUDA uninitialised, before the first fork."""
    torch.set_num_threads(1)
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")


def settle_child() -> None:
    """Rebuild torch's thread pools in a just-forked, still single-threaded child."""
    import torch

    torch.set_num_threads(torch.get_num_threads())
