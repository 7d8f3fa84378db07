"""Hover Markdown from a worker result: shapes in torch's own notation, errors as diagnoses.

Everything taken from the result passes through ``markdown`` (code spans that
cannot be broken, no links, control characters escaped, bounded lengths), and
missing or ill-typed fields read as empty: a preview may forge its result.
"""

from __future__ import annotations

import re
from typing import Any

from .layer_list import layer_lines
from .markdown import cap, code, words

PROSE = re.compile(r"[A-Za-z0-9 ,;:·()'=+\-]*")
MAX_LAYER_ROWS = 4000
MODE_TEXT = {
    "meta": "shape-only run on fake (meta) tensors, no memory used",
    "real": "ran on the real CPU (the code needs actual values)",
    "recorded": "recorded by an earlier run of this version of the file",
}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _mixed(text: str) -> str:
    """Worker prose with `code` parts: each part escaped as plain words or as a code span."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # unbalanced: show it all as code
        return code(text)
    out = ""
    for index, part in enumerate(parts):
        piece = code(part) if index % 2 else _prose(part.strip())
        if piece:  # a space keeps code spans apart; punctuation may follow one directly
            out += piece if not out or piece[0] in ",;:)" else " " + piece
    return out


def _prose(text: str) -> str:
    """Plain words as they are; anything Markdown or a linkifier could act on, as code."""
    return text if PROSE.fullmatch(text) else code(text)


def provenance(result: dict[str, Any], line_offset: int = 0) -> list[str]:
    """How the run reached the line: the call that led there, a loop's first pass, an entry."""
    reached = _dict(result.get("reached"))
    lines = []
    via_line, loop_line = _int(reached.get("via_line")), _int(reached.get("loop_line"))
    if reached.get("entry"):
        lines.append(f"_reached by torchpeek:_ {_mixed(_str(reached['entry']))}")
    elif via_line:
        lines.append(
            f"_first call, via_ {code(_str(reached.get('via')))} _(line {via_line - line_offset})_"
        )
    if loop_line:
        lines.append(f"_first pass of the loop at line {loop_line - line_offset}_")
    lines += [f"_note:_ {_mixed(_str(note))}" for note in _list(result.get("notes"))[:8]]
    failed = result.get("line_error")
    if isinstance(failed, dict):
        lines.append(
            f"_as the line was reached; the line then failed:_ {error_markdown(failed, line_offset)}"
        )
    return lines


def value_line(value: dict[str, Any]) -> str:
    """One value in a single line, e.g. ``torch.Size([2, 3]) · torch.float32 · cuda:0``.

    Plain text, not yet Markdown: callers wrap it with ``code`` or ``words``.
    """
    value = _dict(value)
    kind = _str(value.get("kind"))
    if kind == "Tensor":
        parts = [_str(value.get(key)) for key in ("size", "dtype", "device")]
        if value.get("requires_grad"):
            parts.append("requires_grad=True")
        return " · ".join(parts)
    if kind == "Module":
        params = _int(value.get("params"))
        count = f"{params:,}" if params is not None else "?"
        return f"{_str(value.get('class'))} · {count} parameters · {_str(value.get('device'))}"
    if kind == "ndarray":
        shape = _list(value.get("shape"))
        dims = ", ".join(_str(d) for d in shape)
        trailing = "," if len(shape) == 1 else ""
        dtype = _str(value.get("dtype"))
        return f"ndarray · shape ({dims}{trailing}) · {dtype} · as a tensor torch.Size([{dims}])"
    fields = value.get("fields")
    if isinstance(fields, dict):
        shown = " · ".join(f"{_str(k)} {_str(v)}" for k, v in list(fields.items())[:32])
        name = _str(value.get("class", kind))
        return f"{name} · {shown}" if shown else name
    if "items" in value:
        return f"{kind} of {_int(value.get('length')) or 0}"
    return f"{kind} · {_str(value.get('value', ''))}"


def _items(value: dict[str, Any], depth: int = 0) -> list[str]:
    first = value.get("first")
    if isinstance(first, dict) and depth < 4:
        label = "first batch" if value.get("kind") == "DataLoader" else "first item"
        return [f"- {label}: {words(value_line(first))}", *_items(first, depth + 1)]
    rows = []
    for item in _list(value.get("items"))[:64]:
        if isinstance(item, list) and len(item) == 2:
            key, inner = item
            rows.append(f"- {code(_str(key))}: {words(value_line(inner))}")
        else:
            rows.append(f"- [{len(rows)}] {words(value_line(item))}")
    length = _int(value.get("length")) or 0
    if length > len(rows):
        rows.append(f"- … {length - len(rows)} more")
    return rows


def _layers(rows: list[Any]) -> list[str]:
    """One list item per line of the layer list, each a code span nothing can break."""
    lines = layer_lines([_dict(row) for row in rows[:MAX_LAYER_ROWS]])
    return [f"- {code(line)}" for line in lines]


def _simulated(value: dict[str, Any], gpu_simulated: bool) -> bool:
    """Whether the value names a CUDA device that is only simulated here."""
    shown = value.get("value", "") if value.get("kind") == "device" else value.get("device", "")
    return gpu_simulated and "cuda" in _str(shown)


def error_markdown(error: dict[str, Any], line_offset: int = 0) -> str:
    """``RuntimeError`` at line N: the last line of the message, plus the failing layer."""
    error = _dict(error)
    line = _int(error.get("line"))
    where = f" at line {line - line_offset}" if line is not None and line > line_offset else ""
    kind = words(_str(error.get("type") or "Error"), limit=100)
    text = [f"**{kind}**{where}: {code(_str(error.get('summary', '')))}"]
    layer = _dict(error.get("layer"))
    if layer:
        inputs = ", ".join(_str(i) for i in _list(layer.get("inputs"))) or "?"
        kind_name = _str(layer.get("layer"))
        text.append(
            f"in layer {code(_str(layer.get('name')) or kind_name)} ({code(kind_name)}) "
            f"with input {code(inputs)}"
        )
    if error.get("real_run"):
        text.append(f"(a run on the real CPU failed too: {code(_str(error['real_run']))})")
    return "\n\n".join(text)


def hover_markdown(
    expr: str, result: dict[str, Any], gpu_simulated: bool, line_offset: int = 0
) -> str:
    """The full hover text for a result, bounded in length."""
    return cap(_hover_markdown(code(expr), result, gpu_simulated, line_offset))


def _hover_markdown(
    name: str, result: dict[str, Any], gpu_simulated: bool, line_offset: int
) -> str:
    if not result.get("ok"):
        error = _dict(result.get("error"))
        if error.get("type") == "NotReached":
            return f"{name}: not reached — {code(_str(error.get('summary', '')))}"
        return f"{name}: " + error_markdown(error, line_offset)
    value = _dict(result.get("value"))
    lines = [f"{name}: {code(value_line(value))}", *provenance(result, line_offset)]
    on_simulated_device = _simulated(value, gpu_simulated)
    if result.get("simulated_gpu") and not on_simulated_device:
        lines.append("_value from a simulated GPU (no CUDA device on this machine)_")
    lines += _items(value)
    if on_simulated_device:
        lines.append("_simulated CUDA device: no GPU here, nothing was allocated_")
    if _list(result.get("layers")):
        lines += ["", *_layers(result["layers"])]
    note = MODE_TEXT.get(_str(result.get("mode", "")), "")
    elapsed = result.get("elapsed_ms")
    timing = f" · {elapsed:.0f} ms" if isinstance(elapsed, (int, float)) else ""
    lines += ["", f"_{note}{timing}_"]
    return "\n".join(lines)
