"""Import planning: which of a snippet's imports a document lacks, and where to insert them.

The server attaches the result of :func:`plan_imports` to a completion item as an additional
text edit. Documents being edited often do not parse, and completion must stay cheap on large
files, so nothing here parses the document: :func:`scan_imports` finds the import lines with one
regular expression (parsing only those lines) and reads the header (docstring, ``__future__``,
the leading import block) line by line. The server keeps one scan per document version.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_COMMENT_OR_BLANK = re.compile(r"^\s*(#.*)?$")
_TOP_IMPORT = re.compile(r"^(import|from)\s")
_IMPORT_LINE = re.compile(r"^([ \t]*)(?:import|from)[ \t]", re.MULTILINE)
_BLOCK_KEYWORDS = re.compile(r"^(try|except\b.*|else|finally)\s*:")
_DOCSTRING_START = re.compile(r"""^[rRuUbBfF]{0,2}(\"\"\"|'\'\'|"|')""")


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


@lru_cache(maxsize=4096)
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

    def copy(self) -> _Present:
        return _Present(set(self.bindings), set(self.modules))


def _statement_at(text: str, start: int) -> str:
    """The logical line at offset ``start``: to the line end, or past parentheses and ``\\``."""
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    statement = text[start:end]
    while end < len(text) and (
        statement.count("(") > statement.count(")") or statement.rstrip().endswith("\\")
    ):
        following = text.find("\n", end + 1)
        following = len(text) if following < 0 else following
        statement += text[end:following]
        end = following
    return statement


def _enclosing_header(text: str, start: int) -> str:
    """The nearest line above offset ``start`` that begins at column 0 (comments skipped)."""
    end = start
    while end > 0:
        begin = text.rfind("\n", 0, end - 1) + 1
        line = text[begin:end]
        if line[:1] not in (" ", "\t", "\n", "\r", "#", ""):
            return line.strip()
        end = begin
    return ""


def _present_imports(text: str) -> _Present:
    """Module-level imports, and those in module-level try/except blocks, by a line scan.

    One regular expression finds the lines that start with ``import``/``from``; only those
    are parsed (one short line each), so the cost grows with the imports, not the document.
    """
    present = _Present(set(), set())
    for match in _IMPORT_LINE.finditer(text):
        indented = match.group(1) != ""
        if indented and not _BLOCK_KEYWORDS.match(_enclosing_header(text, match.start())):
            continue
        node = parse_import(_statement_at(text, match.start()))
        if node is not None:
            present.add(node)
    return present


def _string_start(line: str) -> str | None:
    """The quote that opens a string statement on ``line`` (a docstring), if it is one."""
    match = _DOCSTRING_START.match(line)
    return match.group(1) if match else None


def _docstring_end(lines: list[str], index: int, quote: str) -> int:
    """The index of the line after a docstring opening on ``lines[index]``."""
    first = lines[index]
    after = first[first.index(quote) + len(quote) :]
    if len(quote) == 1 or quote in after:
        return index + 1
    for end in range(index + 1, len(lines)):
        if quote in lines[end]:
            return end + 1
    return len(lines)


def _skip_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and _COMMENT_OR_BLANK.match(lines[index]):
        index += 1
    return index


def _block_end(lines: list[str], index: int) -> tuple[int, bool]:
    """End of a module-level ``try`` compound at ``index``, and whether its body is only imports."""
    only_imports, in_body, depth = True, True, 0
    end = position = index + 1
    while position < len(lines):
        line = lines[position]
        position += 1
        if _COMMENT_OR_BLANK.match(line):
            continue
        stripped = line.strip()
        if line[:1] in (" ", "\t"):
            if in_body and depth <= 0 and not _TOP_IMPORT.match(stripped):
                only_imports = False
            depth += stripped.count("(") - stripped.count(")")
        elif _BLOCK_KEYWORDS.match(stripped) and not stripped.startswith("try"):
            in_body = False
        else:
            break
        end = position
    return end, only_imports


def _insert_line(lines: list[str]) -> int:
    """0-based line after the docstring, ``__future__`` imports and leading import block."""
    index = _skip_blank(lines, 0)
    end = 0
    quote = _string_start(lines[index]) if index < len(lines) else None
    if quote:
        end = index = _docstring_end(lines, index, quote)
    saw_import = False
    while True:
        index = _skip_blank(lines, index)
        if index >= len(lines):
            break
        line = lines[index]
        if _TOP_IMPORT.match(line):
            statement = _statement_at("".join(lines[index : index + 64]), 0)
            index += max(1, statement.count("\n") + 1)
        elif line.startswith("try") and _BLOCK_KEYWORDS.match(line.strip()):
            index, only_imports = _block_end(lines, index)
            if not only_imports:
                break
        else:
            break
        end, saw_import = index, True
    if not saw_import and end == 0:
        return _leading_comment_end(lines, 0)
    return end


def _leading_comment_end(lines: list[str], start: int) -> int:
    """First line at or after ``start`` that is not a comment (shebang, encoding, notes)."""
    index = start
    while index < len(lines) and lines[index].lstrip().startswith("#"):
        index += 1
    return index


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


@dataclass(frozen=True)
class ImportScan:
    """What one version of a document imports and where new imports go; reused per version."""

    present: _Present
    insert_line: int
    line_count: int
    last_line: str
    newline: str

    def plan(self, imports: Sequence[str]) -> ImportPlan | None:
        """Where and what to insert so the document has ``imports``; None if nothing is missing."""
        needed = _missing_from(self.present.copy(), imports)
        if not needed:
            return None
        text = "".join(line + self.newline for line in needed)
        if self.insert_line >= self.line_count and self.last_line[-1:] not in ("\n", "\r", ""):
            return ImportPlan(self.line_count - 1, self.newline + text, len(self.last_line))
        return ImportPlan(self.insert_line, text)


def scan_imports(document_text: str) -> ImportScan:
    """Read a document's imports and header once (a line scan, no parse of the document)."""
    lines = document_text.splitlines(keepends=True)
    return ImportScan(
        present=_present_imports(document_text),
        insert_line=_insert_line(lines),
        line_count=len(lines),
        last_line=lines[-1] if lines else "",
        newline="\r\n" if "\r\n" in document_text else "\n",
    )


def missing_imports(document_text: str, imports: Sequence[str]) -> list[str]:
    """The import lines of ``imports`` that the document does not already satisfy."""
    return _missing_from(_present_imports(document_text), imports)


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
    return scan_imports(document_text).plan(imports)
