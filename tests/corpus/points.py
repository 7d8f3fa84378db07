"""Hover points of the corpus: ``# @hover name`` markers at the end of a line, found without torch.

A marker names one or more expressions (``# @hover x, self.blocks[0].attn``);
each is hovered at the last occurrence of the expression in the code part of
that line, on the expression's last name (where an editor user would point at
``weight`` in ``model[0].weight``). The recorder and the end-to-end test both
read the points from here, so the two never disagree about where a point is.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "files"
EXPECTED = HERE / "expected.yaml"
MARKER = re.compile(r"#\s*@hover\s+(?P<exprs>.+?)\s*$")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STRING = re.compile(r"\"[^\"]*\"|'[^']*'")


@dataclass(frozen=True)
class Point:
    """One hover: the file (relative to the corpus folder), 1-based line, expression and 0-based column."""

    file: str
    line: int
    expr: str
    column: int

    @property
    def key(self) -> str:
        return f"{self.file}:{self.line}:{self.expr}"


def split_exprs(text: str) -> list[str]:
    """Split ``a, b[0, 1]`` at top-level commas."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [p for p in parts if p]


def hover_column(code: str, expr: str) -> int:
    """Column of the last name of ``expr`` in its last occurrence in ``code`` (outside strings)."""
    pattern = rf"(?<![\w.]){re.escape(expr)}(?!\w)"
    bare = STRING.sub(lambda m: " " * len(m.group(0)), code)
    found = list(re.finditer(pattern, bare))
    if not found:
        raise ValueError(f"{expr!r} does not occur in {code.strip()!r}")
    last_name = list(NAME.finditer(expr))[-1]
    return found[-1].start() + last_name.start()


def file_points(path: Path) -> list[Point]:
    """Every hover point marked in ``path``."""
    relative = path.relative_to(CORPUS).as_posix()
    points = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        marker = MARKER.search(text)
        if marker is None:
            continue
        code = text[: marker.start()]
        for expr in split_exprs(marker.group("exprs")):
            ast.parse(expr, mode="eval")  # a marker must name a Python expression
            points.append(Point(relative, number, expr, hover_column(code, expr)))
    return points


def corpus_files() -> list[Path]:
    """The corpus documents that carry hover markers, in a stable order."""
    files = [p for p in sorted(CORPUS.rglob("*.py")) if "__pycache__" not in p.parts]
    return [p for p in files if file_points(p)]


def all_points() -> list[Point]:
    return [point for path in corpus_files() for point in file_points(path)]
