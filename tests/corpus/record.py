"""Record what each corpus hover point should show, from a real run of its file (not torchpeek's code).

Run by hand after changing the corpus: ``.venv/bin/python tests/corpus/record.py``.
It writes ``tests/corpus/expected.yaml`` for the files under ``tests/corpus/files``.

Each file runs as ``__main__`` in a fresh interpreter (``sys.argv = [path]``,
its folder as working directory and first on ``sys.path``) under
``sys.settrace``. Only the file's own frames are traced. A point's value is the
hovered expression evaluated at the first ``line`` or ``return`` event of the
same frame after the hovered statement first ran; for a parameter on a ``def``
line, at the first line event of the function's first call.

Points the file's own run never reaches (library-style code) are reached the
way the file documents: a ``# torchpeek: Net(...)`` comment above a class
builds the instance, a ``# torchpeek: forward(...)`` (or ``f(...)``) comment
above a ``def`` gives the call. Without such a comment a method point is an
*assumed* case (the hover must show a shape and say that the input was
assumed) and a plain function with required parameters is *unreachable* (the
hover must say why and how to give an example).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.corpus.points import CORPUS, EXPECTED, Point, file_points

COMMENT = re.compile(r"#\s*torchpeek:\s*(?P<call>.+?)\s*$")
MAX_ITEMS = 8


class Done(BaseException):
    """Every point of the file has its value: stop the run."""


def describe(value: Any) -> dict[str, Any]:
    """What the hover must show for ``value``."""
    import torch

    if isinstance(value, torch.Tensor):
        return {"kind": "tensor", "shape": [int(d) for d in value.shape], "dtype": str(value.dtype)}
    if isinstance(value, torch.nn.Module):
        params = sum(p.numel() for p in value.parameters())
        return {"kind": "module", "class": type(value).__name__, "params": params}
    if isinstance(value, torch.Size):
        return {"kind": "Size", "shape": list(value)}
    if isinstance(value, (bool, int)):
        return {"kind": type(value).__name__, "value": value}
    if isinstance(value, (float, str)):
        return {"kind": type(value).__name__}
    if isinstance(value, (tuple, list)):
        items = [describe(item) for item in value[:MAX_ITEMS]]
        return {"kind": type(value).__name__, "length": len(value), "items": items}
    if isinstance(value, dict):
        return {"kind": type(value).__name__, "length": len(value)}
    return {"kind": "object", "class": type(value).__name__}


# -- where each point is taken -----------------------------------------------------------
def _header_end(node: ast.stmt | ast.excepthandler) -> int:
    body = getattr(node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
        return max(node.lineno, body[0].lineno - 1)
    return node.end_lineno or node.lineno


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    args = node.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    return names | {a.arg for a in (args.vararg, args.kwarg) if a is not None}


def _root(expr: str) -> str:
    node: ast.AST = ast.parse(expr, mode="eval").body
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


class Layout:
    """Per line of a file: the statement that starts there and the defs and loops around it."""

    def __init__(self, source: str) -> None:
        self.statements: dict[int, ast.stmt | ast.excepthandler] = {}
        self.chains: dict[int, tuple[ast.AST, ...]] = {}
        self.tree = ast.parse(source)
        self._walk(self.tree, ())

    def _walk(self, node: ast.AST, chain: tuple[ast.AST, ...]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.stmt, ast.excepthandler)):
                self.statements.setdefault(child.lineno, child)
                self.chains.setdefault(child.lineno, chain)
                self._walk(child, (*chain, child))

    def span(self, line: int) -> tuple[int, int]:
        statement = self.statement(line)
        return statement.lineno, _header_end(statement)

    def statement(self, line: int) -> ast.stmt | ast.excepthandler:
        """The statement starting on ``line``, else the innermost one whose header spans it."""
        if line in self.statements:
            return self.statements[line]
        spanning = [s for s in self.statements.values() if s.lineno < line <= _header_end(s)]
        if not spanning:
            raise ValueError(f"line {line}: a hover marker must sit on a line of a statement")
        return max(spanning, key=lambda s: s.lineno)

    def start(self, line: int) -> int:
        """The line where the statement holding ``line`` starts (where it first runs)."""
        return self.statement(line).lineno

    def def_param(self, point: Point) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        statement = self.statement(point.line)
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        if _root(point.expr) not in _params(statement):
            raise ValueError(f"{point.key}: on a def line only parameters can be hovered")
        return statement

    def enclosing(self, point: Point) -> list[ast.AST]:
        """Classes and defs around the point (a def line counts as inside its function)."""
        chain = [
            n
            for n in self.chains[self.start(point.line)]
            if isinstance(n, (ast.ClassDef, ast.FunctionDef))
        ]
        statement = self.statement(point.line)
        if isinstance(statement, ast.FunctionDef) and self.def_param(point) is not None:
            chain.append(statement)
        return chain

    def in_loop(self, point: Point) -> bool:
        """Whether the point sits in a loop of its own frame (or is the loop's target)."""
        statement = self.statement(point.line)
        if isinstance(statement, ast.For):
            targets = {n.id for n in ast.walk(statement.target) if isinstance(n, ast.Name)}
            if _root(point.expr) in targets:
                return True
        for outer in reversed(self.chains[self.start(point.line)]):
            if isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                return False
            if isinstance(outer, (ast.For, ast.While)):
                return True
        return False


# -- the trace -----------------------------------------------------------------------------
class Recorder:
    """A ``sys.settrace`` hook that takes each point's value in the frame that runs its line."""

    def __init__(
        self,
        path: str,
        points: list[Point],
        layout: Layout,
        describe: Callable[[Any], Any] = describe,
    ) -> None:
        self.path = path
        self.layout = layout
        self.describe = describe
        self.values: dict[str, Any] = {}
        self.pending: dict[FrameType, tuple[tuple[int, int], list[Point]]] = {}
        self.watch(points)

    def watch(self, points: list[Point]) -> None:
        """Take these points (on top of the values already taken) from now on."""
        self.by_line: dict[int, list[Point]] = {}
        self.by_def: dict[tuple[str, int], list[Point]] = {}
        for point in points:
            function = self.layout.def_param(point)
            if function is not None:
                first = min([function.lineno, *(d.lineno for d in function.decorator_list)])
                self.by_def.setdefault((function.name, first), []).append(point)
            else:
                self.by_line.setdefault(self.layout.start(point.line), []).append(point)
        self.total = len(self.values) + len(points)

    def global_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != self.path:
            return None
        key = (frame.f_code.co_name, frame.f_code.co_firstlineno)
        waiting = [p for p in self.by_def.get(key, []) if p.key not in self.values]
        if waiting:
            self.pending[frame] = ((0, 0), waiting)
        return self.local_trace

    def local_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event not in ("line", "return"):
            return self.local_trace
        span, waiting = self.pending.get(frame, ((0, 0), []))
        if waiting and (event == "return" or not span[0] <= frame.f_lineno <= span[1]):
            del self.pending[frame]
            for point in waiting:
                self._take(point, frame)
            if len(self.values) == self.total:
                sys.settrace(None)
                raise Done
        if event == "line" and frame not in self.pending:
            fresh = [p for p in self.by_line.get(frame.f_lineno, []) if p.key not in self.values]
            if fresh:
                self.pending[frame] = (self.layout.span(frame.f_lineno), fresh)
                for point in fresh:  # a point is taken the first time its line runs, only
                    self.by_line[frame.f_lineno].remove(point)
        return self.local_trace

    def _take(self, point: Point, frame: FrameType) -> None:
        try:
            value = eval(point.expr, frame.f_globals, frame.f_locals)  # noqa: S307 - our own corpus
        except Exception as error:  # noqa: BLE001 - recorded, and the point then fails loudly
            self.values[point.key] = {"kind": "error", "error": f"{type(error).__name__}: {error}"}
            return
        self.values[point.key] = self.describe(value)


def _comment(lines: list[str], node: ast.ClassDef | ast.FunctionDef) -> str | None:
    """The ``# torchpeek:`` call on the line(s) just above a class or def."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    row = first - 2
    while row >= 0 and lines[row].strip().startswith("#"):
        match = COMMENT.search(lines[row])
        if match:
            return match.group("call")
        row -= 1
    return None


def _call_args(call: str, namespace: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    node = ast.parse(call, mode="eval").body
    assert isinstance(node, ast.Call), call
    collect = ast.Call(ast.Name("__collect__", ast.Load()), node.args, node.keywords)
    expression = ast.fix_missing_locations(ast.Expression(collect))
    scope = {**namespace, "__collect__": lambda *a, **k: (list(a), k)}
    return eval(compile(expression, "<comment>", "eval"), scope)  # noqa: S307


def _constructed(tree: ast.AST, name: str) -> bool:
    """Whether the file calls ``name(...)`` anywhere."""
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
        for n in ast.walk(tree)
    )


def _needs_arguments(cls: ast.ClassDef) -> bool:
    """Whether the class's own ``__init__`` has parameters without defaults."""
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            args = [*item.args.posonlyargs, *item.args.args][1:]
            return len(args) > len(item.args.defaults)
    return False


def _how_documented(
    chain: list[ast.AST], lines: list[str], tree: ast.AST
) -> tuple[str, str | None, str | None]:
    """How the hover must reach an uncalled point: (how, class call, def call).

    "comment" and "defaults" are exact (the comments' calls, or ``Class()`` for
    ``__init__``); "assumed" needs an inferred input; "unreachable" has nothing.
    """
    if len(chain) == 1 and isinstance(chain[0], ast.FunctionDef):
        call = _comment(lines, chain[0])
        return ("comment", None, call) if call else ("unreachable", None, None)
    if len(chain) < 2 or not isinstance(chain[0], ast.ClassDef):
        return "unreachable", None, None
    cls, method = chain[0], chain[1]
    assert isinstance(method, ast.FunctionDef)
    built = _comment(lines, cls)
    called = None if method.name == "__init__" else _comment(lines, method)
    if built and (method.name == "__init__" or called):
        return "comment", built, called
    if built is None and _needs_arguments(cls) and not _constructed(tree, cls.name):
        return "unreachable", None, None
    if built is None and method.name == "__init__" and not _needs_arguments(cls):
        return "defaults", f"{cls.name}()", None
    return "assumed", None, None


def _called_name(call: str) -> str:
    node = ast.parse(call, mode="eval").body
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), call
    return node.func.id


