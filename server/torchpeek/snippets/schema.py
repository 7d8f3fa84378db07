"""The snippet schema: turns one located YAML item into a :class:`Snippet` plus its problems.

Field checks (required fields, types, patterns, params, imports, preview) run first; then the
body is rendered with its defaults (and with each choice of each parameter), parsed as LSP
snippet syntax, filled and parsed as Python, and linted for legacy PyTorch APIs. Every
problem carries the file line and column it belongs to. Unknown fields are warnings (they are
ignored); everything else is an error, and a snippet with an error is not served.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .imports import parse_import
from .lint import legacy_api_findings
from .locate import LocDict, LocList, Span
from .model import ERROR, WARNING, Param, Preview, Problem, Snippet
from .render import TemplateFailure, render_template
from .syntax import SnippetSyntaxError, fill_nodes, offset_to_line_col, parse_snippet

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
PREFIX_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
REQUIRED_FIELDS = ("id", "prefix", "title", "description", "category", "body", "preview")
OPTIONAL_FIELDS = ("tags", "params", "imports")
PARAM_FIELDS = ("default", "description", "choices")
PREVIEW_FIELDS = ("setup", "after", "expr", "expect")
EXPECT_FIELDS = ("shape", "dtype", "device", "kind", "error")
_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "an int"),
    (float, "a float"),
    (str, "a string"),
    (dict, "a mapping"),
    (list, "a list"),
)
_JINJA_RESERVED = {"true", "false", "none", "True", "False", "None", "loop", "self", "caller"}


@dataclass(frozen=True)
class SourceText:
    """The file a snippet item comes from: its path and its lines (for column lookups)."""

    path: str
    lines: tuple[str, ...] = ()

    def indent_at(self, line: int) -> int:
        """Leading spaces of 1-based ``line``; 0 if unknown."""
        if 1 <= line <= len(self.lines):
            text = self.lines[line - 1]
            return len(text) - len(text.lstrip(" "))
        return 0


@dataclass(frozen=True)
class TextOrigin:
    """Where a block of code text starts in the file, to map its own lines onto file lines."""

    path: str
    line: int
    col: int

    def at(self, line: int, col: int, message: str, severity: str = ERROR) -> Problem:
        """A problem at 1-based (``line``, ``col``) of the text."""
        file_col = self.col + max(col, 1) - 1
        return Problem(self.path, self.line + max(line, 1) - 1, file_col, message, severity)


def origin_of(source: SourceText, span: Span) -> TextOrigin:
    """Where the text of a scalar value starts."""
    if span.style in ("|", ">"):
        return TextOrigin(source.path, span.text_line, source.indent_at(span.text_line) + 1)
    quoted = 1 if span.style in ('"', "'") else 0
    return TextOrigin(source.path, span.line, span.col + quoted)


@dataclass
class _Checker:
    """Collects problems for one item."""

    source: SourceText
    problems: list[Problem] = field(default_factory=list)

    def add(self, span: Span, message: str, severity: str = ERROR) -> None:
        self.problems.append(Problem(self.source.path, span.line, span.col, message, severity))

    @property
    def failed(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    for kind, name in _TYPE_NAMES:
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"


def _string(check: _Checker, item: LocDict, key: str, required: bool = True) -> str:
    value = item.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        what = "a non-empty string" if required else "a string"
        check.add(item.value_span(key), f"'{key}' must be {what}, not {_type_name(value)}")
        return ""
    return value


def _string_list(check: _Checker, item: LocDict, key: str) -> tuple[str, ...]:
    value = item.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        check.add(item.value_span(key), f"'{key}' must be a list of strings")
        return ()
    for index, entry in enumerate(value):
        if not isinstance(entry, str):
            span = value.item_span(index) if isinstance(value, LocList) else item.value_span(key)
            check.add(span, f"'{key}' entries must be strings, not {_type_name(entry)}")
    return tuple(entry for entry in value if isinstance(entry, str))


def _check_fields(check: _Checker, item: LocDict) -> None:
    for key in item:
        if key not in REQUIRED_FIELDS and key not in OPTIONAL_FIELDS:
            check.add(item.key_span(key), f"unknown field {key!r} (ignored)", WARNING)
    for key in REQUIRED_FIELDS:
        if key not in item:
            check.add(item.span, f"missing required field {key!r}")


def _snippet_id(check: _Checker, item: LocDict) -> str:
    value = item.get("id")
    if "id" in item and isinstance(value, str) and not ID_PATTERN.match(value):
        check.add(item.value_span("id"), f"id {value!r} must match {ID_PATTERN.pattern}")
        return ""
    return _string(check, item, "id") if "id" in item else ""


def _prefixes(check: _Checker, item: LocDict) -> tuple[str, ...]:
    if "prefix" not in item:
        return ()
    value = item["prefix"]
    prefixes = (value,) if isinstance(value, str) else _string_list(check, item, "prefix")
    if not prefixes and not check.failed:
        check.add(item.value_span("prefix"), "'prefix' must be a string or a non-empty list")
    for index, prefix in enumerate(prefixes):
        if not PREFIX_PATTERN.match(prefix):
            span = item.value_span("prefix")
            if isinstance(value, LocList):
                span = value.item_span(index)
            check.add(span, f"prefix {prefix!r} must match {PREFIX_PATTERN.pattern}")
    return prefixes


def _description(check: _Checker, item: LocDict) -> dict[str, str]:
    value = item.get("description")
    if "description" not in item:
        return {}
    if not isinstance(value, dict):
        message = f"'description' must be a mapping with 'en' (and 'ko'), not {_type_name(value)}"
        check.add(item.value_span("description"), message)
        return {}
    if not isinstance(value.get("en"), str) or not value["en"].strip():
        span = value.value_span("en") if isinstance(value, LocDict) else item.span
        check.add(span, "'description' needs an 'en' text")
    for locale, text in value.items():
        if not isinstance(text, str):
            span = value.value_span(locale) if isinstance(value, LocDict) else item.span
            check.add(span, f"description {locale!r} must be a string, not {_type_name(text)}")
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


def _title(check: _Checker, item: LocDict) -> str:
    title = _string(check, item, "title") if "title" in item else ""
    if "\n" in title.strip():
        check.add(item.value_span("title"), "'title' must be a single line")
    return title.strip()


def _param(check: _Checker, name: object, spec: object, span: Span) -> Param | None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        check.add(span, f"param name {name!r} must be a Python identifier")
        return None
    if name in _JINJA_RESERVED:
        check.add(span, f"param name {name!r} is reserved in Jinja2")
        return None
    if not isinstance(spec, LocDict):
        check.add(span, f"param {name!r} must be a mapping with a 'default'")
        return None
    for key in spec:
        if key not in PARAM_FIELDS:
            check.add(spec.key_span(key), f"unknown param field {key!r} (ignored)", WARNING)
    if "default" not in spec:
        check.add(spec.span, f"param {name!r} has no 'default'")
        return None
    return _param_choices(check, name, spec)


def _param_choices(check: _Checker, name: str, spec: LocDict) -> Param | None:
    description = _string(check, spec, "description", required=False)
    choices = spec.get("choices", [])
    if not isinstance(choices, list) or ("choices" in spec and not choices):
        check.add(spec.value_span("choices"), f"param {name!r}: 'choices' must be a non-empty list")
        return None
    if choices and spec["default"] not in choices:
        message = f"param {name!r}: default {spec['default']!r} is not one of its choices"
        check.add(spec.value_span("default"), message)
        return None
    return Param(name, spec["default"], description, tuple(choices))


def _params(check: _Checker, item: LocDict) -> tuple[Param, ...] | None:
    """The parameters, or None when one is broken (the body cannot be checked then)."""
    value = item.get("params")
    if value is None:
        return ()
    if not isinstance(value, LocDict):
        check.add(item.value_span("params"), "'params' must be a mapping of name -> {default}")
        return None
    params = [_param(check, name, spec, value.key_span(name)) for name, spec in value.items()]
    if any(param is None for param in params):
        return None
    return tuple(param for param in params if param is not None)


def _imports(check: _Checker, item: LocDict) -> tuple[str, ...]:
    imports = _string_list(check, item, "imports")
    value = item.get("imports")
    for index, line in enumerate(imports):
        span = value.item_span(index) if isinstance(value, LocList) else item.span
        if "\n" in line.strip() or parse_import(line) is None:
            check.add(span, f"import {line!r} is not a single import statement")
            continue
        for _, col, message in legacy_api_findings(line):
            check.add(Span(span.line, span.col + col - 1), message)
    return tuple(line.strip() for line in imports)


def _expect(check: _Checker, preview: LocDict) -> dict[str, object]:
    value = preview.get("expect")
    if value is None:
        return {}
    if not isinstance(value, LocDict):
        check.add(preview.value_span("expect"), "preview 'expect' must be a mapping")
        return {}
    for key, entry in value.items():
        span = value.value_span(key)
        if key not in EXPECT_FIELDS:
            check.add(value.key_span(key), f"unknown expect field {key!r} (ignored)", WARNING)
        elif key == "shape" and not _is_shape(entry):
            check.add(span, "expect 'shape' must be a list of non-negative ints")
        elif key != "shape" and not isinstance(entry, str):
            check.add(span, f"expect {key!r} must be a string, not {_type_name(entry)}")
    return dict(value)


def _is_shape(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value
    )


def _code_problems(origin: TextOrigin, code: str, what: str, mode: str = "exec") -> list[Problem]:
    """Python syntax errors and legacy API uses in a piece of code, mapped into the file."""
    try:
        ast.parse(code, mode=mode)
    except SyntaxError as error:
        message = f"{what} is not valid Python: {error.msg}"
        return [origin.at(error.lineno or 1, error.offset or 1, message)]
    return [origin.at(line, col, message) for line, col, message in legacy_api_findings(code)]


def _preview(check: _Checker, item: LocDict) -> Preview | None:
    value = item.get("preview")
    if "preview" not in item:
        return None
    if not isinstance(value, LocDict):
        check.add(item.value_span("preview"), "'preview' must be a mapping with at least 'expr'")
        return None
    for key in value:
        if key not in PREVIEW_FIELDS:
            check.add(value.key_span(key), f"unknown preview field {key!r} (ignored)", WARNING)
    if "expr" not in value:
        check.add(value.span, "preview needs an 'expr' (what the preview shows)")
    texts = {
        key: _string(check, value, key, required=key == "expr") if key in value else ""
        for key in PREVIEW_FIELDS[:3]
    }
    for key, text in texts.items():
        if text.strip():
            origin = origin_of(check.source, value.value_span(key))
            mode = "eval" if key == "expr" else "exec"
            check.problems += _code_problems(origin, text.strip("\n"), f"preview {key}", mode)
    return Preview(texts["setup"], texts["after"], texts["expr"].strip(), _expect(check, value))


def _variants(params: tuple[Param, ...]) -> list[tuple[str, dict[str, object]]]:
    """Default values, then each other choice of each parameter (both values of a flag)."""
    defaults = {param.name: param.default for param in params}
    variants: list[tuple[str, dict[str, object]]] = [("", defaults)]
    for param in params:
        choices = param.choices
        if not choices and isinstance(param.default, bool):
            choices = (param.default, not param.default)
        for choice in choices:
            if choice != param.default:
                label = f"with {param.name}={choice!r}: "
                variants.append((label, {**defaults, param.name: choice}))
    return variants


def _rendered_problems(
    origin: TextOrigin, rendered: str, label: str, code_severity: str
) -> list[Problem]:
    """Snippet syntax, Python syntax and legacy API problems of one rendered body."""
    try:
        tree = parse_snippet(rendered)
    except SnippetSyntaxError as error:
        line, col = offset_to_line_col(rendered, error.offset)
        return [origin.at(line + 1, col + 1, f"{label}body: bad snippet syntax: {error.message}")]
    filled = fill_nodes(tree.children)
    try:
        ast.parse(filled)
    except SyntaxError as error:
        message = f"{label}body (placeholders filled) is not valid Python: {error.msg}"
        return [origin.at(error.lineno or 1, error.offset or 1, message, code_severity)]
    return [
        origin.at(line, col, f"{label}{message}", code_severity)
        for line, col, message in legacy_api_findings(filled)
    ]


def check_body(
    body: str, params: tuple[Param, ...], origin: TextOrigin, code_severity: str = ERROR
) -> tuple[str, list[Problem]]:
    """Render ``body`` with defaults and each choice; the default rendering and all problems."""
    default_body = ""
    problems: list[Problem] = []
    for label, values in _variants(params):
        rendered = render_template(body, values)
        if isinstance(rendered, TemplateFailure):
            problems.append(origin.at(rendered.template_line, 1, f"{label}{rendered.message}"))
            if not label:
                break
            continue
        if not label:
            default_body = rendered
        problems += _rendered_problems(origin, rendered, label, code_severity)
    return default_body, _unique(problems)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[int, int, str]] = set()
    kept: list[Problem] = []
    for problem in problems:
        key = (problem.line, problem.col, problem.message.split(": ", 1)[-1])
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


@dataclass(frozen=True)
class _Fields:
    id: str
    prefixes: tuple[str, ...]
    title: str
    description: Mapping[str, str]
    category: str
    tags: tuple[str, ...]
    params: tuple[Param, ...] | None
    imports: tuple[str, ...]
    body: str
    preview: Preview | None


def _read_fields(check: _Checker, item: LocDict) -> _Fields:
    _check_fields(check, item)
    return _Fields(
        id=_snippet_id(check, item),
        prefixes=_prefixes(check, item),
        title=_title(check, item),
        description=_description(check, item),
        category=_string(check, item, "category") if "category" in item else "",
        tags=_string_list(check, item, "tags"),
        params=_params(check, item),
        imports=_imports(check, item),
        body=_string(check, item, "body") if "body" in item else "",
        preview=_preview(check, item),
    )


def build_snippet(
    item: object, span: Span, source: SourceText
) -> tuple[Snippet | None, list[Problem]]:
    """Validate one item of a ``snippets:`` list; the snippet is None when there is an error."""
    check = _Checker(source)
    if not isinstance(item, LocDict):
        check.add(span, f"each snippet must be a mapping, not {_type_name(item)}")
        return None, check.problems
    fields = _read_fields(check, item)
    origin = origin_of(source, item.value_span("body"))
    default_body = ""
    if fields.body and fields.params is not None:
        default_body, body_problems = check_body(fields.body, fields.params, origin)
        check.problems += body_problems
    if check.failed or fields.params is None:
        return None, check.problems
    snippet = Snippet(
        id=fields.id,
        prefixes=fields.prefixes,
        title=fields.title,
        description=fields.description,
        category=fields.category,
        tags=fields.tags,
        params=fields.params,
        imports=fields.imports,
        body=fields.body,
        preview=fields.preview,
        path=source.path,
        line=item.span.line,
        body_line=origin.line,
        default_body=default_body,
    )
    return snippet, check.problems
