"""Legacy PyTorch API detection: code that old tutorials still teach but current PyTorch rejects.

The loader refuses built-in snippets that use these, and the server can reuse
:func:`legacy_api_findings` for diagnostics in user documents.
"""

from __future__ import annotations

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
        re.compile(r"\bpretrained\s*="),
        "legacy API: pretrained= is deprecated in torchvision; use weights=...",
    ),
    LegacyRule(
        re.compile(r"(?<![\w.])F\.sigmoid\s*\("),
        "legacy API: F.sigmoid is deprecated; use torch.sigmoid",
    ),
)

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


def legacy_api_findings(text: str) -> list[tuple[int, int, str]]:
    """(1-based line, 1-based column, message) for each legacy PyTorch API use in ``text``."""
    findings: list[tuple[int, int, str]] = []
    for number, line in enumerate(_strip_comments(text).splitlines(), start=1):
        hits = [(m.start(), rule.message) for rule in RULES for m in rule.pattern.finditer(line)]
        hits += _init_findings(line)
        findings.extend((number, col + 1, message) for col, message in sorted(hits))
    return findings
