"""``torchpeek doctor`` as text a person reads: the worker's interpreter, torch and its layers.

The report itself comes from the preview worker (see :mod:`.sandbox.oneshot`); this module
only lays it out. ``torchpeek doctor --json`` prints the report unchanged for scripts.
"""

from __future__ import annotations

from typing import Any


def _rows(layers: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    for name, layer in layers.items():
        info = layer if isinstance(layer, dict) else {}
        mark = "active" if info.get("active") else "inactive"
        rows.append((name, mark, str(info.get("detail", ""))))
    return rows


def _table(rows: list[tuple[str, str, str]]) -> list[str]:
    width = max(len("layer"), *(len(row[0]) for row in rows))
    lines = [f"  {'layer':<{width}}  {'state':<8}  detail", f"  {'-' * width}  {'-' * 8}  ------"]
    lines += [f"  {name:<{width}}  {mark:<8}  {detail}" for name, mark, detail in rows]
    return lines


def doctor_table(report: dict[str, Any]) -> str:
    """The report as aligned text; without torch, why and how to fix it instead of layers."""
    python = report.get("python") or "the chosen interpreter"
    lines = [f"Worker Python: {python}"]
    torch = report.get("torch")
    if not torch:
        error = report.get("error")
        why = (error.get("summary") if isinstance(error, dict) else None) or "no worker started"
        lines += [f"torch:         not available ({why})", "", "No sandbox layers to show: a"]
        lines[-1] += " preview needs torch in the worker's interpreter (setting: python)."
        return "\n".join(lines)
    gpu = "yes" if report.get("real_gpu") else "no (CUDA calls are simulated)"
    lines += [f"torch:         {torch}", f"Real GPU:      {gpu}"]
    if report.get("warmup_ms") is not None:
        lines.append(f"Warm-up:       {float(report['warmup_ms']):,.0f} ms")
    rows = _rows(report.get("layers") or {})
    active = sum(1 for row in rows if row[1] == "active")
    lines += ["", f"Sandbox layers: {active} of {len(rows)} active", *_table(rows)]
    return "\n".join(lines)
