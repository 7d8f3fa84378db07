"""What a hover asks the worker: the document, the hovered line and the expression there.

The whole document runs in the worker (as ``__main__``) and the value is taken
right after the hovered line first runs, in whatever frame runs it. Here the
server only finds the expression under the cursor: a name, an attribute chain
or a subscript (``model[0].weight.grad``). Calls are left to selections, since a
call can have side effects. No parsing of the document and no torch here.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_EXPR = 200


@dataclass(frozen=True)
class PreviewProgram:
    """What the worker runs and shows, with the hovered span (0-based line, columns).

    ``target_line`` is the 1-based line in ``source`` (0: show ``expr`` after
    the whole source has run).
    """

    source: str
    target_line: int
    expr: str
    line: int
    start: int
    end: int


def _skip_space(text: str, index: int) -> int:
    while index >= 0 and text[index] in " \t":
        index -= 1
    return index


def _open_bracket(text: str, close: int) -> int:
    """Index of the ``[`` matching the ``]`` at ``close`` (-1 when unbalanced)."""
    depth = 0
    for index in range(close, -1, -1):
        depth += {"]": 1, "[": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return -1


def _chain_start(text: str, start: int) -> int:
    """Extend a name leftwards over ``.attr`` and ``[...]`` links; -1 if the chain has a call."""
    position = start
    while True:
        index = _skip_space(text, position - 1)
        if index < 0 or text[index] != ".":
            return position
        index = _skip_space(text, index - 1)
        while index >= 0 and text[index] == "]":
            opened = _open_bracket(text, index)
            if opened < 0:
                return position
            index = _skip_space(text, opened - 1)
        if index >= 0 and text[index] == ")":
            return -1
        name = re.search(r"[A-Za-z_][A-Za-z0-9_]*$", text[: index + 1])
        if name is None:
            return position if index >= 0 and text[index] in "'\"" else -1
        if name.start() > 0 and text[name.start() - 1].isdigit():
            return -1
        position = name.start()


def _has_call(expr: str) -> bool:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return True
    return any(isinstance(node, (ast.Call, ast.Await, ast.NamedExpr)) for node in ast.walk(tree))


def hovered_expression(line_text: str, column: int) -> tuple[str, int, int] | None:
    """The expression under ``column`` (``model[0].weight.grad`` when hovering ``grad``) and its span."""
    match = next((m for m in IDENT.finditer(line_text) if m.start() <= column <= m.end()), None)
    if match is None or keyword.iskeyword(match.group(0)):
        return None
    if match.start() > 0 and line_text[match.start() - 1].isdigit():
        return None
    start = _chain_start(line_text, match.start())
    if start < 0:
        return None
    expr = re.sub(r"\s+", "", line_text[start : match.end()])
    if len(expr) > MAX_EXPR or _has_call(expr):
        expr, start = match.group(0), match.start()
        if line_text[: match.start()].rstrip().endswith("."):
            return None
    return expr, start, match.end()


def build_program(
    source: str, line: int, column: int, expr: str | None = None
) -> PreviewProgram | None:
    """The program for a hover at (0-based) ``line``/``column``, or None if nothing to show.

    ``expr`` overrides the hovered name, e.g. with the text of a selection.
    """
    lines = source.splitlines()
    if not 0 <= line < len(lines):
        return None
    found = hovered_expression(lines[line], column)
    if expr is not None:
        found = (expr.strip(), column, column)
    if found is None or not found[0]:
        return None
    text, start, end = found
    return PreviewProgram(source, line + 1, text, line, start, end)
