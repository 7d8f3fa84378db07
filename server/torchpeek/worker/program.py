"""The document as the worker runs it: repaired where it does not parse, with probes compiled in.

The whole document runs as ``__main__``. A syntax error *below* the hovered
line (the user is still typing there) must not stop the preview, so the
top-level block holding it is blanked out, line numbers kept, and the parse is
tried again. An error at or above the hovered line is the answer.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Any

from .outline import Index
from .protocol import PreviewRequest
from .trace import Site, Target, instrument

MAX_REPAIRS = 12


def _block_bounds(lines: list[str], row: int) -> tuple[int, int]:
    """0-based [start, end) of the top-level block holding ``row``."""

    def top_level(text: str) -> bool:
        return bool(text.strip()) and not text[0].isspace() and not text.lstrip().startswith("#")

    start = row
    while start > 0 and not top_level(lines[start]):
        start -= 1
    end = row + 1
    while end < len(lines) and not top_level(lines[end]):
        end += 1
    return start, end


def repair(
    source: str, line: int, filename: str = "<document>"
) -> tuple[str, ast.Module, list[int]]:
    """``source`` with broken code below ``line`` blanked out, its tree, the blanked lines.

    ``line`` is 1-based; 0 repairs nothing; -1 (a trace of the whole file)
    blanks broken blocks anywhere.
    """
    lines = source.splitlines(keepends=True)
    blanked: list[int] = []
    for _ in range(MAX_REPAIRS):
        try:
            tree = ast.parse("".join(lines), filename)
            return "".join(lines), tree, blanked
        except SyntaxError as error:
            bad = (error.lineno or len(lines)) - 1
            if line == 0 or (line > 0 and bad < line) or bad >= len(lines):
                raise
            start, end = _block_bounds(lines, bad)
            if start < line <= end:  # the hovered line's own block: keep what comes before
                start = max(bad, line)
                end = _block_bounds(lines, bad)[1]
            for row in range(start, end):
                lines[row] = "\n"
            blanked.append(bad + 1)
    raise SyntaxError("the document could not be repaired below the hovered line")


@dataclass
class Program:
    """Compiled, instrumented document plus what the run needs to know about the target."""

    code: Any
    sites: list[Site]
    target: Target | None
    lines: list[str]
    source: str
    blanked: list[int] = field(default_factory=list)
    base: int = 0

    @classmethod
    def build(cls, request: PreviewRequest) -> Program:
        source, tree, blanked = repair(request.source, request.line, request.filename)
        code, sites, target = instrument(source, request.filename, request.line, request.expr, tree)
        return cls(code, sites, target, source.splitlines(), source, blanked)

    def fresh_sites(self) -> list[Site]:
        """Sites with their run state cleared (a second run reuses the compiled code)."""
        return [replace(site, done=False) for site in self.sites]

    def index(self) -> Index:
        return Index(ast.parse(self.source), self.lines)

    def target_defined(self, namespace: dict[str, Any]) -> bool:
        """Whether the run got far enough to define what holds the target."""
        return bool(self.target and self.target.function and self.target.function[0] in namespace)
