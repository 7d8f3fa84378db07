"""The LSP snippet grammar parser and the placeholder filler."""

from __future__ import annotations

import pytest

from torchpeek.snippets import (
    Choice,
    Placeholder,
    SnippetSyntaxError,
    Tabstop,
    Text,
    Variable,
    escape_text,
    fill_placeholders,
    parse_snippet,
)


def test_tabstops_placeholders_and_text() -> None:
    tree = parse_snippet("x = ${1:torch.zeros(${2:3})} + $3$0")
    assert tree.children == (
        Text("x = "),
        Placeholder(1, (Text("torch.zeros("), Placeholder(2, (Text("3"),)), Text(")"))),
        Text(" + "),
        Tabstop(3),
        Tabstop(0),
    )
    assert tree.tabstops() == {0, 1, 2, 3}


def test_choice_and_escapes_inside_it() -> None:
    tree = parse_snippet("${1|cpu,cuda,a\\,b|}")
    assert tree.children == (Choice(1, ("cpu", "cuda", "a,b")),)


def test_variables_with_default_and_transform() -> None:
    tree = parse_snippet("$TM_FILENAME ${CLIPBOARD:x} ${TM_FILENAME/(.*)\\.py/${1:/upcase}/g}")
    first, _, second, _, third = tree.children
    assert first == Variable("TM_FILENAME")
    assert second == Variable("CLIPBOARD", (Text("x"),))
    assert isinstance(third, Variable) and third.transform is not None
    assert third.transform.regex == "(.*)\\.py"
    assert third.transform.options == "g"


def test_braced_tabstop_and_escapes_in_text() -> None:
    tree = parse_snippet("${1} \\$HOME \\} \\\\ {'a': 1}")
    assert tree.children == (Tabstop(1), Text(" $HOME } \\ {'a': 1}"))


def test_escaped_brace_inside_placeholder() -> None:
    assert fill_placeholders("${1:{'a': 1\\}}") == "{'a': 1}"


@pytest.mark.parametrize(
    ("text", "fragment", "offset"),
    [
        ("x = ${1:abc", "unclosed '${'", 4),
        ("${1|a,b}", "choice without closing '|}'", 0),
        ("${1|a,b|", "choice without closing '|}'", 0),
        ("${x1a:", "unclosed '${'", 0),
        ("${1a}", "placeholder index must be a number", 3),
        ("${-1}", "expected a tab stop number or a variable name", 2),
        ("${", "unclosed '${'", 0),
        ("cost = 5$", "unescaped '$'", 8),
        ("${A/(x)/y/zz}", "bad regex options", 10),
        ("${A/(x)/y", "unclosed transform format", 0),
    ],
)
def test_rejects_bad_syntax(text: str, fragment: str, offset: int) -> None:
    with pytest.raises(SnippetSyntaxError) as raised:
        parse_snippet(text)
    assert fragment in raised.value.message
    assert raised.value.offset == offset


@pytest.mark.parametrize(
    ("text", "filled"),
    [
        ("x = ${1:a} + ${2:b}$0", "x = a + b"),
        ("${1:outer ${2:inner}}", "outer inner"),
        ("device = '${1|cuda,cpu|}'", "device = 'cuda'"),
        ("f($1, ${2})", "f(, )"),
        ("name = '$TM_FILENAME${CLIPBOARD:clip}'", "name = 'clip'"),
        ("price = \\$5 \\} \\\\", "price = $5 } \\"),
        ("s = '\\n'", "s = '\\n'"),
        ("", ""),
    ],
)
def test_fill_placeholders(text: str, filled: str) -> None:
    assert fill_placeholders(text) == filled


def test_escape_text_round_trips() -> None:
    raw = "cost = '$5' if a else {'x': '\\\\'}"
    assert fill_placeholders(escape_text(raw)) == raw
