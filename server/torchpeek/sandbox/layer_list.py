"""The hover's list of layers, made for a narrow popup: one short line per layer.

Each line is the layer's name, a short description (``Conv2d 3→32 k3 p1``) and
its output shape (``[4, 32, 32, 32]``). Repeated blocks (``layer1.0``,
``layer1.1``, … or ``blocks.0`` … ``blocks.11``) collapse into one line with a
count, and a list longer than the popup ends with an explicit "… N more".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

BLOCK = re.compile(r"^(?P<prefix>.*?)\.(?P<index>\d+)(?P<rest>\..+)?$")
MAX_LINES = 16
NAME_WIDTH = 32
WHAT_WIDTH = 24


Entry = tuple[str, str, str]


@dataclass
class Unit:
    """Consecutive rows of one indexed child (``layer1.0``), or one row with no index."""

    prefix: str | None
    index: int
    rows: list[dict[str, Any]]
    nested: bool = False  # its rows are layers inside the indexed child

    @property
    def name(self) -> str:
        return f"{self.prefix}.{self.index}"

    def kinds(self) -> set[str]:
        return {_what(row).split(" ", 1)[0] for row in self.rows}


def short_shape(output: str) -> str:
    """``[4, 10]`` from ``torch.Size([4, 10])``; other outputs as they are."""
    return output[len("torch.Size(") : -1] if output.startswith("torch.Size(") else output


def _units(rows: list[dict[str, Any]], skip: int) -> list[Unit]:
    """Group rows by the first index in their names after the first ``skip`` characters."""
    units: list[Unit] = []
    for row in rows:
        name = str(row.get("name") or "")
        found = BLOCK.match(name[skip:])
        prefix = name[:skip] + found["prefix"] if found else None
        index = int(found["index"]) if found else -1
        last = units[-1] if units else None
        if prefix is not None and last and (last.prefix, last.index) == (prefix, index):
            last.rows.append(row)
        else:
            units.append(Unit(prefix, index, [row], bool(found and found["rest"])))
    return units


def _same_run(last: Unit, unit: Unit) -> bool:
    """Blocks of one container; or identical layers of one container."""
    if unit.prefix is None or (last.prefix, last.nested) != (unit.prefix, unit.nested):
        return False
    return unit.nested or _what(last.rows[0]) == _what(unit.rows[0])


def _runs(units: list[Unit]) -> list[list[Unit]]:
    """Consecutive units of the same container, leaves and blocks apart."""
    runs: list[list[Unit]] = []
    for unit in units:
        last = runs[-1][-1] if runs else None
        if last and _same_run(last, unit):
            runs[-1].append(unit)
        else:
            runs.append([unit])
    return runs


def _what(row: dict[str, Any]) -> str:
    return str(row.get("short") or str(row.get("layer", "")).split("(", 1)[0])


def _row(row: dict[str, Any]) -> Entry:
    return str(row.get("name") or ""), _what(row), short_shape(str(row.get("output", "")))


def _collapsed(run: list[Unit]) -> Entry | None:
    """One line for repeated blocks (same kinds of layers) or identical layers."""
    if len(run) < 2:
        return None
    name = f"{run[0].name} … {run[-1].name}"
    output = short_shape(str(run[-1].rows[-1].get("output", "")))
    if run[0].nested and all(unit.kinds() == run[0].kinds() for unit in run):
        return name, f"×{len(run)}", output
    whats = {_what(unit.rows[0]) for unit in run}
    if not run[0].nested and len(whats) == 1:
        return name, f"{whats.pop()} ×{len(run)}", output
    return None


def _entries(rows: list[dict[str, Any]], skip: int = 0) -> list[Entry]:
    entries: list[Entry] = []
    for run in _runs(_units(rows, skip)):
        line = _collapsed(run)
        if line is not None:
            entries.append(line)
            continue
        for unit in run:
            if unit.nested:  # look for repeats inside the block
                entries += _entries(unit.rows, len(unit.name) + 1)
            else:
                entries += [_row(row) for row in unit.rows]
    return entries


def layer_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The aligned lines of the list, repeated blocks collapsed, cut at ``MAX_LINES``."""
    entries = _entries(rows)
    more = len(entries) - MAX_LINES
    if more > 0:
        entries = entries[: MAX_LINES - 1]
        more += 1
    name_width = min(max((len(n) for n, _, _ in entries), default=0), NAME_WIDTH)
    what_width = min(max((len(w) for _, w, _ in entries), default=0), WHAT_WIDTH)
    lines = [
        f"{name:<{name_width}}  {what:<{what_width}}  {output}".rstrip()
        for name, what, output in entries
    ]
    if more > 0:
        lines.append(f"… {more} more")
    return lines
