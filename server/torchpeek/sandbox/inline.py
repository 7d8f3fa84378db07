"""Compact one-line renderings of worker results: inlay-hint labels and diagnostic messages.

An inlay hint must stay short beside the code, so a tensor is written as its
shape and an abbreviated dtype (``[4, 32, 32, 32] f32``), with the device only
when it is not the CPU and ``sim`` when that device is a simulated GPU. An
error becomes one line: the exception, its last message line and, for a
module call, the layer and its input, as the error hover says it.
"""

from __future__ import annotations

from typing import Any

DTYPES = {
    "torch.float32": "f32",
    "torch.float16": "f16",
    "torch.bfloat16": "bf16",
    "torch.float64": "f64",
    "torch.int64": "i64",
    "torch.int32": "i32",
    "torch.int16": "i16",
    "torch.int8": "i8",
    "torch.uint8": "u8",
    "torch.bool": "bool",
    "torch.complex64": "c64",
    "torch.complex128": "c128",
}
MAX_ITEMS = 3
MAX_LABEL = 80


def value_kind(value: Any) -> str | None:
    """``tensor``, ``tensors`` (a tuple or list of them), ``module`` or None."""
    if not isinstance(value, dict):
        return None
    kind = value.get("kind")
    if kind == "Tensor":
        return "tensor"
    if kind == "Module":
        return "module"
    items = value.get("items")
    if kind in ("tuple", "list") and items:
        if all(isinstance(i, dict) and i.get("kind") == "Tensor" for i in items):
            return "tensors"
    return None


def tensor_text(value: dict[str, Any], gpu_simulated: bool) -> str:
    """``[4, 10] f32``, plus ``cuda:0`` off the CPU and ``sim`` on a simulated GPU."""
    shape = value.get("shape")
    dims = ", ".join(str(d) for d in shape) if isinstance(shape, list) else "?"
    dtype = str(value.get("dtype", ""))
    parts = [f"[{dims}]", DTYPES.get(dtype, dtype.removeprefix("torch."))]
    device = str(value.get("device", "cpu"))
    if device != "cpu":
        parts.append(device)
        if gpu_simulated and device.startswith("cuda"):
            parts.append("sim")
    return " ".join(parts)


def _count(n: int) -> str:
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if n >= size:
            return f"{n / size:.1f}{suffix}"
    return str(n)


def value_text(value: dict[str, Any], gpu_simulated: bool) -> str:
    """The compact text of a tensor, a tuple or list of tensors, or a module."""
    kind = value_kind(value)
    if kind == "tensor":
        return tensor_text(value, gpu_simulated)
    if kind == "module":
        return f"{value.get('class')} {_count(int(value.get('params', 0)))} params"
    items = value.get("items", [])
    shown = [tensor_text(i, gpu_simulated) for i in items[:MAX_ITEMS]]
    more = int(value.get("length", len(items))) - len(shown)
    if more > 0:
        shown.append(f"… {more} more")
    return f"({', '.join(shown)}{',' if len(items) == 1 else ''})"


def hint_label(
    names: dict[str, Any], kinds: tuple[str, ...], gpu_simulated: bool
) -> tuple[str, list[str]] | None:
    """The label for one line's assigned names (``‹…›``) and the names it shows."""
    shown = [(n, v) for n, v in names.items() if value_kind(v) in kinds]
    if not shown:
        return None
    if len(shown) == 1 and len(names) == 1:
        text = value_text(shown[0][1], gpu_simulated)
    else:
        text = " · ".join(f"{n} {value_text(v, gpu_simulated)}" for n, v in shown)
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    return f"‹{text}›", [n for n, _ in shown]


def layer_class(layer: dict[str, Any]) -> str:
    """``Linear`` from ``Linear(in_features=4096, …)``."""
    return str(layer.get("layer", "")).split("(", 1)[0]


def error_line(error: dict[str, Any]) -> str:
    """``RuntimeError: … in layer fc (Linear) with input torch.Size([4, 8192])``."""
    text = f"{error.get('type', 'Error')}: {error.get('summary', '')}".rstrip(": ")
    layer = error.get("layer")
    if isinstance(layer, dict) and layer.get("layer"):
        name = layer.get("name") or layer_class(layer)
        inputs = ", ".join(layer.get("inputs", [])) or "?"
        text += f" in layer {name} ({layer_class(layer)}) with input {inputs}"
    return text
