"""Training-code objects described as a PyTorch user reads them, not as ``repr`` dumps.

An optimizer gives its class, parameter groups, learning rate and weight
decay; a scheduler its class, current learning rate and key settings; a
dataset its length and the structure of its first item; a data loader its
batch size, number of batches and first batch (when that is cheap); a
``GradScaler`` its scale; config dataclasses and namespaces their fields.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any

import torch

MAX_FIELDS = 16
SCHEDULER_KEYS = (
    "step_size", "gamma", "milestones", "T_max", "eta_min", "max_lr", "total_steps",
    "factor", "patience", "mode", "warmup_steps", "last_epoch",
)  # fmt: skip


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        try:
            return f"{float(value):g}"
        except Exception:  # noqa: BLE001 - a fake tensor has no value
            return "tensor"
    return repr(value)[:40]


def _optimizer(value: torch.optim.Optimizer) -> dict[str, Any]:
    groups = value.param_groups
    params = sum(p.numel() for g in groups for p in g["params"])
    first = groups[0] if groups else {}
    fields = {"param groups": str(len(groups)), "parameters": f"{params:,}"}
    for key in ("lr", "weight_decay", "momentum", "betas"):
        if key in first:
            fields[key] = _number(first[key])
    return {"kind": "Optimizer", "class": type(value).__name__, "fields": fields}


def _scheduler(value: Any) -> dict[str, Any]:
    fields: dict[str, str] = {}
    last = getattr(value, "_last_lr", None)
    optimizer = getattr(value, "optimizer", None)
    if last:
        fields["lr"] = ", ".join(_number(v) for v in last[:4])
    elif optimizer is not None:
        fields["lr"] = _number(optimizer.param_groups[0].get("lr"))
    for key in SCHEDULER_KEYS:
        if key in vars(value):
            fields[key] = _number(vars(value)[key])
    return {"kind": "LRScheduler", "class": type(value).__name__, "fields": fields}


def _structure(item: Any, depth: int) -> dict[str, Any]:
    from .describe import describe

    return describe(item, depth + 1)


def _dataset(value: Any, depth: int) -> dict[str, Any]:
    info: dict[str, Any] = {"kind": "Dataset", "class": type(value).__name__, "fields": {}}
    try:
        info["fields"]["length"] = f"{len(value):,}"
        if depth < 2 and len(value):
            info["first"] = _structure(value[0], depth)
    except Exception:  # noqa: BLE001 - iterable datasets have no length
        pass
    return info


def _loader(value: Any, depth: int) -> dict[str, Any]:
    fields: dict[str, str] = {"batch_size": repr(value.batch_size)}
    try:
        fields["batches"] = f"{len(value):,}"
        fields["samples"] = f"{len(value.dataset):,}"
    except TypeError:
        pass
    info: dict[str, Any] = {"kind": "DataLoader", "class": type(value).__name__, "fields": fields}
    if depth < 2 and value.num_workers == 0:
        try:
            info["first"] = _structure(next(iter(value)), depth)
        except Exception:  # noqa: BLE001 - describing must never fail the hover
            pass
    return info


def _fields(value: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(value):
        items = {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
    else:
        items = dict(vars(value))
    shown = {k: repr(v)[:60] for k, v in list(items.items())[:MAX_FIELDS]}
    return {"kind": "Config", "class": type(value).__name__, "fields": shown, "length": len(items)}


def describe_training_object(value: Any, depth: int) -> dict[str, Any] | None:
    """The description of an optimizer, scheduler, dataset, loader, scaler or config, else None."""
    from torch.utils.data import DataLoader, Dataset

    if isinstance(value, torch.optim.Optimizer):
        return _optimizer(value)
    if (
        isinstance(value, torch.optim.lr_scheduler.LRScheduler)
        or type(value).__name__ == "ReduceLROnPlateau"
    ):
        return _scheduler(value)
    if isinstance(value, DataLoader):
        return _loader(value, depth)
    if isinstance(value, Dataset):
        return _dataset(value, depth)
    if type(value).__name__ == "GradScaler" and hasattr(value, "get_scale"):
        enabled = value.is_enabled()
        scale = _number(value.get_scale()) if enabled else "disabled"
        return {"kind": "GradScaler", "class": "GradScaler", "fields": {"scale": scale}}
    if (
        (dataclasses.is_dataclass(value) and not isinstance(value, type))
        or isinstance(value, types.SimpleNamespace)
        or type(value).__name__ == "Namespace"
    ):
        return _fields(value)
    return None