def _call_documented(built: str | None, called: str | None, namespace: dict[str, Any]) -> None:
    """Build the instance the class comment names, then make the call the def comment names."""
    instance: Any = None
    if built is not None:
        args, kwargs = _call_args(built, namespace)
        instance = namespace[_called_name(built)](*args, **kwargs)
    if called is not None:
        args, kwargs = _call_args(called, namespace)
        name = _called_name(called)
        if instance is None:
            function = namespace[name]
        else:
            function = instance if name == "forward" else getattr(instance, name)
        function(*args, **kwargs)


def _reach_documented(
    recorder: Recorder, points: list[Point], namespace: dict[str, Any], lines: list[str]
) -> dict[str, str]:
    """Call what the file's comments say, for points its run did not reach; returns how each was reached."""
    how: dict[str, str] = {}
    for point in points:
        if point.key in recorder.values:
            how[point.key] = "run"
            continue
        chain = recorder.layout.enclosing(point)
        kind, built, called = _how_documented(chain, lines, recorder.layout.tree)
        how[point.key] = kind
        if kind not in ("comment", "defaults"):
            continue
        recorder.watch([point])
        sys.settrace(recorder.global_trace)
        try:
            _call_documented(built, called, namespace)
        except Done:
            pass
        finally:
            sys.settrace(None)
    return how


