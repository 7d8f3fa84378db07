"""Run a preview program: shape-only on fake (meta) tensors first, on the real CPU if needed.

The fake run costs no memory, so ``torch.zeros(100000, 100000) @ x.T`` or a
VGG16 forward answers at once. Code that needs real values (``nonzero``,
boolean masks, ``.item()``, numpy conversion) fails under fake tensors; then the
program runs again on the real CPU, inside the child's resource limits.
"""

from __future__ import annotations

import builtins
import contextlib
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import torch

from . import simcuda
from .describe import describe, size_text
from .protocol import PreviewRequest

RESOURCE_ERRORS = (MemoryError,)
MAX_LAYERS = 40


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
        if any(True for _ in module.children()) or len(self.rows) >= MAX_LAYERS:
            return
        shape = (
            size_text(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        )
        self.rows.append(
            {"name": self.names.get(id(module), ""), "layer": _layer_repr(module), "output": shape}
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
def _hooks(log: LayerLog) -> Any:
    from torch.nn.modules import module as module_mod

    pre = module_mod.register_module_forward_pre_hook(log.pre)
    post = module_mod.register_module_forward_hook(log.post)
    try:
        yield
    finally:
        pre.remove()
        post.remove()


def _phase_context(mode: str) -> contextlib.ExitStack:
    stack = contextlib.ExitStack()
    simcuda.PHASE.fake = mode == "meta"
    if mode == "meta":
        from torch._subclasses.fake_tensor import FakeTensorMode

        stack.enter_context(FakeTensorMode(allow_non_fake_inputs=True))
    stack.enter_context(simcuda.CudaRedirect())
    return stack


def _compile(source: str, first_line: int, filename: str) -> Any:
    return compile("\n" * first_line + source, filename, "exec")


def _error_info(
    error: BaseException, filename: str, culprit: dict[str, Any] | None
) -> dict[str, Any]:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == filename]
    line = frames[-1].lineno if frames else getattr(error, "lineno", None)
    message = str(error).strip()
    if isinstance(error, SystemExit):
        message = f"the program called sys.exit({error.code!r})"
    summary = message.splitlines()[-1] if message else type(error).__name__
    info = {
        "type": type(error).__name__,
        "message": message[:2000],
        "summary": summary[:300],
        "line": line,
    }
    if culprit is not None:
        info["layer"] = culprit
    return info


def run_phase(request: PreviewRequest, mode: str) -> dict[str, Any]:
    """Execute the program once in ``mode`` ("meta" or "real") and describe ``expr``."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    log = LayerLog()
    simcuda.PHASE.used_simulated_gpu = False
    started = time.perf_counter()
    try:
        with _phase_context(mode):
            exec(_compile(request.prelude, 0, request.filename), namespace)
            log.name_modules(namespace)
            with _hooks(log):
                exec(_compile(request.target, request.target_line, request.filename), namespace)
            value = eval(compile(request.expr, "<hover>", "eval"), namespace)
            described = describe(value)
    except BaseException as error:  # noqa: BLE001 - every failure is a result to show
        return {
            "ok": False,
            "mode": mode,
            "error": _error_info(error, request.filename, log.culprit()),
        }
    result: dict[str, Any] = {"ok": True, "mode": mode, "value": described}
    if simcuda.PHASE.used_simulated_gpu:
        result["simulated_gpu"] = True
    if len(log.rows) >= 2:
        result["layers"] = log.rows
    result["run_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def _resource_failure(result: dict[str, Any]) -> bool:
    error = result.get("error", {})
    return error.get("type") in (
        "MemoryError",
        "OutOfMemoryError",
    ) or "DefaultCPUAllocator" in error.get("message", "")


# Failures that real tensors cannot change: rerunning would only repeat side effects.
FINAL_ERRORS = {
    "NameError",
    "UnboundLocalError",
    "SyntaxError",
    "IndentationError",
    "ImportError",
    "ModuleNotFoundError",
    "PermissionError",
    "SystemExit",
    "RecursionError",
}


def run_preview(request: PreviewRequest) -> dict[str, Any]:
    """Shape-only first; fall back to the real CPU when the fake run cannot answer."""
    first = run_phase(request, request.modes[0])
    if first["ok"] or len(request.modes) < 2 or first["error"]["type"] in FINAL_ERRORS:
        return first
    second = run_phase(request, request.modes[1])
    if second["ok"]:
        second["fallback"] = first["error"]["summary"]
        return second
    if _resource_failure(second):
        first["error"]["real_run"] = second["error"]["summary"]
        return first
    return second
