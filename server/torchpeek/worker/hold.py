"""A snapshot holder's own run: the document's first statements, and what resuming needs of them.

Runs inside the confined holder process (``holder.py``), in its main thread.
The statements run with record probes (their values answer later hovers) and
an entry probe in every function, so a resumed run knows which functions
already ran. Afterwards every function object of the document is found and
filed by (statement, function) so a resumed run can give it new code.
"""

from __future__ import annotations

import ast
import gc
import os
from types import CodeType, FunctionType
from typing import Any

import torch

from . import simcuda
from .layout import (
    Layout,
    code_keys,
    compile_part,
    first_line,
    flat_body,
    flat_instrumented,
    functions_in,
)
from .program import Program, repair
from .protocol import PreviewRequest
from .resume import Held, Key
from .run import FAKE_SHARE, Run, entered, phase_modes
from .semantics import mirror_folder, preview_semantics
from .trace import instrument_tree

# A holder whose statements need more than this share of the preview limit is not kept.
HOLD_SHARE = 0.9


class NothingToHold(Exception):
    """No statement ends before the requested line."""


def hold(request: PreviewRequest, stop_line: int) -> Held:
    """Run the statements of ``request.source`` that end before ``stop_line``; keep the state."""
    source, tree, blanked = repair(request.source, stop_line, request.filename)
    layout = Layout.of(tree)
    count = layout.count_before(stop_line)
    if count == 0:
        raise NothingToHold("no statement ends before the line")
    nodes = [node for node, _ in flat_body(tree)][:count]
    instrumenter = instrument_tree(tree, 0, "", entries=True)
    end = layout.statements[count - 1].last
    code = compile_part([n for n in flat_instrumented(tree) if n.lineno <= end], request.filename)
    program = Program(code, instrumenter.sites, None, source.splitlines(), source, blanked)
    mirror_folder(request.cwd)
    simcuda.PHASE.used_simulated_gpu = False
    simcuda.install(request.gpu, real_gpu=bool(torch.cuda.is_available()))
    mode = request.modes[0]
    run = Run(request, mode, program)
    share = FAKE_SHARE if mode == "meta" and len(request.modes) > 1 else HOLD_SHARE
    run.budget(request.limits.timeout_ms / 1000 * share)
    _ignore_fork_handlers()
    modes = phase_modes(mode)
    stack = entered(modes)  # left open: the children continue inside these modes
    stack.enter_context(preview_semantics(request.filename, request.sys_path, run.notes))
    exec(code, run.namespace)
    run.tracer.deadline = None
    keys = code_keys(code, list(enumerate(nodes)))
    ran = {keys[c] for c in run.tracer.entered if c in keys}
    return Held(
        request=request,
        mode=mode,
        layout=layout,
        count=count,
        namespace=run.namespace,
        notes=run.notes,
        missing=run.tracer.missing,
        modes=modes,
        recorded=run.tracer.recorded,
        loops=run.tracer.loops,
        functions=_functions(keys),
        entered=ran,
        entered_spans=[_span(functions_in(nodes[i])[n]) for i, n in sorted(ran)],
        grad=torch.is_grad_enabled(),
        contexts=stack,
    )


def _span(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
    return first_line(function), function.end_lineno or function.lineno


def _ignore_fork_handlers() -> None:
    """Fork handlers registered by the statements would run on the forking thread: none are kept.

    A script run for real never forks between its statements, so ignoring
    them changes nothing it could see.
    """
    import posix

    def ignored(*args: Any, **kwargs: Any) -> None:
        return None

    os.register_at_fork = posix.register_at_fork = ignored


def _functions(keys: dict[CodeType, Key]) -> dict[Key, list[FunctionType]]:
    """The live function objects of the document's code, by (statement, function)."""
    found: dict[Key, list[FunctionType]] = {}
    for obj in gc.get_objects():
        if type(obj) is FunctionType:
            key = keys.get(obj.__code__)
            if key is not None:
                found.setdefault(key, []).append(obj)
    return found
