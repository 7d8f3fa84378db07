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
MAX_OUTPUT_CHARS = 200_000
MAX_LOOP_ITEMS = 10_000
MAX_POWER_EXPONENT = 64
MAX_REPEAT = 10_000


class _BudgetExceeded(Exception):
    """A template tried to loop, repeat or print more than a snippet ever needs."""


class _BoundedEnvironment(SandboxedEnvironment):
    """The sandbox, plus limits on ``**`` and ``*`` so a template cannot hang the loader."""

    intercepted_binops = frozenset(["**", "*"])

    def call_binop(self, context: object, operator: str, left: object, right: object) -> object:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_POWER_EXPONENT:
            raise _BudgetExceeded(f"exponent {right} is too large")
        if operator == "*" and _is_repeat(left, right):
            raise _BudgetExceeded("repetition is too large")
        return super().call_binop(context, operator, left, right)  # type: ignore[arg-type]


def _is_repeat(left: object, right: object) -> bool:
    sized = (str, list, tuple)
    if isinstance(left, sized) and isinstance(right, int):
        return len(left) * right > MAX_REPEAT
    if isinstance(right, sized) and isinstance(left, int):
        return len(right) * left > MAX_REPEAT
    return False


class _LoopBudget:
    """``range`` for templates: every range of one render shares a budget of items."""

    def __init__(self) -> None:
        self.left = MAX_LOOP_ITEMS

    def range(self, *args: int) -> range:
        numbers = range(*args)
        self.left -= len(numbers)
        if self.left < 0:
            raise _BudgetExceeded("loops are too long")
        return numbers


_ENV = _BoundedEnvironment(
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
    except (RecursionError, MemoryError):
        return TemplateFailure("template syntax error: nested too deeply", 1)


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
        return _bounded_render(template, context)
    except jinja2.TemplateError as error:
        message = getattr(error, "message", None) or str(error)
        return TemplateFailure(f"template error: {message}", _template_line(sys.exc_info()[2]))
    except Exception as error:  # a sandboxed template can still divide by zero and so on
        line = _template_line(sys.exc_info()[2])
        return TemplateFailure(f"template error: {type(error).__name__}: {error}", line)


def _bounded_render(template: jinja2.Template, context: Mapping[str, object]) -> str:
    """Render with a loop budget and an output cap (a template is user input)."""
    budget = _LoopBudget()
    chunks: list[str] = []
    size = 0
    for chunk in template.generate({**context, "range": budget.range}):
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise _BudgetExceeded(f"output is longer than {MAX_OUTPUT_CHARS} characters")
        chunks.append(chunk)
    return "".join(chunks)


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
