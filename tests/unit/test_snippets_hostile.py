"""Hostile snippet files: each case is contained as a problem, none hangs or crashes the load."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchpeek.snippets import SnippetSyntaxError, load_file, parse_snippet
from torchpeek.snippets.render import render_template

ITEM = (
    "snippets:\n"
    "  - id: hostile\n"
    "    prefix: h\n"
    "    title: H\n"
    "    description: {{en: H.}}\n"
    "    category: tensor\n"
    "    body: {body}\n"
    "    preview: {{expr: x}}\n"
)


def _load(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    snippets, problems = load_file(path)
    assert snippets == []
    return [problem.message for problem in problems]


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{% for a in range(9999) %}{% for b in range(9) %}{% endfor %}{% endfor %}", "loops"),
        ("{{ 10 ** 100000000 }}", "exponent"),
        ("{{ 'x' * 1000000000 }}", "repetition"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
        ("{{ cycler.__init__.__globals__ }}", "unsafe"),
    ],
)
def test_template_abuse_is_a_problem(tmp_path: Path, template: str, fragment: str) -> None:
    messages = _load(tmp_path, ITEM.format(body=repr(template)))
    assert any(fragment in message for message in messages), messages


def test_deeply_nested_placeholders(tmp_path: Path) -> None:
    body = "x = " + "${1:" * 500 + "}" * 500
    messages = _load(tmp_path, ITEM.format(body=repr(body)))
    assert any("nested more than" in message for message in messages), messages
    with pytest.raises(SnippetSyntaxError):
        parse_snippet(body)


def test_recursive_yaml_alias(tmp_path: Path) -> None:
    messages = _load(tmp_path, "snippets: &loop\n  - *loop\n")
    assert messages and messages[0].startswith("YAML: ")


def test_billion_laughs_does_not_expand(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    lines.append("snippets: [*a8]")
    messages = _load(tmp_path, "\n".join(lines) + "\n")
    assert any("each snippet must be a mapping" in message for message in messages)


def test_deep_yaml_nesting(tmp_path: Path) -> None:
    messages = _load(tmp_path, "snippets: " + "[" * 5000 + "]" * 5000 + "\n")
    assert messages


def test_huge_file_is_refused(tmp_path: Path) -> None:
    messages = _load(tmp_path, "# " + "x" * (5 * 1024 * 1024) + "\n")
    assert messages == [f"file is larger than {4 * 1024 * 1024} bytes"]


def test_output_cap() -> None:
    result = render_template("{% for i in range(9000) %}{{ 'y' * 1000 }}{% endfor %}", {})
    assert not isinstance(result, str)
    assert "output is longer" in result.message
