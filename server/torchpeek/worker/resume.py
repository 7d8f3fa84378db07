"""Resume a preview from a snapshot: run only the statements after the ones a holder ran.

A holder (``holder.py``) ran the document's first ``k`` top-level statements
and waits. For a hover it forks; the child lands here with the request and an
alignment of the two versions. The child checks that the held state is what
running the new version's first ``k`` statements would give, gives the held
functions the new version's code (with this hover's probes), and runs the
rest of the document. Anything that does not line up is a ``Mismatch``; the
worker then runs the whole document as usual.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from types import CodeType, FunctionType
from typing import Any

from .layout import (
    Layout,
    Statement,
    bodies,
    code_keys,
    compile_part,
    flat_body,
    flat_instrumented,
    functions_in,
    parse_statement,
    skeleton,
)
from .missing import StandIns
from .program import Program, repair
from .protocol import PreviewRequest
from .semantics import Notes
from .trace import instrument_tree

# Site numbers of a resumed run start here, so probes compiled into the held
# functions by the holder's own run (still running in a generator, say) are ignored.
RESUME_BASE = 1_000_000

Key = tuple[int, int]


class Mismatch(Exception):
    """The snapshot cannot stand for the new version's first statements."""


@dataclass
class Held:
    """What a holder keeps after running its statements (inherited by each forked child)."""

    request: PreviewRequest
    mode: str
    layout: Layout
    count: int
    namespace: dict[str, Any]
    notes: Notes
    missing: StandIns
    modes: list[Any]
    recorded: dict[int, dict[str, Any]]
    loops: dict[int, int]
    functions: dict[Key, list[FunctionType]] = field(default_factory=dict)
    entered: set[Key] = field(default_factory=set)
    entered_spans: list[tuple[int, int]] = field(default_factory=list)
    grad: bool = True
    # The open contexts of the held run (the preview rules): collecting them would undo them.
    contexts: Any = None

    @property
    def end_line(self) -> int:
        return self.layout.statements[self.count - 1].last


@dataclass
class Resumed:
    """The held state as a resumed run sees it (line numbers of the new version)."""

    namespace: dict[str, Any]
    notes: Notes
    missing: StandIns
    modes: list[Any]
    recorded: dict[int, dict[str, Any]]
    loops: dict[int, int]
    held_lines: set[int] = field(default_factory=set)  # lines the holder recorded


@dataclass
class Alignment:
    """How the new version's lines relate to the held version's.

    ``changed`` is the held version's changed lines (first, last; last < first
    for an insertion); lines after them moved by ``delta``. None: the first
    ``k`` statements are unchanged text.
    """

    delta: int = 0
    changed: tuple[int, int] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alignment:
        changed = data.get("changed")
        return cls(int(data.get("delta", 0)), (changed[0], changed[1]) if changed else None)

    def line(self, old: int) -> int | None:
        """The new number of held line ``old`` (None inside the changed lines)."""
        if self.changed is None or old < self.changed[0]:
            return old
        if old > self.changed[1]:
            return old + self.delta
        return None


