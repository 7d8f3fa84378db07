"""Hover Markdown from a worker result: shapes in torch's own notation, errors as diagnoses."""

from __future__ import annotations

from typing import Any

MODE_TEXT = {
    "meta": "shape-only run on fake (meta) tensors, no memory used",
    "real": "ran on the real CPU (the code needs actual values)",
    "recorded": "recorded by an earlier run of this version of the file",
}


def provenance(result: dict[str, Any], line_offset: int = 0) -> list[str]:
    """How the run reached the line: the call that led there, a loop's first pass, an entry."""
    reached = result.get("reached") or {}
    lines = []
    if reached.get("entry"):
        lines.append(f"_reached by torchpeek: {reached['entry']}_")
    elif reached.get("via_line"):
        where = int(reached["via_line"]) - line_offset
        lines.append(f"_first call, via `{reached.get('via', '')}` (line {where})_")
    if reached.get("loop_line"):
        lines.append(f"_first pass of the loop at line {int(reached['loop_line']) - line_offset}_")
    lines += [f"_{note}_" for note in result.get("notes", [])]
    failed = result.get("line_error")
    if isinstance(failed, dict):
        lines.append(
            f"_as the line was reached; the line then failed:_ {error_markdown(failed, line_offset)}"
        )
    return lines


def value_line(value: dict[str, Any]) -> str:
    """One value in a single line, e.g. ``torch.Size([2, 3]) · torch.float32 · cuda:0``."""
    kind = value.get("kind")
    if kind == "Tensor":
        parts = [value["size"], value["dtype"], value["device"]]
        if value.get("requires_grad"):
            parts.append("requires_grad=True")
        return " · ".join(parts)
    if kind == "Module":
        return f"{value['class']} · {value['params']:,} parameters · {value['device']}"
    if kind == "ndarray":
        dims = ", ".join(str(d) for d in value["shape"])
        trailing = "," if len(value["shape"]) == 1 else ""
        return f"ndarray · shape ({dims}{trailing}) · {value['dtype']} · as a tensor torch.Size([{dims}])"
    if isinstance(value.get("fields"), dict):
        fields = " · ".join(f"{k} {v}" for k, v in value["fields"].items())
        return f"{value.get('class', kind)} · {fields}" if fields else str(value.get("class", kind))
    if "items" in value:
        return f"{kind} of {value['length']}"
    return f"{kind} · {value.get('value', '')}"


def _items(value: dict[str, Any]) -> list[str]:
    first = value.get("first")
    if isinstance(first, dict):
        label = "first batch" if value.get("kind") == "DataLoader" else "first item"
        return [f"- {label}: {value_line(first)}", *_items(first)]
    rows = []
    for item in value.get("items", []):
        if isinstance(item, list):
            key, inner = item
            rows.append(f"- `{key}`: {value_line(inner)}")
        else:
            rows.append(f"- [{len(rows)}] {value_line(item)}")
    if value.get("length", 0) > len(rows):
        rows.append(f"- … {value['length'] - len(rows)} more")
    return rows


def _layers(rows: list[dict[str, Any]]) -> list[str]:
    table = ["| layer | output |", "|---|---|"]
    for row in rows:
        name = f"{row['name']} " if row.get("name") else ""
        table.append(f"| {name}`{row['layer']}` | `{row['output']}` |")
    return table


def _simulated(value: dict[str, Any], gpu_simulated: bool) -> bool:
    return gpu_simulated and "cuda" in str(value.get("device", ""))


def error_markdown(error: dict[str, Any], line_offset: int = 0) -> str:
    """``RuntimeError`` at line N: the last line of the message, plus the failing layer."""
    line = error.get("line")
    where = f" at line {line - line_offset}" if isinstance(line, int) and line > line_offset else ""
    text = [f"**{error.get('type', 'Error')}**{where}: {error.get('summary', '')}"]
    layer = error.get("layer")
    if layer:
        inputs = ", ".join(layer.get("inputs", [])) or "?"
        text.append(
            f"in layer `{layer.get('name') or layer['layer']}` (`{layer['layer']}`) with input `{inputs}`"
        )
    if error.get("real_run"):
        text.append(f"(a run on the real CPU failed too: {error['real_run']})")
    return "\n\n".join(text)


def hover_markdown(
    expr: str, result: dict[str, Any], gpu_simulated: bool, line_offset: int = 0
) -> str:
    """The full hover text for a result."""
    if not result.get("ok"):
        error = result.get("error", {})
        if error.get("type") == "NotReached":
            return f"`{expr}`: not reached — {error.get('summary', '')}"
        return f"`{expr}`: " + error_markdown(error, line_offset)
    value = result["value"]
    lines = [f"`{expr}`: `{value_line(value)}`", *provenance(result, line_offset)]
    if result.get("simulated_gpu"):
        lines.append("_value from a simulated GPU (no CUDA device on this machine)_")
    lines += _items(value)
    if _simulated(value, gpu_simulated):
        lines.append("_simulated CUDA device: no GPU here, nothing was allocated_")
    if result.get("layers"):
        lines += ["", *_layers(result["layers"])]
    note = MODE_TEXT.get(result.get("mode", ""), "")
    timing = f" · {result['elapsed_ms']:.0f} ms" if "elapsed_ms" in result else ""
    lines += ["", f"_{note}{timing}_"]
    return "\n".join(lines)
