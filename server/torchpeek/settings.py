"""User settings: the ``torchpeek`` section of initialization options and configuration.

Editors send camelCase JSON; this module turns it into a typed, validated
``Settings`` value. Bad values never stop the server: each one becomes a
warning and the default stays in place.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class SimulatedGpu:
    """Properties a simulated CUDA device reports on a machine without one."""

    name: str = "Simulated GPU (torchpeek)"
    total_memory_mb: int = 24576
    count: int = 1
    capability: tuple[int, int] = (8, 6)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "totalMemoryMb": self.total_memory_mb,
            "count": self.count,
            "capability": list(self.capability),
        }


@dataclass(frozen=True)
class PreviewSettings:
    """Limits and switches for shape previews."""

    enabled: bool = True
    timeout_ms: int = 5000
    memory_mb: int = 4096


@dataclass(frozen=True)
class SnapshotSettings:
    """Resuming hovers from processes that already ran the file's first statements."""

    enabled: bool = True
    memory_mb: int = 1024


HINT_KINDS = ("tensor", "tensors", "module")


@dataclass(frozen=True)
class InlayHintSettings:
    """Which evaluated values show inline after an assignment, and how many per document."""

    enabled: bool = True
    kinds: tuple[str, ...] = ("tensor", "tensors")
    max_per_document: int = 500


@dataclass(frozen=True)
class Settings:
    """Everything a client may configure."""

    python: str = field(default_factory=lambda: sys.executable)
    snippet_paths: tuple[str, ...] = ()
    preview: PreviewSettings = PreviewSettings()
    inlay_hints: InlayHintSettings = InlayHintSettings()
    diagnostics_enabled: bool = True
    simulated_gpu: SimulatedGpu = SimulatedGpu()
    locale: str = "auto"
    snapshots: SnapshotSettings = SnapshotSettings()


def _pick(options: dict[str, Any], key: str, kind: type, warnings: list[str]) -> Any:
    value = options.get(key)
    if value is None:
        return None
    if kind is int and isinstance(value, bool):
        warnings.append(f"torchpeek.{key}: expected a number, got {value!r}")
        return None
    if not isinstance(value, kind):
        warnings.append(f"torchpeek.{key}: expected {kind.__name__}, got {value!r}")
        return None
    return value


def _section(raw: Any, name: str, warnings: list[str]) -> dict[str, Any] | None:
    """A nested settings object, or None (with a warning unless it is absent)."""
    if isinstance(raw, dict):
        return raw
    if raw is not None:
        warnings.append(f"torchpeek.{name}: expected an object, got {raw!r}")
    return None


def _parse_preview(raw: Any, warnings: list[str]) -> PreviewSettings:
    base = PreviewSettings()
    if (raw := _section(raw, "preview", warnings)) is None:
        return base
    enabled = _pick(raw, "enabled", bool, warnings)
    timeout = _pick(raw, "timeoutMs", int, warnings)
    memory = _pick(raw, "memoryMb", int, warnings)
    if timeout is not None and not 100 <= timeout <= 600_000:
        warnings.append(f"torchpeek.preview.timeoutMs: {timeout} is outside 100..600000")
        timeout = None
    if memory is not None and memory < 256:
        warnings.append(f"torchpeek.preview.memoryMb: {memory} is below 256")
        memory = None
    return replace(
        base,
        enabled=base.enabled if enabled is None else enabled,
        timeout_ms=timeout or base.timeout_ms,
        memory_mb=memory or base.memory_mb,
    )


def _parse_snapshots(raw: Any, warnings: list[str]) -> SnapshotSettings:
    base = SnapshotSettings()
    if (raw := _section(raw, "snapshots", warnings)) is None:
        return base
    enabled = _pick(raw, "enabled", bool, warnings)
    memory = _pick(raw, "memoryMb", int, warnings)
    if memory is not None and not 0 <= memory <= 65536:
        warnings.append(f"torchpeek.snapshots.memoryMb: {memory} is outside 0..65536")
        memory = None
    return SnapshotSettings(
        enabled=base.enabled if enabled is None else enabled,
        memory_mb=base.memory_mb if memory is None else memory,
    )


