"""Cut a Python document down to a preview program for one hover position.

The program is the document's top-level statements up to and including the
one under the cursor; the hovered name (or dotted expression) is evaluated
after it. Later statements, even broken ones, are never run. No torch here.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DOTTED_BEFORE = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*\s*\.\s*)*$")
MAX_REPARSE = 8


@dataclass(frozen=True)
class PreviewProgram:
    """What the worker runs and shows, with the hovered span (0-based line, columns)."""

    prelude: str
    target: str
    target_line: int
    expr: str
    line: int
    start: int
    end: int


def hovered_expression(line_text: str, column: int) -> tuple[str, int, int] | None:
    """The dotted name under ``column`` (``x.shape`` when hovering ``shape``) and its span."""
    match = next((m for m in IDENT.finditer(line_text) if m.start() <= column <= m.end()), None)
    if match is None or keyword.iskeyword(match.group(0)):
        return None
    before = line_text[: match.start()]
    if before[-1:].isdigit():
        return None
    chain = DOTTED_BEFORE.search(before)
    head = chain.group(0) if chain else ""
    rest = before[: len(before) - len(head)].rstrip()
    if (not head and before.rstrip().endswith(".")) or rest.endswith("."):
        return None
    return head.replace(" ", "") + match.group(0), match.start() - len(head), match.end()


def _parse_prefix(lines: list[str], need: int) -> ast.Module | None:
    """Parse as much of the document as parses, always covering line index ``need``."""
    end = len(lines)
    for _ in range(MAX_REPARSE):
        try:
            return ast.parse("".join(lines[:end]))
        except SyntaxError as error:
            bad = (error.lineno or end) - 1
            if bad <= need:
                return None
            end = bad
    return None


def _statement_at(module: ast.Module, line: int) -> ast.stmt | None:
    for statement in module.body:
        last = statement.end_lineno or statement.lineno
        if statement.lineno - 1 <= line <= last - 1:
            return statement
    return None


def _inside_body(statement: ast.stmt, line: int) -> bool:
    """Hovering a name inside a def or class body: its locals don't exist at top level."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return line > statement.lineno - 1
    return False


def build_program(
    source: str, line: int, column: int, expr: str | None = None
) -> PreviewProgram | None:
    """The program for a hover at (0-based) ``line``/``column``, or None if nothing to show.

    ``expr`` overrides the hovered name, e.g. with the text of a selection.
    """
    lines = source.splitlines(keepends=True)
    if line >= len(lines):
        return None
    found = hovered_expression(lines[line].rstrip("\r\n"), column)
    if expr is not None:
        found = (expr, column, column)
    if found is None:
        return None
    module = _parse_prefix(lines, line)
    statement = _statement_at(module, line) if module else None
    if statement is None or isinstance(statement, (ast.Import, ast.ImportFrom)):
        return None
    if _inside_body(statement, line):
        return None
    first, last = statement.lineno - 1, (statement.end_lineno or statement.lineno)
    expr, start, end = found
    return PreviewProgram(
        prelude="".join(lines[:first]),
        target="".join(lines[first:last]),
        target_line=first,
        expr=expr,
        line=line,
        start=start,
        end=end,
    )
