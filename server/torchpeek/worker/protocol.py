"""Messages between the server and the worker: one JSON object per line.

Requests carry an ``op`` ("preview", "cancel", "doctor", "shutdown") and an
``id``; every response carries the ``id`` it answers. Plain dataclasses keep
the worker free of third-party code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_MESSAGE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Resource limits of one preview child."""

    timeout_ms: int = 5000
    memory_mb: int = 4096
    max_files: int = 256
    max_file_mb: int = 64
    max_threads: int = 64
    max_scratch_mb: int = 256


@dataclass(frozen=True)
class SimGpu:
    """What a simulated CUDA device reports."""

    name: str = "Simulated GPU (torchpeek)"
    total_memory_mb: int = 24576
    count: int = 1
    capability: tuple[int, int] = (8, 6)


@dataclass(frozen=True)
class PreviewRequest:
    """Run ``source`` as ``__main__`` and show ``expr`` right after 1-based ``line`` first runs.

    ``line`` 0 shows ``expr`` after the whole source has run (snippet previews);
    ``line`` -1 traces the whole file: the first value of every assigned name
    (``recorded``, by line) and where the run failed (inlay hints, diagnostics).
    """

    id: int
    source: str
    expr: str
    line: int = 0
    filename: str = "<document>"
    limits: Limits = field(default_factory=Limits)
    gpu: SimGpu = field(default_factory=SimGpu)
    modes: tuple[str, ...] = ("meta", "real")
    # The user's project: folders a preview may read (never write), the folder
    # it runs in, and where its imports are looked up first.
    read_roots: tuple[str, ...] = ()
    cwd: str = ""
    sys_path: tuple[str, ...] = ()
    # Snapshots: resume from a holder that ran the unchanged first statements;
    # the holders together stay under ``snapshot_mb`` of memory (PSS).
    snapshots: bool = True
    snapshot_mb: int = 1024

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PreviewRequest:
        limits = Limits(**data.get("limits", {}))
        gpu_raw = dict(data.get("gpu", {}))
        if "capability" in gpu_raw:
            gpu_raw["capability"] = tuple(gpu_raw["capability"])
        source = data.get("source")
        if source is None:  # a straight program: prelude and target, value shown at the end
            source = str(data.get("prelude", "")) + str(data.get("target", ""))
        return cls(
            id=int(data["id"]),
            source=str(source),
            expr=str(data.get("expr", "")),
            line=int(data.get("line", 0)),
            filename=str(data.get("filename", "<document>")),
            limits=limits,
            gpu=SimGpu(**gpu_raw),
            modes=tuple(data.get("modes", ("meta", "real"))),
            read_roots=tuple(str(r) for r in data.get("read_roots", ())),
            cwd=str(data.get("cwd", "")),
            sys_path=tuple(str(r) for r in data.get("sys_path", ())),
            snapshots=bool(data.get("snapshots", True)),
            snapshot_mb=int(data.get("snapshot_mb", 1024)),
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["op"] = "preview"
        return data


def encode(message: dict[str, Any]) -> bytes:
    """One message as a line of JSON."""
    return (json.dumps(message, default=repr) + "\n").encode("utf-8")