def _parse_inlay_hints(raw: Any, warnings: list[str]) -> InlayHintSettings:
    base = InlayHintSettings()
    if (raw := _section(raw, "inlayHints", warnings)) is None:
        return base
    enabled = _pick(raw, "enabled", bool, warnings)
    most = _pick(raw, "maxPerDocument", int, warnings)
    if most is not None and not 0 <= most <= 100_000:
        warnings.append(f"torchpeek.inlayHints.maxPerDocument: {most} is outside 0..100000")
        most = None
    kinds = raw.get("kinds")
    chosen = base.kinds
    if isinstance(kinds, list) and all(k in HINT_KINDS for k in kinds):
        chosen = tuple(kinds)
    elif kinds is not None:
        warnings.append(
            f"torchpeek.inlayHints.kinds: expected a list of {', '.join(HINT_KINDS)}, got {kinds!r}"
        )
    return InlayHintSettings(
        enabled=base.enabled if enabled is None else enabled,
        kinds=chosen,
        max_per_document=base.max_per_document if most is None else most,
    )


def _parse_diagnostics(raw: Any, base: bool, warnings: list[str]) -> bool:
    if (raw := _section(raw, "diagnostics", warnings)) is None:
        return base
    enabled = _pick(raw, "enabled", bool, warnings)
    return base if enabled is None else bool(enabled)


def _parse_gpu(raw: Any, warnings: list[str]) -> SimulatedGpu:
    base = SimulatedGpu()
    if not isinstance(raw, dict):
        if raw is not None:
            warnings.append(f"torchpeek.simulatedGpu: expected an object, got {raw!r}")
        return base
    name = _pick(raw, "name", str, warnings)
    total = _pick(raw, "totalMemoryMb", int, warnings)
    count = _pick(raw, "count", int, warnings)
    cap = raw.get("capability")
    capability = base.capability
    if isinstance(cap, list) and len(cap) == 2 and all(isinstance(c, int) for c in cap):
        capability = (cap[0], cap[1])
    elif cap is not None:
        warnings.append(f"torchpeek.simulatedGpu.capability: expected [major, minor], got {cap!r}")
    if count is not None and not 1 <= count <= 64:
        warnings.append(f"torchpeek.simulatedGpu.count: {count} is outside 1..64")
        count = None
    return SimulatedGpu(
        name=name or base.name,
        total_memory_mb=total or base.total_memory_mb,
        count=count or base.count,
        capability=capability,
    )


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from a client's JSON object, plus a warning per ignored value."""
    warnings: list[str] = []
    base = base or Settings()
    if raw is None:
        return base, warnings
    if not isinstance(raw, dict):
        return base, [f"torchpeek settings: expected an object, got {type(raw).__name__}"]
    if isinstance(raw.get("torchpeek"), dict):
        raw = raw["torchpeek"]
    python = _pick(raw, "python", str, warnings)
    paths = raw.get("snippetPaths")
    snippet_paths = base.snippet_paths
    if isinstance(paths, list) and all(isinstance(p, str) for p in paths):
        snippet_paths = tuple(paths)
    elif paths is not None:
        warnings.append(f"torchpeek.snippetPaths: expected a list of strings, got {paths!r}")
    locale = _pick(raw, "locale", str, warnings)
    if locale is not None and locale not in ("auto", "en", "ko"):
        warnings.append(f"torchpeek.locale: expected auto, en or ko, got {locale!r}")
        locale = None
    settings = Settings(
        python=python or base.python,
        snippet_paths=snippet_paths,
        preview=_parse_preview(raw.get("preview"), warnings) if "preview" in raw else base.preview,
        simulated_gpu=_parse_gpu(raw.get("simulatedGpu"), warnings)
        if "simulatedGpu" in raw
        else base.simulated_gpu,
        locale=locale or base.locale,
        snapshots=_parse_snapshots(raw.get("snapshots"), warnings)
        if "snapshots" in raw
        else base.snapshots,
        inlay_hints=_parse_inlay_hints(raw.get("inlayHints"), warnings)
        if "inlayHints" in raw
        else base.inlay_hints,
        diagnostics_enabled=_parse_diagnostics(
            raw.get("diagnostics"), base.diagnostics_enabled, warnings
        )
        if "diagnostics" in raw
        else base.diagnostics_enabled,
    )
    return settings, warnings
