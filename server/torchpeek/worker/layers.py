"""Short descriptions of layers for the hover's layer list: ``Conv2d 3→32 k3 p1``, ``Linear 512→10``.

A module's ``repr`` is either every default (``Conv2d(3, 32, kernel_size=(3,
3), stride=(1, 1), padding=(1, 1))``) or nothing at all (``BatchNorm2d(64,
eps=…)`` in some versions, a bare class name in others). A narrow popup wants
the few numbers that decide shapes, written the same way for every layer.
"""

from __future__ import annotations

from typing import Any

import torch


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
