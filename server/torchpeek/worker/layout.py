"""The document as a list of top-level statements: what a snapshot can stop after.

A snapshot holds the state after the first ``k`` top-level statements. The
body of an ``if __name__ == "__main__":`` block (with no ``else``) counts as
top-level too: a preview always runs as ``__main__``, so the block always
runs, and a model file builds its model and calls it there.

Two versions of a statement are *alike* when they differ only inside the
bodies of functions: running either defines the same names, and the new
bodies can be swapped in afterwards (see ``code_keys``), as long as the
changed functions never ran.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` with no ``else``."""
    if not isinstance(node, ast.If) or node.orelse:
        return False
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    constants = [s.value for s in sides if isinstance(s, ast.Constant)]
    return isinstance(test.ops[0], ast.Eq) and names == ["__name__"] and constants == ["__main__"]


def first_line(node: ast.stmt) -> int:
    """A statement's first line, decorators included (as ``co_firstlineno`` counts it)."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def flat_body(tree: ast.Module) -> list[tuple[ast.stmt, int | None]]:
    """Top-level statements, ``__main__`` blocks opened: (statement, header line of its block)."""
    flat: list[tuple[ast.stmt, int | None]] = []
    for node in tree.body:
        if is_main_guard(node):
            flat += [(inner, node.lineno) for inner in node.body]  # type: ignore[attr-defined]
        else:
            flat.append((node, None))
    return flat


def functions_in(node: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Function definitions inside ``node`` (itself included), in a fixed order."""
    return [n for n in ast.walk(node) if isinstance(n, FUNCTION_DEFS)]


def skeleton(node: ast.stmt) -> str:
    """The statement with every function body left out, without positions."""
    saved = [(function, function.body) for function in functions_in(node)]
    for function, _ in saved:
        function.body = []
    try:
        return ast.dump(node, include_attributes=False)
    finally:
        for function, body in saved:
            function.body = body


def parse_statement(lines: list[str], first: int, last: int, guarded: bool) -> ast.stmt | None:
    """The single statement on 1-based lines ``first..last`` (inside a block if ``guarded``)."""
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines[first - 1 : last])
    try:
        tree = ast.parse("if True:\n" + text if guarded else text)
    except SyntaxError:
        return None
    body: list[ast.stmt] = tree.body[0].body if guarded else tree.body  # type: ignore[attr-defined]
    return body[0] if len(tree.body) == 1 and len(body) == 1 else None


def bodies(node: ast.stmt) -> list[str]:
    """Each function's body (in ``functions_in`` order), without positions."""
    return [
        ast.dump(ast.Module(body=f.body, type_ignores=[]), include_attributes=False)
        for f in functions_in(node)
    ]


@dataclass
class Statement:
    """One top-level statement: its lines, the ``__main__`` block it sits in, its functions."""

    first: int
    last: int
    guard: int | None = None
    functions: int = 0


@dataclass
class Layout:
    """The statements of one version of the document."""

    statements: list[Statement] = field(default_factory=list)

    @classmethod
    def of(cls, tree: ast.Module) -> Layout:
        return cls(
            [
                Statement(
                    first_line(node), node.end_lineno or node.lineno, guard, len(functions_in(node))
                )  # fmt: skip
                for node, guard in flat_body(tree)
            ]
        )

    def count_before(self, line: int) -> int:
        """How many statements end before ``line``."""
        count = 0
        for statement in self.statements:
            if statement.last >= line:
                break
            count += 1
        return count

    def index_at(self, line: int) -> int | None:
        """The statement holding ``line``, if any."""
        for index, statement in enumerate(self.statements):
            if statement.first <= line <= statement.last:
                return index
        return None

    def to_json(self, count: int) -> list[list[Any]]:
        return [[s.first, s.last, s.guard, s.functions] for s in self.statements[:count]]


def code_keys(
    code: CodeType, statements: list[tuple[int, ast.stmt]]
) -> dict[CodeType, tuple[int, int]]:
    """Every function's code object in ``code`` → (statement index, function index).

    ``statements`` are the (index, statement) pairs the code was compiled from;
    code objects and definitions meet on (first line, name).
    """
    by_position: dict[tuple[int, str], tuple[int, int]] = {}
    for index, node in statements:
        for number, function in enumerate(functions_in(node)):
            by_position[(first_line(function), function.name)] = (index, number)
    keys: dict[CodeType, tuple[int, int]] = {}
    for inner in nested_codes(code):
        key = by_position.get((inner.co_firstlineno, inner.co_name))
        if key is not None:
            keys[inner] = key
    return keys


def flat_instrumented(tree: ast.Module) -> list[ast.stmt]:
    """An instrumented module's statements and probes, ``__main__`` blocks opened."""
    flat: list[ast.stmt] = []
    for node in tree.body:
        flat += node.body if is_main_guard(node) else [node]  # type: ignore[attr-defined]
    return flat


def compile_part(body: list[ast.stmt], filename: str) -> CodeType:
    return compile(ast.Module(body=body, type_ignores=[]), filename, "exec")


def nested_codes(code: CodeType) -> Iterator[CodeType]:
    """Code objects nested in ``code`` (functions, classes, comprehensions), depth first."""
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield const
            yield from nested_codes(const)
