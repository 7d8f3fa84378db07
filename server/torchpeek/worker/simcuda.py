"""CUDA without a GPU: device arguments, ``.cuda()``/``.to()`` and ``torch.cuda`` queries.

Previews never allocate on a GPU. Under the shape-only run tensors are fake
(meta-backed) and simply *report* the CUDA device they would live on; under the
real CPU run they are computed on the CPU and tagged with that device. When the
machine has no GPU, ``torch.cuda`` device queries answer from a configurable
simulated device; with a real GPU they report the real one.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from .protocol import SimGpu

TAG = "_torchpeek_device"
_DEVICE_KW = "device"


def _cuda_target(value: Any) -> torch.device | None:
    """The CUDA device an argument asks for, or None if it is not a CUDA request."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return torch.device("cuda", value)
    if isinstance(value, (str, torch.device)):
        try:
            device = torch.device(value)
        except (RuntimeError, TypeError):
            return None
        if device.type == "cuda":
            return torch.device("cuda", device.index or 0)
    return None


def reported_device(tensor: torch.Tensor) -> str:
    """The device a tensor would live on, as torch prints it."""
    return str(getattr(tensor, TAG, None) or tensor.device)


def _mark(value: Any, device: torch.device | None) -> Any:
    """Record the device a tensor would live on (None: where it really is)."""
    if isinstance(value, torch.Tensor):
        setattr(value, TAG, device)
    elif isinstance(value, (tuple, list)):
        for item in value:
            _mark(item, device)
    return value


def _inherited(args: tuple[Any, ...]) -> torch.device | None:
    for arg in args:
        if isinstance(arg, torch.Tensor) and getattr(arg, TAG, None) is not None:
            return getattr(arg, TAG)
        if isinstance(arg, (tuple, list)):
            found = _inherited(tuple(arg))
            if found is not None:
                return found
    return None


_DEVICE_GETTER = torch.Tensor.device.__get__
_IS_CUDA_GETTER = torch.Tensor.is_cuda.__get__  # type: ignore[attr-defined]
_NO_PROPAGATION = {"cpu", "numpy", "item", "tolist", "__get__"}


def _explicit_device(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, list[Any]]:
    """The device argument of a ``.to(...)`` call, and the remaining positional args."""
    rest = list(args[1:])
    if "device" in kwargs:
        return kwargs["device"], rest
    if rest and isinstance(rest[0], (str, torch.device, int)) and not isinstance(rest[0], bool):
        return rest[0], rest
    return None, rest


class CudaRedirect(TorchFunctionMode):
    """Runs CUDA requests on the CPU (real or fake tensors) and tags the intended device.

    Tensors stay on the CPU so no CUDA code path (device guards, streams) ever
    runs; the tag travels from inputs to outputs and is what previews report.
    """

    def __torch_function__(
        self, func: Any, types_: Any, args: tuple = (), kwargs: dict | None = None
    ) -> Any:
        kwargs = dict(kwargs or {})
        if func is _DEVICE_GETTER or func is _IS_CUDA_GETTER:
            tag = getattr(args[0], TAG, None)
            if tag is None:
                return func(*args, **kwargs)
            return tag if func is _DEVICE_GETTER else tag.type == "cuda"
        name = getattr(func, "__name__", "")
        if name == "cuda":
            index = kwargs.get("device", args[1] if len(args) > 1 else 0)
            return _mark(args[0].view_as(args[0]), _cuda_target(index) or torch.device("cuda", 0))
        if name == "to":
            return self._to(func, args, kwargs)
        if name == "cpu":
            out = func(*args, **kwargs)
            return _mark(out.view_as(out) if out is args[0] else out, None)
        target = _cuda_target(kwargs.get("device"))
        if target is not None:
            kwargs["device"] = "cpu"
            return _mark(func(*args, **kwargs), target)
        out = func(*args, **kwargs)
        if name not in _NO_PROPAGATION and isinstance(out, (torch.Tensor, tuple, list)):
            inherited = _inherited(args)
            if inherited is not None:
                _mark(out, inherited)
        return out

    def _to(self, func: Any, args: tuple, kwargs: dict) -> Any:
        device, rest = _explicit_device(args, kwargs)
        target = _cuda_target(device)
        if device is not None:
            if "device" in kwargs:
                kwargs["device"] = "cpu"
            elif rest:
                rest[0] = "cpu"
        out = func(args[0], *rest, **kwargs)
        if device is None:
            inherited = _inherited(args[:1])
            return _mark(out, inherited) if inherited is not None else out
        if out is args[0]:
            out = out.view_as(out)
        return _mark(out, target)


