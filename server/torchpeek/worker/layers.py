"""Short descriptions of layers for the hover's layer list: ``Conv2d 3→32 k3 p1``, ``Linear 512→10``.

A module's ``repr`` is either every default (``Conv2d(3, 32, kernel_size=(3,
3), stride=(1, 1), padding=(1, 1))``) or nothing at all (``BatchNorm2d(64,
eps=…)`` in some versions, a bare class name in others). A narrow popup wants
the few numbers that decide shapes, written the same way for every layer.

``LayerLog`` collects each leaf layer's output while the hovered statement runs.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import torch

from .describe import size_text


def _one(value: Any) -> str:
    """``3`` for ``(3, 3)``, ``3x1`` for ``(3, 1)``."""
    if isinstance(value, (tuple, list)):
        items = [str(v) for v in value]
        return items[0] if len(set(items)) == 1 else "x".join(items)
    return str(value)


def _zero(value: Any) -> bool:
    return _one(value) == "0"


def _conv(module: Any) -> str:
    text = f"{module.in_channels}→{module.out_channels} k{_one(module.kernel_size)}"
    if _one(module.stride) != "1":
        text += f" s{_one(module.stride)}"
    padding = module.padding
    if isinstance(padding, str):
        text += f" p={padding}"
    elif not _zero(padding):
        text += f" p{_one(padding)}"
    if _one(module.dilation) != "1":
        text += f" d{_one(module.dilation)}"
    if module.groups != 1:
        text += f" g{module.groups}"
    return text


def _pool(module: Any) -> str:
    text = f"k{_one(module.kernel_size)}"
    stride = module.stride if module.stride is not None else module.kernel_size
    if _one(stride) not in ("1", _one(module.kernel_size)):
        text += f" s{_one(stride)}"
    if not _zero(module.padding):
        text += f" p{_one(module.padding)}"
    return text


def _details(module: torch.nn.Module) -> str:
    nn = torch.nn
    m: Any = module
    if isinstance(module, nn.modules.conv._ConvNd):
        return _conv(m)
    if isinstance(module, nn.Linear):
        return f"{m.in_features}→{m.out_features}"
    if isinstance(module, nn.modules.batchnorm._NormBase):
        return str(m.num_features)
    if isinstance(module, nn.LayerNorm):
        return _one(m.normalized_shape)
    if isinstance(module, nn.GroupNorm):
        return f"{m.num_groups} groups {m.num_channels}"
    if isinstance(module, nn.Embedding):
        return f"{m.num_embeddings}×{m.embedding_dim}"
    if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d)):
        return _pool(m)
    pooling = nn.modules.pooling
    if isinstance(module, (pooling._AdaptiveAvgPoolNd, pooling._AdaptiveMaxPoolNd)):
        return f"→{_one(m.output_size)}"
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return f"p={m.p:g}"
    if isinstance(module, nn.RNNBase):
        extra = f" ×{m.num_layers}" if m.num_layers != 1 else ""
        return f"{m.input_size}→{m.hidden_size}{extra}" + (" bi" if m.bidirectional else "")
    if isinstance(module, nn.Flatten):
        return f"{m.start_dim}.." if m.end_dim == -1 else f"{m.start_dim}..{m.end_dim}"
    return ""


def short_layer(module: torch.nn.Module) -> str:
    """The class name and the arguments that decide shapes."""
    try:
        details = _details(module)
    except Exception:  # noqa: BLE001 - a user subclass with odd attributes: the class is enough
        details = ""
    name = type(module).__name__
    return f"{name} {details}" if details else name


# The hover collapses repeated blocks and cuts long lists with a "… N more" line.
MAX_ROWS = 4000


@dataclass
class LayerLog:
    """Leaf-module outputs seen while the hovered statement ran, and the module that failed."""

    names: dict[int, str] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    stack: list[tuple[torch.nn.Module, list[str]]] = field(default_factory=list)
    failed: dict[str, Any] | None = None

    def name_modules(self, namespace: dict[str, Any]) -> None:
        for var, value in list(namespace.items()):
            if isinstance(value, torch.nn.Module):
                for sub, module in value.named_modules(prefix=var):
                    self.names.setdefault(id(module), sub)

    def pre(self, module: torch.nn.Module, args: Any) -> None:
        shapes = [size_text(a.shape) for a in args if isinstance(a, torch.Tensor)]
        self.stack.append((module, shapes))

    def post(self, module: torch.nn.Module, args: Any, output: Any) -> None:
        if self.stack:
            self.stack.pop()
        if any(True for _ in module.children()) or len(self.rows) >= MAX_ROWS:
            return
        shape = (
            size_text(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        )
        self.rows.append(
            {
                "name": self.names.get(id(module), ""),
                "layer": _layer_repr(module),
                "short": short_layer(module),
                "output": shape,
            }
        )

    def culprit(self) -> dict[str, Any] | None:
        if not self.stack:
            return None
        module, shapes = self.stack[-1]
        return {
            "name": self.names.get(id(module), ""),
            "layer": _layer_repr(module),
            "inputs": shapes,
        }


def _layer_repr(module: torch.nn.Module) -> str:
    text = repr(module)
    return text if "\n" not in text and len(text) <= 80 else type(module).__name__


@contextlib.contextmanager
def hooks(log: LayerLog) -> Any:
    from torch.nn.modules import module as module_mod

    pre = module_mod.register_module_forward_pre_hook(log.pre)
    post = module_mod.register_module_forward_hook(log.post)
    try:
        yield
    finally:
        pre.remove()
        post.remove()
