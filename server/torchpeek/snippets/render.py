"""Rendering snippet bodies: Jinja2 templates, sandboxed and strict, into LSP snippet text.

A body is compiled once (cached by its source) in a :class:`SandboxedEnvironment` with
``StrictUndefined``, so an unknown name is an error rather than an empty string. Errors carry
the template line so the loader can map them back into the YAML file.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import TracebackType

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .model import Problem, Snippet, SnippetError

_TEMPLATE_NAME = "<snippet body>"
_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
    autoescape=False,
)


@dataclass(frozen=True)
class TemplateFailure:
    """Why a template did not compile or render: a message and the 1-based template line."""

    message: str
    template_line: int


def _compile(source: str) -> jinja2.Template:
    code = _ENV.compile(source, name=_TEMPLATE_NAME, filename=_TEMPLATE_NAME)
    return _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None), None)


@lru_cache(maxsize=1024)
def compiled_template(source: str) -> jinja2.Template | TemplateFailure:
    """The compiled template for ``source``, or why it does not compile."""
    try:
        return _compile(source)
    except jinja2.TemplateSyntaxError as error:
        return TemplateFailure(f"template syntax error: {error.message}", error.lineno or 1)


def _template_line(traceback: TracebackType | None) -> int:
    """The innermost template line in a Jinja2-rewritten traceback (1 if none)."""
    line = 1
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == _TEMPLATE_NAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def render_template(source: str, context: Mapping[str, object]) -> str | TemplateFailure:
    """Render ``source`` with ``context``; a failure is returned, never raised."""
    template = compiled_template(source)
    if isinstance(template, TemplateFailure):
        return template
    try:
        return template.render(dict(context))
    except jinja2.TemplateError as error:
        message = getattr(error, "message", None) or str(error)
        return TemplateFailure(f"template error: {message}", _template_line(sys.exc_info()[2]))
    except Exception as error:  # a sandboxed template can still divide by zero and so on
        line = _template_line(sys.exc_info()[2])
        return TemplateFailure(f"template error: {type(error).__name__}: {error}", line)


def default_values(snippet: Snippet) -> dict[str, object]:
    """Each parameter's default value."""
    return {param.name: param.default for param in snippet.params}


def _value_problem(snippet: Snippet, message: str) -> SnippetError:
    return SnippetError(Problem(snippet.path, snippet.line, 1, f"{snippet.id}: {message}"))


def resolve_values(snippet: Snippet, values: Mapping[str, object] | None) -> dict[str, object]:
    """Defaults overridden by ``values``; raise SnippetError for unknown names or bad choices."""
    resolved = default_values(snippet)
    for name, value in (values or {}).items():
        param = snippet.param(name)
        if param is None:
            known = ", ".join(sorted(resolved)) or "none"
            raise _value_problem(snippet, f"unknown parameter {name!r} (known: {known})")
        if param.choices and value not in param.choices:
            allowed = ", ".join(repr(choice) for choice in param.choices)
            raise _value_problem(snippet, f"{name}={value!r} is not one of {allowed}")
        resolved[name] = value
    return resolved


def render_snippet(snippet: Snippet, values: Mapping[str, object] | None = None) -> str:
    """The snippet body rendered with ``values`` over the defaults, as LSP snippet text."""
    if not values and snippet.default_body:
        return snippet.default_body
    result = render_template(snippet.body, resolve_values(snippet, values))
    if isinstance(result, TemplateFailure):
        line = snippet.body_line + result.template_line - 1
        raise SnippetError(Problem(snippet.path, line, 1, f"{snippet.id}: {result.message}"))
    return result
