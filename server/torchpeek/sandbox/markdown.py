"""Safe Markdown for text that comes out of a preview: values, names, error messages.

A preview runs workspace code, so anything it reports is hostile until shown
otherwise. Every such string goes through this module at the hover's output
boundary: it becomes a code span no content can close, or plain words when it
holds nothing Markdown would act on. Control, bidi and invisible format
characters are shown as ``\\u202e``-style escapes. Nothing here ever builds a
link or an image, and every piece is cut to a bounded length.
"""

from __future__ import annotations

import re
import unicodedata

#: Longest piece of preview text shown in one place.
MAX_PIECE = 2000
#: Longest hover built from a preview.
MAX_HOVER = 24_000
ELLIPSIS = "…"

# Words, spaces and a little punctuation: no link, emphasis, HTML, entity or autolink
# ('.' and '@' stay out, they start www. and e-mail autolinks).
_PLAIN = re.compile(r"[\w ·,:=+\-()]*")
_BACKTICKS = re.compile(r"`+")
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def _shown(char: str) -> str:
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def visible(text: str, limit: int = MAX_PIECE) -> str:
    """``text`` on one line, cut to ``limit``, with control, bidi and format characters escaped."""
    if len(text) > limit:
        text = text[:limit] + ELLIPSIS
    if text.isascii() and text.isprintable():
        return text
    return "".join(_shown(c) if unicodedata.category(c) in _UNSAFE_CATEGORIES else c for c in text)


def code(text: object, in_table: bool = False, limit: int = MAX_PIECE) -> str:
    """``text`` as an inline code span that nothing inside it can end early."""
    body = visible(str(text), limit)
    if in_table:
        body = body.replace("|", "\\|")  # a table row splits on pipes, even inside code
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * (longest + 1)
    if not body:
        return "` `"
    if body[0] in "` " or body[-1] in "` ":
        body = f" {body} "
    return f"{fence}{body}{fence}"


def words(text: object, limit: int = MAX_PIECE) -> str:
    """``text`` as is when Markdown would leave it alone, else as a code span."""
    body = str(text)
    if len(body) <= limit and _PLAIN.fullmatch(body) and body.strip() == body:
        return body
    return code(body, limit=limit)


def cap(markdown: str, limit: int = MAX_HOVER) -> str:
    """A whole hover cut at a line boundary below ``limit`` characters."""
    if len(markdown) <= limit:
        return markdown
    cut = markdown.rfind("\n", 0, limit)
    return (
        markdown[: cut if cut > 0 else limit] + f"\n\n_{ELLIPSIS} the rest of the preview was cut_"
    )