class Plan:
    """The new version's statements against the held ones: what to swap, what to run."""

    def __init__(self, request: PreviewRequest, alignment: Alignment, held: Held) -> None:
        self.request = request
        self.alignment = alignment
        self.held = held
        self.lines = request.source.splitlines()
        self.changed_index = self._changed_statement()
        self.spans = [self._span(i, s) for i, s in enumerate(held.layout.statements[: held.count])]
        self.end = self.spans[-1][1]
        self.kept = self._kept()

    def _kept(self) -> list[int]:
        """Held statements whose functions get new code: all for a whole-file trace (so
        every line records its values), else the changed one and the hovered one."""
        held = self.held.layout.statements[: self.held.count]
        if self.request.line < 0:
            return [i for i, statement in enumerate(held) if statement.functions]
        wanted = {self.changed_index}
        line = self.request.line
        wanted |= {i for i, (first, last) in enumerate(self.spans) if first <= line <= last}
        return sorted(i for i in wanted if i is not None and held[i].functions)

    def _changed_statement(self) -> int | None:
        changed = self.alignment.changed
        if changed is None:
            return None
        first, last = changed
        for index, statement in enumerate(self.held.layout.statements[: self.held.count]):
            if statement.first <= first and max(first - 1, last) <= statement.last:
                if not statement.functions:
                    raise Mismatch("a statement above the line changed")
                return index
        raise Mismatch("the change is not inside one function of the held statements")

    def _span(self, index: int, statement: Statement) -> tuple[int, int]:
        if index == self.changed_index:
            return statement.first, statement.last + self.alignment.delta
        first, last = self.alignment.line(statement.first), self.alignment.line(statement.last)
        assert first is not None and last is not None
        return first, last

    def sparse_source(self) -> str:
        """The new version with the held statements blanked, except those holding functions."""
        keep = [False] * len(self.lines)
        for index in self.kept:
            first, last = self.spans[index]
            keep[first - 1 : last] = [True] * (last - first + 1)
        for guard in self._open_guards():
            keep[guard - 1] = True
        rows = [
            text if row >= self.end or keep[row] else ""
            for row, text in enumerate(self.lines)
        ]  # fmt: skip
        return "\n".join(rows) + "\n"

    def _open_guards(self) -> set[int]:
        """Header lines of ``__main__`` blocks that still hold kept or remaining statements."""
        statements = self.held.layout.statements
        guards = {statements[i].guard for i in self.kept if statements[i].guard}
        last = statements[self.held.count - 1]
        if last.guard and self._continues_indented():
            guards.add(last.guard)
        mapped = {self.alignment.line(g) for g in guards if g}
        return {g for g in mapped if g is not None}

    def _continues_indented(self) -> bool:
        for text in self.lines[self.end :]:
            stripped = text.strip()
            if stripped and not stripped.startswith("#"):
                return text[0].isspace()
        return False

    def check(self, flat: list[tuple[ast.stmt, int | None]]) -> dict[int, ast.stmt]:
        """Kept statements of the new tree by held index; raises ``Mismatch``."""
        by_span = {self.spans[i]: i for i in self.kept}
        kept: dict[int, ast.stmt] = {}
        for node, _ in flat:
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            last = node.end_lineno or node.lineno
            if first > self.end:
                continue
            index = by_span.get((first, last))
            if index is None or last > self.end:
                raise Mismatch("the statements above the line are not the held ones")
            kept[index] = node
        if self.changed_index is not None:
            self._check_changed(kept.get(self.changed_index))
        return kept

    def _check_changed(self, node: ast.stmt | None) -> None:
        statement = self.held.layout.statements[self.changed_index or 0]
        held_lines = self.held.request.source.splitlines()
        old = parse_statement(held_lines, statement.first, statement.last, bool(statement.guard))
        if node is None or old is None or skeleton(old) != skeleton(node):
            raise Mismatch("a statement above the line changed outside function bodies")
        for number, (before, after) in enumerate(zip(bodies(old), bodies(node), strict=True)):
            if before != after and (self.changed_index, number) in self.held.entered:
                raise Mismatch("a function that already ran was changed")

    def check_target(self, kept: dict[int, ast.stmt]) -> None:
        """A hovered line among the held statements must be in functions that never ran."""
        line = self.request.line
        if line > self.end or line <= 0:
            return
        for index, node in kept.items():
            first, last = self.spans[index]
            if first <= line <= last:
                chain = [
                    (index, number)
                    for number, function in enumerate(functions_in(node))
                    if function.lineno <= line <= (function.end_lineno or function.lineno)
                ]
                if chain and not any(key in self.held.entered for key in chain):
                    return
        raise Mismatch("the hovered line already ran in the held statements")


def swap_codes(codes: dict[CodeType, Key], held: Held) -> None:
    """Give the held functions the new version's code objects."""
    for code, key in codes.items():
        for function in held.functions.get(key, []):
            if function.__code__.co_freevars != code.co_freevars:
                raise Mismatch(f"function {code.co_name} changed its closure")
            function.__code__ = code


def prepare(
    request: PreviewRequest, alignment: Alignment, held: Held
) -> tuple[Program, Resumed, int]:
    """The rest of the document as a program, the state it continues from, the last held line."""
    plan = Plan(request, alignment, held)
    source, tree, blanked = repair(plan.sparse_source(), request.line, request.filename)
    kept = plan.check(flat_body(tree))
    plan.check_target(kept)
    instrumenter = instrument_tree(tree, request.line, request.expr, base=RESUME_BASE)
    flat = flat_instrumented(tree)
    head = [node for node in flat if node.lineno <= plan.end]
    rest = [node for node in flat if node.lineno > plan.end]
    codes = code_keys(compile_part(head, request.filename), sorted(kept.items()))
    swap_codes(codes, held)
    program = Program(
        compile_part(rest, request.filename), instrumenter.sites, instrumenter.target,
        request.source.splitlines(), request.source, blanked, base=RESUME_BASE,
    )  # fmt: skip
    recorded = {}
    for line, row in held.recorded.items():
        new = alignment.line(line)
        if new is not None:
            recorded[new] = dict(row)
    loops = {}
    for line, loop in held.loops.items():
        new, new_loop = alignment.line(line), alignment.line(loop)
        if new is not None and new_loop is not None:
            loops[new] = new_loop
    resumed = Resumed(held.namespace, held.notes, held.missing, held.modes, recorded, loops)
    resumed.held_lines = set(recorded)
    return program, resumed, plan.end


def resume_preview(request: PreviewRequest, snapshot: dict[str, Any], held: Held) -> dict[str, Any]:
    """Answer ``request`` from the held state; ``{"mismatch": why}`` when it cannot."""
    import torch

    from .run import FINAL_ERRORS, run_phase

    try:
        program, resumed, end = prepare(request, Alignment.from_json(snapshot), held)
    except Mismatch as why:
        return {"ok": False, "mismatch": str(why)}
    except SyntaxError as error:  # the whole run reports it, with its own repairs
        return {"ok": False, "mismatch": f"does not parse: {error}"}
    if request.line > 0 and program.target is None:
        return {"ok": False, "mismatch": "nothing runs on the line"}
    torch.set_grad_enabled(held.grad)
    result = run_phase(request, held.mode, program, resumed)
    result["resumed"] = {"statements": held.count, "line": end}
    if (
        not result["ok"]
        and held.mode == "meta"
        and len(request.modes) > 1
        and result["error"]["type"] not in FINAL_ERRORS
    ):
        result["retry_real"] = True
    return result