class _Phase:
    """Which run is active: module patches need to know whether tensors are fake."""

    fake = True
    used_simulated_gpu = False


PHASE = _Phase()


def _module_to(original: Any) -> Any:
    def to(self: torch.nn.Module, *args: Any, **kwargs: Any) -> torch.nn.Module:
        device, dtype, non_blocking, fmt = torch._C._nn._parse_to(*args, **kwargs)
        if device is None or device.type != "cuda":
            return original(self, *args, **kwargs)
        if dtype is not None:
            original(self, dtype=dtype)
        target = torch.device("cuda", device.index or 0)
        for tensor in [*self.parameters(), *self.buffers()]:
            _mark(tensor, target)
        return self

    return to


def _module_cuda() -> Any:
    def cuda(self: torch.nn.Module, device: Any = None) -> torch.nn.Module:
        target = _cuda_target(0 if device is None else device) or torch.device("cuda", 0)
        for tensor in [*self.parameters(), *self.buffers()]:
            _mark(tensor, target)
        return self

    return cuda


def _properties(gpu: SimGpu, index: int) -> Any:
    return types.SimpleNamespace(
        name=gpu.name,
        total_memory=gpu.total_memory_mb * 1024 * 1024,
        major=gpu.capability[0],
        minor=gpu.capability[1],
        multi_processor_count=108,
        index=index,
        simulated=True,
    )


def _device_index(device: Any = None) -> int:
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    return torch.device(device).index or 0


def _simulated_queries(gpu: SimGpu) -> dict[str, Any]:
    total = gpu.total_memory_mb * 1024 * 1024
    return {
        "is_available": lambda: True,
        "device_count": lambda: gpu.count,
        "current_device": lambda: 0,
        "set_device": lambda device: None,
        "synchronize": lambda device=None: None,
        "empty_cache": lambda: None,
        "get_device_name": lambda device=None: gpu.name,
        "get_device_capability": lambda device=None: gpu.capability,
        "get_device_properties": lambda device=None: _properties(gpu, _device_index(device)),
        "mem_get_info": lambda device=None: (total, total),
        "memory_allocated": lambda device=None: 0,
        "memory_reserved": lambda device=None: 0,
        "max_memory_allocated": lambda device=None: 0,
        "max_memory_reserved": lambda device=None: 0,
        "reset_peak_memory_stats": lambda device=None: None,
        "is_bf16_supported": lambda *a, **k: True,
        "_lazy_init": lambda: None,
    }


# Queries whose answer a program can show or branch on; each marks the result as simulated.
_VALUE_QUERIES = {
    "is_available",
    "current_device",
    "is_bf16_supported",
    "get_device_properties",
    "get_device_name",
    "get_device_capability",
    "mem_get_info",
    "memory_allocated",
    "memory_reserved",
    "max_memory_allocated",
    "device_count",
}


_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep


def _noting(query: Any) -> Any:
    def noted(*args: Any, **kwargs: Any) -> Any:
        # torch asks too (fake tensors, autocast); only the program's own questions count.
        if not sys._getframe(1).f_code.co_filename.startswith(_TORCH_DIR):
            PHASE.used_simulated_gpu = True
        return query(*args, **kwargs)

    return noted


def install(gpu: SimGpu, real_gpu: bool) -> None:
    """Patch torch for this (forked, single-use) process."""
    torch.nn.Module.to = _module_to(torch.nn.Module.to)  # type: ignore[method-assign]
    torch.nn.Module.cuda = _module_cuda()  # type: ignore[method-assign]
    if not real_gpu:
        for name, value in _simulated_queries(gpu).items():
            setattr(torch.cuda, name, _noting(value) if name in _VALUE_QUERIES else value)
    try:
        from torch._subclasses import fake_tensor

        fake_tensor.init_gpu_context = lambda *a, **k: None  # type: ignore[assignment]
    except ImportError:
        pass
