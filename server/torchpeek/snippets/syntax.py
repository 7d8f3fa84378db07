"""A recursive-descent parser of the LSP snippet grammar, and the plain-text filler built on it.

The grammar is the one in the LSP 3.17 specification ("Snippet Syntax"): tab stops
(``$1``, ``${1}``), placeholders (``${1:default}``, nestable), choices (``${1|a,b|}``),
variables (``$TM_FILENAME``, ``${NAME:default}``, ``${NAME/regex/format/options}``) and text,
where ``\\$``, ``\\}`` and ``\\\\`` are escapes. The loader uses :func:`parse_snippet` to check
rendered bodies; :func:`fill_placeholders` turns a body into the code it inserts by default.
"""

from __future__ import annotations

from dataclasses import dataclass

_TEXT_ESCAPES = "$}\\"
_CHOICE_ESCAPES = "$}\\,|"
_FORMAT_ESCAPES = "$}\\/"
_REGEX_OPTIONS = set("dgimsuvy")
MAX_DEPTH = 50


class SnippetSyntaxError(ValueError):
    """The text is not valid snippet syntax; ``offset`` is the 0-based index of the fault."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Text:
    """Literal text, escapes already undone."""

    value: str


@dataclass(frozen=True)
class Tabstop:
    """``$1`` or ``${1}``; ``$0`` is the final cursor position."""

    index: int


@dataclass(frozen=True)
class Placeholder:
    """``${1:default}``; the default may hold further elements."""

    index: int
    children: tuple[SnippetNode, ...]


@dataclass(frozen=True)
class Choice:
    """``${1|one,two|}``."""

    index: int
    options: tuple[str, ...]


@dataclass(frozen=True)
class FormatItem:
    """A transform format item: ``$1``, ``${1:/upcase}``, ``${1:+if}``, ``${1:?if:else}``, ..."""

    group: int
    modifier: str = ""
    if_text: str = ""
    else_text: str = ""


@dataclass(frozen=True)
class Transform:
    """``/regex/format/options`` after a variable name."""

    regex: str
    format: tuple[str | FormatItem, ...]
    options: str


@dataclass(frozen=True)
class Variable:
    """``$NAME``, ``${NAME}``, ``${NAME:default}`` or ``${NAME/regex/format/options}``."""

    name: str
    children: tuple[SnippetNode, ...] = ()
    transform: Transform | None = None


SnippetNode = Text | Tabstop | Placeholder | Choice | Variable


@dataclass(frozen=True)
class SnippetTree:
    """The parsed snippet: its top-level elements."""

    children: tuple[SnippetNode, ...]

    def tabstops(self) -> set[int]:
        """Every tab stop index used anywhere in the snippet."""
        return _indices(self.children)


def _indices(nodes: tuple[SnippetNode, ...]) -> set[int]:
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, (Tabstop, Choice)):
            found.add(node.index)
        elif isinstance(node, Placeholder):
            found.add(node.index)
            found |= _indices(node.children)
        elif isinstance(node, Variable):
            found |= _indices(node.children)
    return found


class _Parser:
    """Cursor over the source; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def fail(self, message: str, offset: int | None = None) -> SnippetSyntaxError:
        return SnippetSyntaxError(message, self.pos if offset is None else offset)

    def expect(self, char: str, message: str) -> None:
        if self.peek() != char:
            raise self.fail(message)
        self.pos += 1

    def parse_any_list(self, nested: bool) -> tuple[SnippetNode, ...]:
        """Elements up to the end of input, or up to an unescaped ``}`` when nested."""
        if self.depth >= MAX_DEPTH:
            raise self.fail(f"placeholders nested more than {MAX_DEPTH} deep")
        self.depth += 1
        try:
            return self._any_list(nested)
        finally:
            self.depth -= 1

    def _any_list(self, nested: bool) -> tuple[SnippetNode, ...]:
        nodes: list[SnippetNode] = []
        buffer: list[str] = []
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\" and self.peek(1) in _TEXT_ESCAPES and self.peek(1):
                buffer.append(self.peek(1))
                self.pos += 2
            elif char == "$":
                _flush(buffer, nodes)
                nodes.append(self.parse_dollar())
            elif char == "}" and nested:
                break
            else:
                buffer.append(char)
                self.pos += 1
        _flush(buffer, nodes)
        return tuple(nodes)

    def parse_dollar(self) -> SnippetNode:
        start = self.pos
        self.pos += 1
        char = self.peek()
        if char.isdigit():
            return Tabstop(self.parse_int())
        if _is_name_start(char):
            return Variable(self.parse_name())
        if char == "{":
            self.pos += 1
            return self.parse_braced(start)
        raise self.fail("unescaped '$' (write a literal dollar as '\\$')", start)

    def parse_braced(self, start: int) -> SnippetNode:
        char = self.peek()
        if char.isdigit():
            return self.parse_numbered(start)
        if _is_name_start(char):
            return self.parse_variable(start)
        if not char:
            raise self.fail("unclosed '${'", start)
        raise self.fail("expected a tab stop number or a variable name after '${'")

    def parse_numbered(self, start: int) -> SnippetNode:
        index = self.parse_int()
        char = self.peek()
        if char == "}":
            self.pos += 1
            return Tabstop(index)
        if char == ":":
            self.pos += 1
            children = self.parse_any_list(nested=True)
            self.close(start)
            return Placeholder(index, children)
        if char == "|":
            self.pos += 1
            return Choice(index, self.parse_choice_options(start))
        if not char:
            raise self.fail("unclosed '${'", start)
        raise self.fail("placeholder index must be a number followed by '}', ':' or '|'")

    def parse_choice_options(self, start: int) -> tuple[str, ...]:
        options: list[str] = []
        buffer: list[str] = []
        while True:
            char = self.peek()
            if not char:
                raise self.fail("choice without closing '|}'", start)
            if char == "\\" and self.peek(1) and self.peek(1) in _CHOICE_ESCAPES:
                buffer.append(self.peek(1))
                self.pos += 2
            elif char == ",":
                options.append("".join(buffer))
                buffer = []
                self.pos += 1
            elif char == "|":
                options.append("".join(buffer))
                self.pos += 1
                if self.peek() != "}":
                    raise self.fail("choice without closing '|}'", start)
                self.pos += 1
                return tuple(options)
            else:
                buffer.append(char)
                self.pos += 1

    def parse_variable(self, start: int) -> Variable:
        name = self.parse_name()
        char = self.peek()
        if char == "}":
            self.pos += 1
            return Variable(name)
        if char == ":":
            self.pos += 1
            children = self.parse_any_list(nested=True)
            self.close(start)
            return Variable(name, children)
        if char == "/":
            self.pos += 1
            transform = self.parse_transform(start)
            return Variable(name, (), transform)
        if not char:
            raise self.fail("unclosed '${'", start)
        raise self.fail(f"unexpected {char!r} after variable name {name!r}")

    def parse_transform(self, start: int) -> Transform:
        regex = self.parse_until_slash(start, "regex")
        fmt = self.parse_format(start)
        options_start = self.pos
        while self.peek() and self.peek() != "}":
            self.pos += 1
        options = self.text[options_start : self.pos]
        if not set(options) <= _REGEX_OPTIONS:
            raise self.fail(f"bad regex options {options!r}", options_start)
        self.close(start)
        return Transform(regex, fmt, options)

    def parse_until_slash(self, start: int, what: str) -> str:
        buffer: list[str] = []
        while self.peek() != "/":
            if not self.peek():
                raise self.fail(f"unclosed transform {what}", start)
            if self.peek() == "\\" and self.peek(1):
                buffer.append(self.text[self.pos : self.pos + 2])
                self.pos += 2
                continue
            buffer.append(self.peek())
            self.pos += 1
        self.pos += 1
        return "".join(buffer)

    def parse_format(self, start: int) -> tuple[str | FormatItem, ...]:
        items: list[str | FormatItem] = []
        buffer: list[str] = []
        while self.peek() != "/":
            char = self.peek()
            if not char:
                raise self.fail("unclosed transform format", start)
            if char == "\\" and self.peek(1) and self.peek(1) in _FORMAT_ESCAPES:
                buffer.append(self.peek(1))
                self.pos += 2
            elif char == "$":
                if buffer:
                    items.append("".join(buffer))
                    buffer = []
                items.append(self.parse_format_item())
            else:
                buffer.append(char)
                self.pos += 1
        if buffer:
            items.append("".join(buffer))
        self.pos += 1
        return tuple(items)

    def parse_format_item(self) -> FormatItem:
        start = self.pos
        self.pos += 1
        if self.peek().isdigit():
            return FormatItem(self.parse_int())
        self.expect("{", "expected a group number after '$' in a transform format")
        group = self.parse_int()
        if self.peek() == "}":
            self.pos += 1
            return FormatItem(group)
        self.expect(":", "expected ':' or '}' in a transform format item")
        item = self.parse_format_modifier(group, start)
        self.close(start)
        return item

    def parse_format_modifier(self, group: int, start: int) -> FormatItem:
        char = self.peek()
        if char == "/":
            self.pos += 1
            word = self.parse_name()
            if word not in ("upcase", "downcase", "capitalize", "camelcase", "pascalcase"):
                raise self.fail(f"unknown format modifier '/{word}'", start)
            return FormatItem(group, modifier=word)
        if char == "+":
            self.pos += 1
            return FormatItem(group, if_text=self.parse_format_text(":}"))
        if char == "?":
            self.pos += 1
            if_text = self.parse_format_text(":")
            self.expect(":", "expected ':' in '${N:?if:else}'")
            return FormatItem(group, if_text=if_text, else_text=self.parse_format_text("}"))
        if char == "-":
            self.pos += 1
        return FormatItem(group, else_text=self.parse_format_text("}"))

    def parse_format_text(self, stops: str) -> str:
        buffer: list[str] = []
        while self.peek() and self.peek() not in stops:
            if self.peek() == "\\" and self.peek(1):
                buffer.append(self.peek(1))
                self.pos += 2
                continue
            buffer.append(self.peek())
            self.pos += 1
        return "".join(buffer)

    def close(self, start: int) -> None:
        if self.peek() != "}":
            raise self.fail("unclosed '${'", start)
        self.pos += 1

    def parse_int(self) -> int:
        start = self.pos
        while self.peek().isdigit():
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a number")
        return int(self.text[start : self.pos])

    def parse_name(self) -> str:
        start = self.pos
        while self.peek() and (self.peek().isalnum() or self.peek() == "_"):
            self.pos += 1
        if start == self.pos or not _is_name_start(self.text[start]):
            raise self.fail("expected a name")
        return self.text[start : self.pos]


