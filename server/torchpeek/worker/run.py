"""Run a preview program: shape-only on fake (meta) tensors first, on the real CPU if needed.

The fake run costs no memory, so ``torch.zeros(100000, 100000) @ x.T`` or a
VGG16 forward answers at once. Code that needs real values (``nonzero``,
boolean masks, ``.item()``, numpy conversion) fails under fake tensors; then the
program runs again on the real CPU, inside the child's resource limits.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import time
import traceback
from typing import TYPE_CHECKING, Any

from . import simcuda
from .describe import describe
from .entry import Unreachable, reach
from .layers import LayerLog, hooks
from .probes import Capture, Captured, OutOfTime, Tracer
from .program import Program
from .protocol import PreviewRequest
from .semantics import Notes, mirror_folder, package_of, preview_semantics
from .trace import Target

if TYPE_CHECKING:
    from .resume import Resumed

RESOURCE_ERRORS = (MemoryError,)
# The hover collapses repeated blocks and cuts long lists with a "… N more" line.
MAX_LAYERS = 400
# Fake tensors cost more per operation than small real ones: a long loop of tiny
# steps gives way to the real CPU after this share of the time limit.
FAKE_SHARE = 0.35
MAX_RECORDED_BYTES = 1 << 20
# A whole-file trace keeps what it recorded when its last run reaches this share
# of the limit (a long training loop), instead of being killed with nothing.
TRACE_SHARE = 0.5


def phase_modes(mode: str) -> list[Any]:
    """The torch modes a run in ``mode`` executes under (thread-local: a resumed run re-enters them)."""
    simcuda.PHASE.fake = mode == "meta"
    modes: list[Any] = []
    if mode == "meta":
        from torch._subclasses.fake_tensor import FakeTensorMode

        modes.append(FakeTensorMode(allow_non_fake_inputs=True))
    modes.append(simcuda.CudaRedirect())
    return modes


def entered(modes: list[Any]) -> contextlib.ExitStack:
    stack = contextlib.ExitStack()
    for mode in modes:
        stack.enter_context(mode)
    return stack


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


class Run:
    """One execution of the document in one mode, stopped at the hovered line."""

    def __init__(
        self, request: PreviewRequest, mode: str, program: Program, resumed: Resumed | None = None
    ) -> None:
        self.request = request
        self.mode = mode
        self.program = program
        self.log = LayerLog()
        self.notes = resumed.notes if resumed else Notes()
        self.mark = 0
        self.resumed = resumed
        self.tracer = Tracer(
            request.filename, program.lines, program.fresh_sites(), _describe_shallow,
            evaluate=self._evaluate, on_mark=self._on_mark, target=program.target,
            base=program.base,
        )  # fmt: skip
        package, root = package_of(request.filename)
        self.paths = (root, *request.sys_path) if root else request.sys_path
        if resumed is not None:
            self.namespace = resumed.namespace
            self.tracer.missing = resumed.missing
            self.tracer.recorded, self.tracer.loops = resumed.recorded, resumed.loops
        else:
            self.namespace = {
                "__name__": "__main__",
                "__file__": request.filename,
                "__package__": package,
                "__builtins__": builtins,
            }
        self.namespace["__torchpeek__"] = self.tracer

    def contexts(self) -> contextlib.ExitStack:
        """The modes and rules the run executes under (a resumed run's rules are in place)."""
        if self.resumed is not None:
            stack = entered(self.resumed.modes)
        else:
            stack = entered(phase_modes(self.mode))
            stack.enter_context(
                preview_semantics(self.request.filename, self.request.sys_path, self.notes)
            )
        stack.enter_context(hooks(self.log))
        return stack

    def _evaluate(self, frame: Any) -> Any:
        return eval(compile(self.request.expr, "<hover>", "eval"), frame.f_globals, frame.f_locals)

    def _on_mark(self, frame: Any) -> None:
        self.log.name_modules(frame.f_globals)
        self.log.name_modules(frame.f_locals)
        self.mark = len(self.log.rows)

    def budget(self, seconds: float | None) -> None:
        """Stop the run with ``OutOfTime`` once ``seconds`` have passed (None: no budget)."""
        self.tracer.deadline = None if seconds is None else time.monotonic() + seconds

    def execute(self) -> dict[str, Any]:
        """Run the file, then (if needed) the entry that reaches the line; describe the answer."""
        error: BaseException | None = None
        how = ""
        with self.contexts():
            try:
                exec(self.program.code, self.namespace)
            except Captured:
                pass
            except OutOfTime:
                return self._out_of_time()
            except BaseException as caught:  # noqa: BLE001 - SystemExit included
                error = caught
            if self.tracer.capture is None and self._needs_entry(error):
                assert self.program.target is not None
                self.tracer.recording = False  # values from an assumed input are not the file's
                try:
                    how = reach(self.namespace, self.program.index(), self.tracer)
                except Unreachable as why:
                    return self._unreachable(str(why), error)
                except OutOfTime:
                    return self._out_of_time()
            return self._answer(error, how)

    def _out_of_time(self) -> dict[str, Any]:
        if self.request.line < 0 and self.mode == self.request.modes[-1]:
            return {**self._trace(None), "stopped": "time"}
        why = "the shape-only run was slower than running on the CPU"
        return {"ok": False, "mode": self.mode, "error": {"type": "OutOfTime", "summary": why}}

    def _needs_entry(self, error: BaseException | None) -> bool:
        target = self.program.target
        return (
            target is not None
            and bool(target.function)
            and (
                error is None
                or isinstance(error, SystemExit)
                or self.program.target_defined(self.namespace)
            )
        )

    def _unreachable(self, why: str, error: BaseException | None) -> dict[str, Any]:
        if error is not None and not isinstance(error, SystemExit):
            return self._failure(error)
        return {
            "ok": False,
            "mode": self.mode,
            "error": {"type": "NotReached", "summary": why, "message": why, "line": None},
        }

    def _failure(self, error: BaseException) -> dict[str, Any]:
        if not self.log.names:
            self.log.name_modules(self.namespace)
        info = _error_info(error, self.request.filename, self.log.culprit())
        return {"ok": False, "mode": self.mode, "error": info}

    def _trace(self, error: BaseException | None) -> dict[str, Any]:
        """A whole-file trace: every line's first values, and where the run failed."""
        result = self._failure(error) if error is not None else {"ok": True, "mode": self.mode}
        if isinstance(error, SystemExit):
            result = {"ok": True, "mode": self.mode}
        result["recorded"] = _bounded(self.tracer.recorded)
        result["recorded_loops"] = {str(k): v for k, v in self.tracer.loops.items()}
        if self.program.blanked:
            result["blanked"] = self.program.blanked
        if simcuda.PHASE.used_simulated_gpu:
            result["simulated_gpu"] = True
        return result

    def _answer(self, error: BaseException | None, how: str) -> dict[str, Any]:
        if self.request.line < 0:
            return self._trace(error)
        capture = self.tracer.capture
        if capture is None and error is not None and self.tracer.tentative is not None:
            result = self._result(self.tracer.tentative, how)
            result["line_error"] = self._failure(error)["error"]
            return result
        if capture is None:
            if self.program.target is not None:
                if error is not None:
                    return self._failure(error)
                why = "the file's run finished without reaching this line"
                return self._unreachable(why, None)
            if error is not None:
                return self._failure(error)
            capture = Capture(value=None)
            try:
                capture.value = eval(compile(self.request.expr, "<hover>", "eval"), self.namespace)
            except Exception as failed:  # noqa: BLE001
                capture.error = failed
        if capture.error is not None:
            return self._failure(capture.error)
        return self._result(capture, how)

    def _result(self, capture: Capture, how: str) -> dict[str, Any]:
        result: dict[str, Any] = {"ok": True, "mode": self.mode, "value": describe(capture.value)}
        target = self.program.target
        if target is not None:
            result["reached"] = _reached(target, capture, how)
        if capture.top_line is not None and not how:
            result["top_line"] = capture.top_line
        if simcuda.PHASE.used_simulated_gpu:
            result["simulated_gpu"] = True
        rows = self.log.rows[self.mark : self.mark + MAX_LAYERS]
        if len(rows) >= 2 and target is not None and target.statement == "after":
            result["layers"] = rows
        for module in self.tracer.missing.modules:
            self.notes.add(f"`{module}` is not installed here: a stand-in absorbs its uses")
        if self.notes.items:
            result["notes"] = self.notes.items
        recorded = self.tracer.recorded
        if self.resumed is not None:  # the held lines come with the version's whole-file trace
            recorded = {k: v for k, v in recorded.items() if k not in self.resumed.held_lines}
        if recorded:
            result["recorded"] = _bounded(recorded)
        result["recorded_loops"] = {str(k): v for k, v in self.tracer.loops.items()}
        return result


def _bounded(recorded: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Recorded values by line, in line order, cut off at ``MAX_RECORDED_BYTES`` of JSON."""
    kept: dict[str, Any] = {}
    size = 0
    for line in sorted(recorded):
        size += len(json.dumps(recorded[line], default=repr))
        if size > MAX_RECORDED_BYTES:
            break
        kept[str(line)] = recorded[line]
    return kept


def _describe_shallow(value: Any) -> dict[str, Any]:
    """Recorded values: no iterating of loaders or datasets (that would run user code)."""
    return describe(value, 2)


def _reached(target: Target, capture: Capture, how: str) -> dict[str, Any]:
    """How the run got to the line: first call via a line of the file, a loop, an entry."""
    reached: dict[str, Any] = {"frame": capture.frame_kind}
    if how:
        reached["entry"] = how
    elif capture.via is not None and capture.frame_kind == "call":
        reached["via_line"], reached["via"] = capture.via
    if target.loop_line is not None:
        reached["loop_line"] = target.loop_line
    return reached


def run_phase(
    request: PreviewRequest, mode: str, program: Program, resumed: Resumed | None = None
) -> dict[str, Any]:
    """Execute the compiled document once in ``mode`` ("meta" or "real") and describe ``expr``.

    ``resumed``: the state a snapshot holds; ``program`` is then the rest of the document.
    """
    if resumed is None:
        simcuda.PHASE.used_simulated_gpu = False
    started = time.perf_counter()
    run = Run(request, mode, program, resumed)
    if mode == "meta" and len(request.modes) > 1:
        run.budget(request.limits.timeout_ms / 1000 * FAKE_SHARE)
    elif request.line < 0:
        run.budget(request.limits.timeout_ms / 1000 * TRACE_SHARE)
    result = run.execute()
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
    "NotReached",
}


def run_preview(request: PreviewRequest) -> dict[str, Any]:
    """Shape-only first; fall back to the real CPU when the fake run cannot answer."""
    try:
        program = Program.build(request)
    except SyntaxError as error:
        return {"ok": False, "mode": "meta", "error": _error_info(error, request.filename, None)}
    mirror_folder(request.cwd)
    if request.line > 0 and program.target is None:
        why = "nothing runs on this line (a blank line, a comment or inside a string)"
        return {
            "ok": False,
            "mode": "meta",
            "error": {"type": "NotReached", "summary": why, "message": why},
        }
    first = run_phase(request, request.modes[0], program)
    if first["ok"] or len(request.modes) < 2 or first["error"]["type"] in FINAL_ERRORS:
        return first
    second = run_phase(request, request.modes[1], program)
    if second["ok"]:
        second["fallback"] = first["error"]["summary"]
        return second
    if _resource_failure(second):
        first["error"]["real_run"] = second["error"]["summary"]
        return first
    return second
