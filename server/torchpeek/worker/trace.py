"""The tracer: capture a value right after a given line of the document first runs, in any frame.

Instead of a trace function (which would slow every frame of torch too), the
document's syntax tree gets small probe statements before it is compiled:

- one *target* probe at the hovered line. Where it goes depends on the line:
  after an assignment to the hovered name, at the start of the body for a
  ``def`` parameter, a ``for`` target, a ``with ... as`` name or an
  ``except ... as`` name, and before any other statement (so ``return
  self.fc(h)`` shows ``h`` as it is when the line is reached);
- *record* probes after every other assignment, which note the first value of
  each assigned name, so one run can answer later hovers of the same version.

A probe is a call of ``__torchpeek__(site)``; it reads the caller's frame, so it
sees locals, closures and globals exactly as the line does. Once the target
probe has fired the run stops (``Captured``), so the rest of a loop or of the
file never executes. Line numbers are untouched: tracebacks stay exact.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .missing import IMPORTS, tolerant

MAX_RECORDED = 2000
PROBE = "__torchpeek__"
LOOPS = (ast.For, ast.AsyncFor, ast.While)
CONTROL = (
    ast.Return,
    ast.Raise,
    ast.Delete,
    ast.Break,
    ast.Continue,
    ast.Pass,
    ast.Global,
    ast.Nonlocal,
)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


@dataclass
class Site:
    """One probe: where it sits and what it takes (``mark`` notes the start of the target)."""

    line: int
    names: tuple[str, ...] = ()
    target: bool = False
    done: bool = False
    mark: bool = False
    tentative: bool = False
    loop: int | None = None
    entry: bool = False


@dataclass
class Target:
    """Where the hovered value is taken, as found in the syntax tree."""

    line: int
    expr: str
    statement: str = ""
    loop_line: int | None = None
    function: tuple[str, ...] = ()
    params: tuple[str, ...] = ()


def _assigned_names(node: ast.AST) -> list[str]:
    """Plain names bound by an assignment target (``a``, ``a, (b, c)``, ``*rest``)."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for elt in node.elts for n in _assigned_names(elt)]
    if isinstance(node, ast.Starred):
        return _assigned_names(node.value)
    return []


def statement_targets(statement: ast.stmt) -> list[str]:
    """Names an assignment-like statement binds."""
    if isinstance(statement, ast.Assign):
        return [n for t in statement.targets for n in _assigned_names(t)]
    if isinstance(statement, (ast.AugAssign, ast.AnnAssign)) and (
        not isinstance(statement, ast.AnnAssign) or statement.value is not None
    ):
        return _assigned_names(statement.target)
    return []


def _chain_root(node: ast.AST) -> str:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _target_roots(statement: ast.stmt) -> set[str]:
    """Root names of attribute and subscript targets (``self`` in ``self.fc = ...``)."""
    targets: list[ast.AST] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
        targets = [statement.target]
    roots = set()
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store):
                roots.add(_chain_root(node))
    return roots


def _root_name(expr: str) -> str:
    try:
        return _chain_root(ast.parse(expr, mode="eval").body)
    except SyntaxError:
        return ""


