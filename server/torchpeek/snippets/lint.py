"""Legacy PyTorch API detection: code that old tutorials still teach but current PyTorch rejects.

The loader refuses built-in snippets that use these, and the server can reuse
:func:`legacy_api_findings` for diagnostics in user documents.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class LegacyRule:
    """A pattern of legacy API use and what to write instead."""

    pattern: re.Pattern[str]
    message: str


_INIT_OK = {"calculate_gain"}

RULES: tuple[LegacyRule, ...] = (
    LegacyRule(
        re.compile(r"(?<![\w.])(?:torch\.autograd\.|autograd\.)?Variable\s*\("),
        "legacy API: Variable(...) is deprecated; tensors track gradients themselves "
        "(use requires_grad=True)",
    ),
    LegacyRule(
        re.compile(r"\bvolatile\b"),
        "legacy API: 'volatile' was removed; use torch.no_grad() or torch.inference_mode()",
    ),
    LegacyRule(
        re.compile(r"\btorch\.eig\s*\("),
        "legacy API: torch.eig was removed; use torch.linalg.eig",
    ),
    LegacyRule(
        re.compile(r"\bByteTensor\b"),
        "legacy API: ByteTensor; use torch.bool masks or dtype=torch.uint8",
    ),
    LegacyRule(
        re.compile(r"(?<![\w.])F\.sigmoid\s*\("),
        "legacy API: F.sigmoid is deprecated; use torch.sigmoid",
    ),
)

PRETRAINED_MESSAGE = "legacy API: pretrained= is deprecated in torchvision; use weights=..."
_PRETRAINED_KWARG = re.compile(r"(?<=[(,])\s*(pretrained)\s*=(?!=)|^\s+(pretrained)\s*=(?!=)")
_INIT_CALL = re.compile(r"(?<![\w.])(?:torch\.nn\.init|nn\.init|init)\.([A-Za-z]\w*)\s*\(")


def _strip_comments(text: str) -> str:
    """``text`` with comments blanked out (positions kept); unchanged if it does not tokenize."""
    lines = text.splitlines(keepends=True)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text
    for token in tokens:
        if token.type == tokenize.COMMENT:
            row, col = token.start
            line = lines[row - 1]
            end = col + len(token.string)
            lines[row - 1] = line[:col] + " " * (end - col) + line[end:]
    return "".join(lines)


def _init_findings(line: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for match in _INIT_CALL.finditer(line):
        name = match.group(1)
        if not name.endswith("_") and name not in _INIT_OK:
            message = f"legacy API: nn.init.{name} is deprecated; use the in-place nn.init.{name}_"
            found.append((match.start(), message))
    return found


def _pretrained_kwargs(text: str) -> set[tuple[int, int]] | None:
    """(line, 0-based col) of every ``pretrained=`` keyword argument; None if unparsable."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return {
        (node.lineno, node.col_offset)
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword) and node.arg == "pretrained"
    }


def _pretrained_findings(
    number: int, line: str, exact: set[tuple[int, int]] | None
) -> list[tuple[int, str]]:
    """``pretrained=`` as a keyword argument (not ``pretrained = ...`` as an assignment)."""
    if exact is not None:
        return [(col, PRETRAINED_MESSAGE) for row, col in sorted(exact) if row == number]
    return [
        (match.start(1) if match.group(1) else match.start(2), PRETRAINED_MESSAGE)
        for match in _PRETRAINED_KWARG.finditer(line)
    ]


def legacy_api_findings(text: str) -> list[tuple[int, int, str]]:
    """(1-based line, 1-based column, message) for each legacy PyTorch API use in ``text``."""
    findings: list[tuple[int, int, str]] = []
    code = _strip_comments(text)
    exact = _pretrained_kwargs(code)
    for number, line in enumerate(code.splitlines(), start=1):
        hits = [(m.start(), rule.message) for rule in RULES for m in rule.pattern.finditer(line)]
        hits += _init_findings(line) + _pretrained_findings(number, line, exact)
        findings.extend((number, col + 1, message) for col, message in sorted(hits))
    return findings
