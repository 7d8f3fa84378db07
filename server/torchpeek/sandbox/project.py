"""The user's project as a preview sees it, and the values one run of a version recorded.

``project_paths`` says where a preview runs and what it may read: the
document's folder (its working directory for relative paths), the workspace
folders and their ``src/`` layouts first on ``sys.path``, all of them readable
and none writable. ``RecordedValues`` keeps, per document version, the first
value of every name a run assigned on its way to the hovered line, so a later
hover of one of those names needs no new run.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

MAX_VERSIONS = 16


def package_root(folder: str) -> str:
    """The folder above the outermost package that holds ``folder`` (itself if none)."""
    while folder and os.path.isfile(os.path.join(folder, "__init__.py")):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder


def _readable_root(folder: str) -> bool:
    """A folder a preview may read: never the home folder or one above it (dotfiles)."""
    if not folder or not os.path.isdir(folder):
        return False
    home = os.path.realpath(os.path.expanduser("~"))
    real = os.path.realpath(folder)
    return not (home == real or home.startswith(real.rstrip(os.sep) + os.sep))


def project_paths(filename: str, folders: tuple[str, ...]) -> dict[str, Any]:
    """``cwd``, ``sys_path`` and ``read_roots`` of a preview of ``filename``.

    A file inside a package runs as ``python -m`` would run it, so the folder
    above its outermost package is importable (and readable) too.
    """
    here = os.path.dirname(filename) if os.path.isabs(filename) else ""
    top = package_root(here) if here else ""
    roots = [r for r in dict.fromkeys([*folders, top, here]) if _readable_root(r)]
    path = [here, top] if here else []
    for root in folders:
        path.append(root)
        src = os.path.join(root, "src")
        if os.path.isdir(src):
            path.append(src)
    return {
        "cwd": here,
        "sys_path": [p for p in dict.fromkeys(path) if p],
        "read_roots": roots,
    }


class RecordedValues:
    """First values of assigned names, per (document, version), from earlier runs."""

    def __init__(self) -> None:
        self.versions: OrderedDict[tuple[str, Any], dict[str, Any]] = OrderedDict()
        self.loops: dict[tuple[str, Any], dict[str, int]] = {}

    def keep(self, uri: str, version: Any, result: dict[str, Any]) -> None:
        recorded = result.get("recorded")
        if not result.get("ok") or not isinstance(recorded, dict):
            return
        key = (uri, version)
        into = self.versions.setdefault(key, {})
        for line, names in recorded.items():
            if isinstance(names, dict):
                into.setdefault(str(line), {}).update(names)
        loops = result.get("recorded_loops")
        if isinstance(loops, dict):
            self.loops.setdefault(key, {}).update({str(k): v for k, v in loops.items()})
        self.versions.move_to_end(key)
        while len(self.versions) > MAX_VERSIONS:
            old, _ = self.versions.popitem(last=False)
            self.loops.pop(old, None)

    def lookup(self, uri: str, version: Any, line: int, expr: str) -> dict[str, Any] | None:
        """A result for ``expr`` assigned on 1-based ``line``, if a run of this version saw it."""
        names = self.versions.get((uri, version), {}).get(str(line), {})
        value = names.get(expr)
        if value is None:
            return None
        reached: dict[str, Any] = {"frame": "recorded"}
        loop = self.loops.get((uri, version), {}).get(str(line))
        if isinstance(loop, int):
            reached["loop_line"] = loop
        return {"ok": True, "mode": "recorded", "value": value, "reached": reached}
