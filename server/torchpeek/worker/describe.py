"""Turn a Python value into a small JSON description for the hover.

Tensors give ``torch.Size([...])``, dtype and device exactly as torch prints
them; modules their class, parameter count and device; containers each item;
numpy arrays shape and dtype; scalars type and value.
"""

from __future__ import annotations

import inspect
import types
from typing import Any

import torch

from .missing import Missing
from .objects import describe_training_object
from .simcuda import reported_device

MAX_ITEMS = 24
MAX_REPR = 120


def size_text(shape: Any) -> str:
    """``torch.Size([2, 3])`` for any shape-like value."""
    return f"torch.Size([{', '.join(str(int(d)) for d in shape)}])"


def _tensor(value: torch.Tensor) -> dict[str, Any]:
    info: dict[str, Any] = {
        "kind": "Tensor",
        "type": type(value).__name__ if isinstance(value, torch.nn.Parameter) else "Tensor",
        "shape": [int(d) for d in value.shape],
        "size": size_text(value.shape),
        "dtype": str(value.dtype),
        "device": reported_device(value),
    }
    if value.requires_grad:
        info["requires_grad"] = True
    return info


def _module(value: torch.nn.Module) -> dict[str, Any]:
    params = list(value.parameters())
    first = params[0] if params else None
    return {
        "kind": "Module",
        "class": type(value).__name__,
        "params": sum(p.numel() for p in params),
        "trainable": sum(p.numel() for p in params if p.requires_grad),
        "device": reported_device(first) if first is not None else "cpu",
        "training": value.training,
    }


def _ndarray(value: Any) -> dict[str, Any]:
    return {"kind": "ndarray", "shape": [int(d) for d in value.shape], "dtype": str(value.dtype)}


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as error:  # user objects may have a broken __repr__
        text = f"<unprintable {type(value).__name__}: {error}>"
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 1] + "…"


def _callable(value: Any) -> dict[str, Any] | None:
    """Functions, classes and modules by name and signature, never ``<... at 0x...>``."""
    if isinstance(value, types.ModuleType):
        return {"kind": "module", "value": value.__name__}
    if isinstance(value, type):
        return {"kind": "class", "value": f"{value.__module__}.{value.__qualname__}"}
    if callable(value) and hasattr(value, "__qualname__"):
        try:
            signature = str(inspect.signature(value))
        except (TypeError, ValueError):
            signature = "(…)"
        if len(signature) > MAX_REPR:
            signature = signature[: MAX_REPR - 2] + "…)"
        return {"kind": "function", "value": f"{value.__qualname__}{signature}"}
    return None


def _plain_object(value: Any) -> dict[str, Any]:
    """An object with the default repr: its class and a few public attributes instead."""
    text = _short(value)
    if " at 0x" not in text:
        return {"kind": type(value).__name__, "value": text}
    fields = {
        k: _short(v)[:40]
        for k, v in list(getattr(value, "__dict__", {}).items())
        if not k.startswith("_")
    }
    shown = dict(list(fields.items())[:8])
    return {"kind": "Object", "class": type(value).__name__, "fields": shown}


def describe(value: Any, depth: int = 0) -> dict[str, Any]:
    """A JSON-ready description of ``value``."""
    if isinstance(value, Missing):
        return {"kind": "missing module", "value": repr(value)}
    training = describe_training_object(value, depth)
    if training is not None:
        return training
    if isinstance(value, torch.Tensor):
        return _tensor(value)
    if isinstance(value, torch.nn.Module):
        return _module(value)
    if isinstance(value, torch.Size):
        return {"kind": "Size", "value": size_text(value)}
    if type(value).__name__ == "ndarray" and hasattr(value, "dtype"):
        return _ndarray(value)
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return _callable(value) or _plain_object(value)
    if isinstance(value, (torch.dtype, torch.device)):
        return {"kind": type(value).__name__, "value": str(value)}
    if depth < 3 and isinstance(value, dict):
        items = list(value.items())[:MAX_ITEMS]
        return {
            "kind": type(value).__name__,
            "length": len(value),
            "items": [
                [_short(k) if not isinstance(k, str) else k, describe(v, depth + 1)]
                for k, v in items
            ],
        }
    if depth < 3 and isinstance(value, (list, tuple)):
        return {
            "kind": type(value).__name__,
            "length": len(value),
            "items": [describe(v, depth + 1) for v in value[:MAX_ITEMS]],
        }
    return _callable(value) or _plain_object(value)