def record_file(path: Path) -> dict[str, Any]:
    """Run one corpus file and take its points; called in a fresh interpreter."""
    points = file_points(path)
    source = path.read_text(encoding="utf-8")
    layout = Layout(source)
    filename = str(path)
    recorder = Recorder(filename, points, layout)
    os.chdir(path.parent)
    sys.path.insert(0, str(path.parent))
    sys.argv = [filename]
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": filename}
    code = compile(source, filename, "exec")
    sys.settrace(recorder.global_trace)
    try:
        exec(code, namespace)  # noqa: S102 - running the corpus file is the point
    except Done:
        pass
    finally:
        sys.settrace(None)
    how = _reach_documented(recorder, points, namespace, source.splitlines())
    rows = {}
    for point in points:
        row: dict[str, Any] = {"how": how[point.key], "loop": layout.in_loop(point)}
        row["scope"] = "function" if layout.enclosing(point) else "module"
        if point.key in recorder.values:
            row["expect"] = recorder.values[point.key]
        rows[point.key] = row
    return rows


def main() -> None:
    import yaml

    from tests.corpus.points import corpus_files

    cases = []
    for path in corpus_files():
        found = subprocess.run(
            [sys.executable, __file__, "--one", str(path)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        rows = json.loads(found.stdout.strip().splitlines()[-1])
        for point in file_points(path):
            row = rows[point.key]
            case = {"file": point.file, "line": point.line, "expr": point.expr, **row}
            cases.append(case)
        print(f"{path.relative_to(CORPUS)}: {len(rows)} points", file=sys.stderr)
    header = (
        "# Written by tests/corpus/record.py from real runs of the corpus files; do not edit.\n"
    )
    EXPECTED.write_text(
        header + yaml.safe_dump({"points": cases}, sort_keys=False, width=100), encoding="utf-8"
    )
    print(f"{len(cases)} points -> {EXPECTED}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        target = Path(sys.argv[2]).resolve()
        result = record_file(target)
        sys.stdout.write("\n" + json.dumps(result) + "\n")
    else:
        main()
