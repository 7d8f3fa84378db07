"""Where the cursor is in Python source, for completion: code, a string or a comment, and
whether a snippet belongs there at all.

Not a handler module, and no LSP types: plain text in, plain answers out. The cost stays a
line scan: one regular expression (C speed) over the text above the cursor line tells whether
that line starts inside a triple-quoted string; the cursor line and a few lines above it are
read in Python. Snippets never go after a member-access dot, in strings or comments, in
import statements, where a name is being defined (``def``/``class`` names, parameter lists,
``lambda`` parameters, ``for``/``as``/``global`` targets) or over a Python keyword.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence

# Everything that can sit between the document start and a line start, one token at a time.
# A single-quoted string that is not closed ends at its line (the user is still typing it);
# an unclosed triple-quoted string stops the match, which is how we learn we are inside one.
# String bodies are written as "unrolled loops" (a run of plain characters, then escapes or
# lone quotes each followed by another run) so an unclosed string fails in linear time.
_CODE_RUN = re.compile(
    r"""(?:
        [^'"\#\\]+
      | \\.
      | \#[^\n]*
      | \"\"\"[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*\"\"\"
      | '''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''
      | "(?!"")[^"\\\n]*(?:\\.[^"\\\n]*)*(?:"|(?=\n))
      | '(?!'')[^'\\\n]*(?:\\.[^'\\\n]*)*(?:'|(?=\n))
    )*""",
    re.VERBOSE | re.DOTALL,
)

_DEFINING = (
    re.compile(r"^\s*(async\s+)?def\s+\w*$"),  # the function's name
    re.compile(r"^\s*class\s+\w*$"),
    re.compile(r"\blambda\b[^:]*$"),
    re.compile(r"^\s*(async\s+)?for\s+(?!.*\bin\b)[\w\s,()\[\]*]*$"),
    re.compile(r"\bas\s+\w*$"),
    re.compile(r"^\s*(global|nonlocal|del)\s+[\w\s,]*$"),
    re.compile(r"^\s*(import|from)\s"),
)
_HEADER = re.compile(r"^\s*(?:async\s+def|def|class|from|import)\b")
_HEADER_DONE = re.compile(r"\)\s*(->[^:]*)?:|^\s*class\s+\w+\s*:")
LOOKBACK_LINES = 30


def open_string_at(text_above: str) -> str | None:
    """The triple quote left open at the end of ``text_above``, or None if it ends in code."""
    end = _CODE_RUN.match(text_above).end()  # type: ignore[union-attr]
    if end >= len(text_above):
        return None
    return text_above[end : end + 3]


def _close_on_line(line: str, quote: str) -> int | None:
    """Index just past the closing ``quote`` of a string continued from an earlier line."""
    index = 0
    while index < len(line):
        if line[index] == "\\":
            index += 2
            continue
        if line.startswith(quote, index):
            return index + len(quote)
        index += 1
    return None


def in_string_or_comment(before: str, open_quote: str | None) -> bool:
    """Whether the end of ``before`` (a line up to the cursor) is in a string or comment."""
    if open_quote is not None:
        closed = _close_on_line(before, open_quote)
        if closed is None:
            return True
        before = before[closed:]
    return _ends_in_token(before)


def _ends_in_token(before: str) -> bool:
    """True when the cursor sits inside a comment or an unterminated one-line string."""
    quote: str | None = None
    index = 0
    while index < len(before):
        char = before[index]
        if quote is None:
            if char == "#":
                return True
            if char in "\"'":
                triple = before[index : index + 3]
                quote = triple if triple in ('"""', "'''") else char
                index += len(quote)
                continue
        elif char == "\\":
            index += 2
            continue
        elif before.startswith(quote, index):
            index += len(quote)
            quote = None
            continue
        index += 1
    return quote is not None


def after_member_dot(before_word: str) -> bool:
    """``torch.`` / ``x.vi``: the word is an attribute, not a statement."""
    return before_word.rstrip().endswith(".")


def enclosing_header(lines: Sequence[str], line: int, before: str) -> str | None:
    """The def/class/import statement whose header the cursor is still inside, if any.

    Walks up at most ``LOOKBACK_LINES`` lines, adding up brackets, until a header or the
    start of another statement, so a parameter list or a parenthesised import spread over
    lines is recognised without parsing the file.
    """
    if _HEADER.match(before):
        return None if _HEADER_DONE.search(before) else before.split()[0]
    depth = _bracket_depth(before)
    for index in range(line - 1, max(-1, line - LOOKBACK_LINES), -1):
        text = lines[index]
        depth += _bracket_depth(text)
        continued = text.rstrip().endswith("\\")
        if _HEADER.match(text):
            return text.split()[0] if depth > 0 or continued else None
        if depth > 0 or (not continued and _ends_statement(text, depth)):
            return None
    return None


def _ends_statement(text: str, depth: int) -> bool:
    """A block header or a line at column 0 with brackets balanced: nothing above matters."""
    stripped = text.rstrip()
    return stripped.endswith(":") or (depth <= 0 and text[:1] not in (" ", "\t", ""))


def _bracket_depth(text: str) -> int:
    code = text.split("#", 1)[0]
    return sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")


def snippet_allowed(lines: Sequence[str], line: int, before: str, word: str) -> bool:
    """Whether a snippet may replace ``word``, the word that ends ``before`` on ``line``."""
    if keyword.iskeyword(word):
        return False
    head = before[: len(before) - len(word)]
    if after_member_dot(head):
        return False
    if any(pattern.search(before) for pattern in _DEFINING):
        return False
    return enclosing_header(lines, line, before) is None