def _params(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = function.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return names


def _header_end(statement: ast.stmt) -> int:
    """The last line of a compound statement's header (before its body)."""
    body = getattr(statement, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        return max(statement.lineno, body[0].lineno - 1)
    return statement.end_lineno or statement.lineno


def _probe(site_id: int, line: int) -> ast.stmt:
    call = ast.Call(ast.Name(PROBE, ast.Load()), [ast.Constant(site_id)], [])
    return ast.Expr(call, lineno=line, col_offset=0, end_lineno=line, end_col_offset=0)


def _has_docstring(body: list[ast.stmt]) -> bool:
    first = body[0] if body else None
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


@dataclass
class Instrumenter:
    """Inserts the probes into a parsed module and describes the target."""

    line: int
    expr: str
    sites: list[Site] = field(default_factory=list)
    target: Target | None = None
    scope: list[ast.AST] = field(default_factory=list)
    base: int = 0
    entries: bool = False

    def site(self, line: int, names: tuple[str, ...] = (), target: bool = False) -> int:
        self.sites.append(Site(line, names, target))
        return len(self.sites) - 1

    def _probe(self, index: int, line: int) -> ast.stmt:
        return _probe(self.base + index, line)

    def module(self, tree: ast.Module) -> ast.Module:
        body = self.block(tree.body)
        tree.body = [tolerant(s, PROBE) if isinstance(s, IMPORTS) else s for s in body]
        return tree

    def block(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for statement in body:
            before, after = self.visit(statement)
            out += [*before, statement, *after]
        return out

    def _loop(self) -> int | None:
        """The line of the loop around the current statement, within its function."""
        for outer in reversed(self.scope):
            if isinstance(outer, FUNCTIONS + (ast.ClassDef,)):
                return None
            if isinstance(outer, LOOPS):
                return outer.lineno
        return None

    def _mark_target(self, statement: ast.AST, where: str) -> int:
        loop = self._loop()
        functions = [s for s in self.scope if isinstance(s, FUNCTIONS + (ast.ClassDef,))]
        self.target = Target(
            line=self.line,
            expr=self.expr,
            statement=where,
            loop_line=loop,
            function=tuple(getattr(s, "name", "<lambda>") for s in functions),
        )
        return self.site(self.line, target=True)

    def visit(self, statement: ast.stmt) -> tuple[list[ast.stmt], list[ast.stmt]]:
        """Probes to put before and after ``statement``; recurses into its bodies."""
        first, last = statement.lineno, statement.end_lineno or statement.lineno
        covers = self.target is None and first <= self.line <= last
        if covers and self.line <= _header_end(statement):
            return self._at_header(statement)
        self._recurse_bodies(statement)
        names = tuple(statement_targets(statement))
        if names and len(self.sites) < MAX_RECORDED:
            self.sites.append(Site(last, names, loop=self._loop()))
            return [], [self._probe(len(self.sites) - 1, last)]
        return [], []

    def _handler(self, handler: ast.ExceptHandler) -> list[ast.stmt]:
        if self.target is None and handler.lineno <= self.line < handler.body[0].lineno:
            site = self._mark_target(handler, "except")
            return [self._probe(site, self.line), *self.block(handler.body)]
        return self.block(handler.body)

    def _at_header(self, statement: ast.stmt) -> tuple[list[ast.stmt], list[ast.stmt]]:
        """The hovered line is this statement's header (or the whole simple statement)."""
        root = _root_name(self.expr)
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if root in _params(statement):
                return [], self._enter_body(statement, "def", tuple(_params(statement)))
            return [], [self._probe(self._mark_target(statement, "after"), self.line)]
        bound = _body_bound(statement)
        if bound is not None and root in bound:
            return [], self._enter_body(statement, type(statement).__name__.lower(), ())
        if (
            root in statement_targets(statement)
            or root in _target_roots(statement)
            or isinstance(statement, (ast.Import, ast.ImportFrom, ast.ClassDef))
        ):
            self._recurse_bodies(statement)
            self.sites.append(Site(self.line, mark=True))
            mark = self._probe(len(self.sites) - 1, self.line)
            return [mark], [self._probe(self._mark_target(statement, "after"), self.line)]
        self._recurse_bodies(statement)
        if isinstance(statement, CONTROL) or hasattr(statement, "body"):
            return [self._probe(self._mark_target(statement, "before"), self.line)], []
        # A simple statement that reads the name: taken after it runs (``seen.append(x)``
        # shows the append); the value as the line is reached is kept in case it fails.
        self.sites.append(Site(self.line, tentative=True))
        before = self._probe(len(self.sites) - 1, self.line)
        return [before], [self._probe(self._mark_target(statement, "after-read"), self.line)]

    def _recurse_bodies(self, statement: ast.stmt) -> None:
        """Instrument the statement lists nested in ``statement`` (bodies, handlers, cases)."""
        self.scope.append(statement)
        try:
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(statement, name, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    setattr(statement, name, self.block(inner))
            for handler in getattr(statement, "handlers", []):
                handler.body = self._handler(handler)
            for case in getattr(statement, "cases", []):
                case.body = self.block(case.body)
        finally:
            self.scope.pop()
        if self.entries and isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.sites.append(Site(statement.lineno, entry=True))
            keep = 1 if _has_docstring(statement.body) else 0
            probe = self._probe(len(self.sites) - 1, statement.lineno)
            statement.body[keep:keep] = [probe]

    def _enter_body(
        self, statement: ast.stmt, where: str, params: tuple[str, ...]
    ) -> list[ast.stmt]:
        """Put the target probe first in the body (after a docstring); probe the rest."""
        self.scope.append(statement)
        try:
            site = self._mark_target(statement, where)
        finally:
            self.scope.pop()
        if self.target is not None:
            self.target.params = params
        body: list[ast.stmt] = statement.body  # type: ignore[attr-defined]
        keep = 1 if _has_docstring(body) else 0
        self._recurse_bodies(statement)
        body = statement.body  # type: ignore[attr-defined]
        statement.body = [*body[:keep], self._probe(site, self.line), *body[keep:]]  # type: ignore[attr-defined]
        return []


def _body_bound(statement: ast.stmt) -> list[str] | None:
    """Names a compound statement binds for its body (for targets, ``with ... as``)."""
    if isinstance(statement, (ast.For, ast.AsyncFor)):
        return _assigned_names(statement.target)
    if isinstance(statement, (ast.With, ast.AsyncWith)):
        bound = [item.optional_vars for item in statement.items if item.optional_vars]
        return [n for var in bound for n in _assigned_names(var)]
    return None


def instrument(
    source: str, filename: str, line: int, expr: str, tree: ast.Module | None = None
) -> tuple[Any, list[Site], Target | None]:
    """Compile ``source`` with probes for a hover of ``expr`` at 1-based ``line`` (0: none).

    ``tree`` is ``source`` already parsed, when the caller has it (it is changed in place).
    """
    tree = tree or ast.parse(source, filename)
    instrumenter = instrument_tree(tree, line, expr)
    return compile(tree, filename, "exec"), instrumenter.sites, instrumenter.target


def instrument_tree(
    tree: ast.Module, line: int, expr: str, base: int = 0, entries: bool = False
) -> Instrumenter:
    """Put the probes into ``tree`` in place; the instrumenter holds the sites and target.

    ``base`` offsets the probes' site numbers; ``entries`` adds a probe at the
    start of every function, which notes that the function ran.
    """
    instrumenter = Instrumenter(line, expr, base=base, entries=entries)
    instrumenter.module(tree)
    ast.fix_missing_locations(tree)
    return instrumenter
