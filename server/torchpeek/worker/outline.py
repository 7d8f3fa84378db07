"""The document's outline for entry inference: its classes, functions and example comments.

``Index`` finds classes, module-level functions, every construction call of a
class and the classes that (through helpers) call a function; ``comment_call``
reads a ``# torchpeek: name(...)`` comment above a ``def`` or ``class``, whose
arguments ``eval_call_args`` evaluates in the module's namespace.
"""

from __future__ import annotations

import ast
import re
from typing import Any

COMMENT = re.compile(r"#\s*torchpeek:\s*(?P<call>.+?)\s*$")


class Unreachable(Exception):
    """Nothing could run the hovered line; the message says why and what to add."""


def comment_call(lines: list[str], node: ast.stmt) -> ast.Call | None:
    """The ``# torchpeek: name(...)`` comment above (or on) a ``def``/``class`` line."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    candidates = [lines[node.lineno - 1]] if node.lineno <= len(lines) else []
    row = first - 2
    while row >= 0 and lines[row].strip().startswith("#"):
        candidates.append(lines[row])
        row -= 1
    for text in candidates:
        match = COMMENT.search(text)
        if match is None:
            continue
        try:
            call = ast.parse(match.group("call"), mode="eval").body
        except SyntaxError as error:
            raise Unreachable(f"the `# torchpeek:` comment is not a call: {error.msg}") from error
        if isinstance(call, ast.Call):
            return call
        raise Unreachable("the `# torchpeek:` comment must be a call such as `forward(x)`")
    return None


def eval_call_args(call: ast.Call, namespace: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Evaluate a call's arguments in the module namespace."""
    holder = ast.Call(ast.Name("__args__", ast.Load()), call.args, call.keywords)
    expression = ast.fix_missing_locations(ast.Expression(holder))
    scope = {**namespace, "__args__": lambda *a, **k: (list(a), k)}
    result: tuple[list[Any], dict[str, Any]] = eval(
        compile(expression, "<torchpeek comment>", "eval"), scope
    )
    return result


class Index:
    """The document's classes and functions, by name, from its syntax tree."""

    def __init__(self, tree: ast.Module, lines: list[str]) -> None:
        self.tree = tree
        self.lines = lines
        self.classes = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
        self.functions = {
            n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }

    def method(self, cls: str, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        node = self.classes.get(cls)
        for item in node.body if node else []:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == name:
                return item
        return None

    def users_of(self, function: str) -> list[str]:
        """Classes whose code calls ``function``, directly or through other functions."""
        callers: set[str] = set()
        names = {function}
        for _ in range(3):  # a few levels of helpers calling helpers, models holding models
            for owner, node in [*self.functions.items(), *self.classes.items()]:
                if owner not in names and calls_any(node, names):
                    names.add(owner)
                    if owner in self.classes:
                        callers.add(owner)
        return sorted(callers, key=lambda c: self.classes[c].lineno)

    def construction_calls(self, name: str) -> list[ast.Call]:
        """Every ``Name(...)`` call in the file, in order."""
        calls = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if called == name:
                    calls.append(node)
        return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def calls_any(node: ast.AST, names: set[str]) -> bool:
    return any(
        isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in names
        for call in ast.walk(node)
    )


def required_args(
    function: ast.FunctionDef | ast.AsyncFunctionDef, skip_self: bool
) -> list[ast.arg]:
    args = [*function.args.posonlyargs, *function.args.args]
    if skip_self and args:
        args = args[1:]
    return args[: len(args) - len(function.args.defaults)]
