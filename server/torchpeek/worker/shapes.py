"""Example inputs for a layer: the tensor a layer of a given kind and size accepts.

Used by entry inference to call ``forward`` when the file never does. Each
candidate is the text of a torch expression (``torch.randn(2, 3, 32, 32)``), so
the hover can show exactly what was assumed. Sizes the model states itself
(``img_size``, ``block_size``...) win over the defaults.
"""

from __future__ import annotations

import re
from typing import Any

from torch import nn

BATCH = 2
SEQUENCE = 8
SPATIAL = (32, 224, 64)
IMAGE_ATTRS = ("img_size", "image_size", "input_size", "resolution", "img_res", "input_resolution")
LENGTH_ATTRS = (
    "block_size", "max_len", "max_seq_len", "seq_len", "context_length",
    "max_position_embeddings", "n_ctx", "max_length", "seq_length",
)  # fmt: skip
BATCH_NAMES = {"b", "batch", "bs", "n", "batch_size", "B", "N"}


def _first_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], int):
        return int(value[0])
    return None


def size_hints(model: Any) -> dict[str, int]:
    """Image size and sequence length the model or its config states, if any."""
    hints: dict[str, int] = {}
    holders = [
        model,
        getattr(model, "config", None),
        getattr(model, "cfg", None),
        getattr(model, "args", None),
    ]
    if isinstance(model, nn.Module):
        holders += [m for _, m in zip(range(64), model.modules(), strict=False)]
    for holder in holders:
        if holder is None:
            continue
        for attr in IMAGE_ATTRS:
            found = _first_int(getattr(holder, attr, None))
            if found and "image" not in hints:
                hints["image"] = found
        for attr in LENGTH_ATTRS:
            found = _first_int(getattr(holder, attr, None))
            if found and "length" not in hints:
                hints["length"] = found
    return hints


def _spatial(hints: dict[str, int]) -> list[int]:
    sizes = [hints["image"]] if "image" in hints else []
    return sizes + [s for s in SPATIAL if s not in sizes]


def _length(hints: dict[str, int]) -> int:
    return max(1, min(SEQUENCE, hints.get("length", SEQUENCE)))


def _randn(*dims: int) -> str:
    return f"torch.randn({', '.join(str(d) for d in dims)})"


def _first_leaf(model: nn.Module) -> nn.Module | None:
    for module in model.modules():
        if module is not model and _rule(module) is not None:
            return module
    return None


def _rule(layer: nn.Module) -> str | None:
    for kind in RULES:
        if isinstance(layer, kind):
            return kind.__name__
    return None


def layer_inputs(layer: Any, hints: dict[str, int]) -> list[str]:
    """Candidate inputs for ``layer``, most likely first (empty when unknown)."""
    if not isinstance(layer, nn.Module):
        return []
    for kind, make in RULES.items():
        if isinstance(layer, kind):
            found: list[str] = make(layer, hints)
            if not type(layer).__module__.startswith("torch.") and kind in CHANNELS_FIRST:
                # A user subclass of a norm layer usually permutes NCHW itself.
                channels = found[0].split(", ")[-1].rstrip(")")
                found = [_randn(BATCH, int(channels), s, s) for s in _spatial(hints)] + found
            return found
    inner = _first_leaf(layer)
    if inner is not None:
        return layer_inputs(inner, hints)
    return _from_tensors(layer, hints)


def _from_tensors(layer: nn.Module, hints: dict[str, int]) -> list[str]:
    """No layer to go by: a sequence whose features match the module's own tensors."""
    for tensor in [*layer.parameters(), *layer.buffers()]:
        if tensor.dim() >= 1 and tensor.is_floating_point():
            return [_randn(BATCH, _length(hints), int(tensor.shape[-1]))]
    return []


def _conv(layer: Any, hints: dict[str, int]) -> list[str]:
    channels, rank = layer.in_channels, len(layer.kernel_size)
    if rank == 1:
        return [_randn(BATCH, channels, 64), _randn(BATCH, channels, 16)]
    if rank == 3:
        return [_randn(BATCH, channels, 8, 32, 32)]
    return [_randn(BATCH, channels, s, s) for s in _spatial(hints)]


def _linear(layer: Any, hints: dict[str, int]) -> list[str]:
    return [_randn(BATCH, layer.in_features), _randn(BATCH, _length(hints), layer.in_features)]


def _embedding(layer: Any, hints: dict[str, int]) -> list[str]:
    return [f"torch.randint(0, {layer.num_embeddings}, ({BATCH}, {_length(hints)}))"]


def _recurrent(layer: Any, hints: dict[str, int]) -> list[str]:
    size = layer.input_size
    first = (BATCH, _length(hints)) if layer.batch_first else (_length(hints), BATCH)
    return [_randn(*first, size)]


def _norm(layer: Any, hints: dict[str, int]) -> list[str]:
    return [_randn(BATCH, _length(hints), *layer.normalized_shape)]


def _batchnorm1d(layer: Any, hints: dict[str, int]) -> list[str]:
    return [_randn(BATCH, layer.num_features), _randn(BATCH, layer.num_features, 16)]


def _channels(layer: Any, hints: dict[str, int]) -> list[str]:
    channels = getattr(layer, "num_features", None) or layer.num_channels
    return [_randn(BATCH, channels, s, s) for s in _spatial(hints)]


def _attention(layer: Any, hints: dict[str, int]) -> list[str]:
    first = (BATCH, _length(hints)) if layer.batch_first else (_length(hints), BATCH)
    return [_randn(*first, layer.embed_dim)]


def _transformer_layer(layer: Any, hints: dict[str, int]) -> list[str]:
    return _attention(layer.self_attn, hints)


RULES: dict[type, Any] = {
    nn.modules.conv._ConvNd: _conv,
    nn.Linear: _linear,
    nn.Bilinear: lambda layer, hints: [],
    nn.Embedding: _embedding,
    nn.EmbeddingBag: _embedding,
    nn.RNNBase: _recurrent,
    nn.LayerNorm: _norm,
    nn.RMSNorm: _norm,
    nn.BatchNorm1d: _batchnorm1d,
    nn.InstanceNorm1d: _batchnorm1d,
    nn.BatchNorm2d: _channels,
    nn.InstanceNorm2d: _channels,
    nn.GroupNorm: _channels,
    nn.MultiheadAttention: _attention,
    nn.TransformerEncoderLayer: _transformer_layer,
    nn.TransformerDecoderLayer: _transformer_layer,
}

CHANNELS_FIRST = (nn.LayerNorm, nn.RMSNorm)

JAX_DIMS = re.compile(r"\[\s*(?:torch\.)?Tensor\s*,\s*['\"](?P<dims>[^'\"]*)['\"]")


def annotation_input(annotation: str, hints: dict[str, int]) -> str | None:
    """An input from a jaxtyping (``Float[Tensor, "b 3 32 32"]``) or ``Annotated`` shape string."""
    match = JAX_DIMS.search(annotation)
    if match is None:
        return None
    dims = []
    for word in match.group("dims").split():
        word = word.lstrip("*#_")
        if word.isdigit():
            dims.append(int(word))
        elif word in BATCH_NAMES:
            dims.append(BATCH)
        elif word in ("t", "T", "seq", "seq_len", "len", "time", "L"):
            dims.append(_length(hints))
        elif word in ("h", "w", "H", "W", "height", "width"):
            dims.append(_spatial(hints)[0])
        else:
            return None
    if not dims:
        return None
    if annotation.lstrip().startswith(("Int", "Long", "Integer")):
        return f"torch.randint(0, 2, ({', '.join(map(str, dims))},))"
    return _randn(*dims)