def _is_name_start(char: str) -> bool:
    return bool(char) and char.isascii() and (char.isalpha() or char == "_")


def _flush(buffer: list[str], nodes: list[SnippetNode]) -> None:
    if buffer:
        nodes.append(Text("".join(buffer)))
        buffer.clear()


def parse_snippet(text: str) -> SnippetTree:
    """Parse LSP snippet text; raise :class:`SnippetSyntaxError` on bad syntax."""
    parser = _Parser(text)
    children = parser.parse_any_list(nested=False)
    return SnippetTree(children)


def fill_nodes(nodes: tuple[SnippetNode, ...]) -> str:
    """The text these elements insert when every placeholder keeps its default."""
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(node.value)
        elif isinstance(node, (Placeholder, Variable)):
            parts.append(fill_nodes(node.children))
        elif isinstance(node, Choice):
            parts.append(node.options[0] if node.options else "")
    return "".join(parts)


def fill_placeholders(snippet_text: str) -> str:
    """LSP snippet text -> the plain text it inserts with defaults; raises SnippetSyntaxError."""
    return fill_nodes(parse_snippet(snippet_text).children)


def escape_text(text: str) -> str:
    """Plain text -> snippet text that inserts exactly that text."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def offset_to_line_col(text: str, offset: int) -> tuple[int, int]:
    """0-based ``offset`` in ``text`` -> (0-based line, 0-based column)."""
    before = text[: max(0, offset)]
    line = before.count("\n")
    col = len(before) - (before.rfind("\n") + 1)
    return line, col
