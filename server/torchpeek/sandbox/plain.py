"""Hover text for clients that do not render Markdown (Neovim or Emacs without a renderer).

The hover is written once, in Markdown; this turns it into plain text that
reads the same: no backticks, bold or italic markers, no code fences (the
layer list is already aligned text) and no backslash escapes.
"""

from __future__ import annotations

import re

ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")


def _line(line: str) -> str:
    if len(line) > 2 and line.startswith("_") and line.endswith("_"):
        line = line[1:-1]
    line = line.replace("**", "").replace("`", "")
    return ESCAPED.sub(r"\1", line)


def markdown_to_plain(text: str) -> str:
    """The plain-text reading of a hover written in Markdown."""
    lines = [line for line in text.splitlines() if not line.startswith("```")]
    return "\n".join(_line(line) for line in lines)
