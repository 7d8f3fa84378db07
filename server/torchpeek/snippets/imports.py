"""Import planning: which of a snippet's imports a document lacks, and where to insert them.

The server attaches the result of :func:`plan_imports` to a completion item as an additional
text edit. Documents being edited often do not parse, so the header is read with ``ast`` from
the longest prefix that parses, and the rest of the document is scanned line by line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_MAX_REPARSE = 64
_COMMENT_OR_BLANK = re.compile(r"^\s*(#.*)?$")
_TOP_IMPORT = re.compile(r"^(import|from)\s")
_BLOCK_KEYWORDS = re.compile(r"^(try|except\b.*|else|finally)\s*:")


@dataclass(frozen=True)
class ImportPlan:
    """Insert ``text`` at (0-based ``line``, ``character``); ``text`` ends with a newline."""

    line: int
    text: str
    character: int = 0


@dataclass(frozen=True)
class Binding:
    """A name bound by an import statement and what it refers to, e.g. nn -> torch.nn."""

    name: str
    target: str


@dataclass(frozen=True)
class Requirement:
    """One import line a snippet needs, with the bindings it makes."""

    source: str
    bindings: tuple[Binding, ...]
    module: str = ""


def parse_import(line: str) -> ast.Import | ast.ImportFrom | None:
    """``line`` as a single import statement, or None if it is anything else."""
    try:
        tree = ast.parse(line.strip())
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.Import, ast.ImportFrom)):
        return None
    return tree.body[0]


def bindings_of(node: ast.Import | ast.ImportFrom) -> list[Binding]:
    """The names an import statement binds (``import a.b`` binds ``a``; star imports none)."""
    if isinstance(node, ast.Import):
        return [
            Binding(alias.asname, alias.name)
            if alias.asname
            else Binding(alias.name.split(".")[0], alias.name.split(".")[0])
            for alias in node.names
        ]
    module = "." * node.level + (node.module or "")
    return [
        Binding(alias.asname or alias.name, f"{module}.{alias.name}")
        for alias in node.names
        if alias.name != "*"
    ]


def _dotted_modules(node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if not alias.asname}
    return set()


@dataclass
class _Present:
    bindings: set[Binding]
    modules: set[str]

    def add(self, node: ast.Import | ast.ImportFrom) -> None:
        self.bindings.update(bindings_of(node))
        self.modules |= _dotted_modules(node)


def _module_level_imports(body: Iterable[ast.stmt]) -> Iterable[ast.Import | ast.ImportFrom]:
    """Imports at module level, including those inside module-level try statements."""
    for statement in body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement
        elif isinstance(statement, ast.Try):
            handlers = [stmt for handler in statement.handlers for stmt in handler.body]
            nested = [*statement.body, *handlers, *statement.orelse, *statement.finalbody]
            yield from _module_level_imports(nested)


def _parse_prefix(lines: list[str]) -> tuple[ast.Module, int]:
    """The module of the longest leading part of ``lines`` that parses, and its line count."""
    count = len(lines)
    for _ in range(_MAX_REPARSE):
        try:
            return ast.parse("".join(lines[:count])), count
        except SyntaxError as error:
            count = min(count - 1, (error.lineno or 1) - 1)
        except (ValueError, RecursionError, MemoryError):
            count -= 1
        if count <= 0:
            break
    return ast.Module(body=[], type_ignores=[]), 0


def _scan_imports(lines: list[str]) -> Iterable[ast.Import | ast.ImportFrom]:
    """Line-based scan for module-level imports in text that does not parse."""
    in_try = False
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        indented = line[:1] in (" ", "\t")
        if not indented and stripped and not stripped.startswith("#"):
            in_try = bool(_BLOCK_KEYWORDS.match(stripped))
        statement, index = _joined_statement(lines, index)
        if _TOP_IMPORT.match(statement.strip()) and (not indented or in_try):
            node = parse_import(statement)
            if node is not None:
                yield node


def _joined_statement(lines: list[str], index: int) -> tuple[str, int]:
    """The logical line starting at ``index`` (joining parentheses and backslashes)."""
    text = lines[index]
    index += 1
    while (
        index < len(lines)
        and not _TOP_IMPORT.match(lines[index])
        and (text.count("(") > text.count(")") or text.rstrip().endswith("\\"))
    ):
        text += lines[index]
        index += 1
    return text, index


def _present_imports(lines: list[str]) -> tuple[_Present, ast.Module, int]:
    module, parsed = _parse_prefix(lines)
    present = _Present(set(), set())
    for node in _module_level_imports(module.body):
        present.add(node)
    for node in _scan_imports(lines[parsed:]):
        present.add(node)
    return present, module, parsed


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _is_import_block_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(statement, ast.Try):
        return all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in statement.body)
    return False


def _leading_comment_end(lines: list[str], start: int) -> int:
    """First line at or after ``start`` that is not a comment (shebang, encoding, notes)."""
    index = start
    while index < len(lines) and lines[index].lstrip().startswith("#"):
        index += 1
    return index


def _insert_line(module: ast.Module, lines: list[str]) -> int:
    """0-based line after the docstring, ``__future__`` imports and leading import block."""
    end = 0
    body = module.body
    position = 0
    if body and _is_docstring(body[0]):
        end = body[0].end_lineno or 0
        position = 1
    saw_import = False
    while position < len(body) and _is_import_block_statement(body[position]):
        end = body[position].end_lineno or end
        saw_import = True
        position += 1
    if not saw_import and end == 0:
        return _leading_comment_end(lines, 0)
    return end


def requirement_of(line: str) -> Requirement | None:
    """The bindings an import line makes, or None when it is not an import statement."""
    node = parse_import(line)
    if node is None:
        return None
    module = ""
    if isinstance(node, ast.ImportFrom):
        module = "." * node.level + (node.module or "")
    return Requirement(line.strip(), tuple(bindings_of(node)), module)


def _missing_lines(requirement: Requirement, present: _Present) -> list[str]:
    """The import lines still needed for ``requirement`` given what is present."""
    node = parse_import(requirement.source)
    if isinstance(node, ast.ImportFrom) and requirement.bindings:
        module = requirement.module
        names = [
            alias
            for alias in node.names
            if alias.name != "*"
            and Binding(alias.asname or alias.name, f"{module}.{alias.name}")
            not in present.bindings
        ]
        if not names:
            return []
        parts = [f"{a.name} as {a.asname}" if a.asname else a.name for a in names]
        return [f"from {requirement.module} import {', '.join(parts)}"]
    if isinstance(node, ast.Import):
        missing = [a for a in node.names if not _import_present(a, present)]
        return [_import_line(a) for a in missing]
    return [] if requirement.bindings or node is None else [requirement.source]


def _import_present(alias: ast.alias, present: _Present) -> bool:
    if alias.asname:
        return Binding(alias.asname, alias.name) in present.bindings
    root = alias.name.split(".")[0]
    if alias.name != root:
        return alias.name in present.modules
    return Binding(root, root) in present.bindings


def _import_line(alias: ast.alias) -> str:
    return f"import {alias.name} as {alias.asname}" if alias.asname else f"import {alias.name}"


def missing_imports(document_text: str, imports: Sequence[str]) -> list[str]:
    """The import lines of ``imports`` that the document does not already satisfy."""
    lines = document_text.splitlines(keepends=True)
    present, _, _ = _present_imports(lines)
    return _missing_from(present, imports)


def _missing_from(present: _Present, imports: Sequence[str]) -> list[str]:
    needed: list[str] = []
    for source in imports:
        requirement = requirement_of(source)
        if requirement is None:
            continue
        for line in _missing_lines(requirement, present):
            if line not in needed:
                needed.append(line)
        node = parse_import(source)
        if node is not None:
            present.add(node)
    return needed


def plan_imports(document_text: str, imports: Sequence[str]) -> ImportPlan | None:
    """Where and what to insert so the document has ``imports``; None if nothing is missing."""
    lines = document_text.splitlines(keepends=True)
    present, module, _ = _present_imports(lines)
    needed = _missing_from(present, imports)
    if not needed:
        return None
    newline = "\r\n" if "\r\n" in document_text else "\n"
    text = "".join(line + newline for line in needed)
    line = _insert_line(module, lines)
    if line >= len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        last = lines[-1]
        return ImportPlan(len(lines) - 1, newline + text, len(last))
    return ImportPlan(line, text)
