"""Rendering bodies: defaults, overrides, choices, unknown params, template failures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from torchpeek.snippets import Snippet, SnippetError, load_file, render_snippet
from torchpeek.snippets.render import compiled_template


@pytest.fixture
def zeros_like(snippet_data: Path) -> Snippet:
    (snippet,), _ = load_file(snippet_data / "good.yaml")
    return snippet


def test_defaults(zeros_like: Snippet) -> None:
    expected = "${1:out} = torch.zeros_like(${2:x}, dtype=torch.float32)$0"
    assert render_snippet(zeros_like) == expected
    assert render_snippet(zeros_like, {}) == expected


def test_value_overrides_default(zeros_like: Snippet) -> None:
    text = render_snippet(zeros_like, {"dtype": "float16"})
    assert text == "${1:out} = torch.zeros_like(${2:x}, dtype=torch.float16)$0"


def test_value_not_in_choices_raises(zeros_like: Snippet) -> None:
    with pytest.raises(SnippetError) as raised:
        render_snippet(zeros_like, {"dtype": "int8"})
    assert "'int8' is not one of 'float32', 'float16'" in raised.value.problem.message
    assert raised.value.problem.path == zeros_like.path


def test_unknown_param_raises(zeros_like: Snippet) -> None:
    with pytest.raises(SnippetError) as raised:
        render_snippet(zeros_like, {"colour": "red"})
    assert "unknown parameter 'colour'" in raised.value.problem.message


def test_render_error_maps_to_the_body_line(zeros_like: Snippet) -> None:
    broken = replace(zeros_like, body="a = 1\nb = {{ nope }}\n", default_body="")
    with pytest.raises(SnippetError) as raised:
        render_snippet(broken)
    assert raised.value.problem.line == zeros_like.body_line + 1
    assert "'nope' is undefined" in raised.value.problem.message


def test_sandbox_blocks_attribute_escapes(zeros_like: Snippet) -> None:
    hostile = replace(zeros_like, body="{{ ''.__class__.__mro__ }}", default_body="")
    with pytest.raises(SnippetError) as raised:
        render_snippet(hostile)
    assert "unsafe" in raised.value.problem.message


def test_trailing_newline_is_dropped_and_template_is_cached(zeros_like: Snippet) -> None:
    body = "x = {{ dtype }}\n"
    snippet = replace(zeros_like, body=body, default_body="")
    assert render_snippet(snippet) == "x = float32"
    assert compiled_template(body) is compiled_template(body)
