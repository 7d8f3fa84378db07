"""VS Code snippet files: export the database as ``.code-snippets`` JSON, and import them back.

VS Code cannot add imports, so an exported body carries the snippet's imports on top; on
import, leading import lines are split off again, so export -> import keeps prefix, body and
description. VS Code files allow ``//`` and ``/* */`` comments and trailing commas, which are
blanked out (keeping line numbers) before ``json.loads``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from .imports import parse_import
from .model import WARNING, Database, Problem, Snippet
from .schema import TextOrigin, check_body
from .syntax import escape_text

_JINJA_MARKERS = ("{{", "{%", "{#")
MAX_FILE_BYTES = 4 * 1024 * 1024
_SLUG = re.compile(r"[^a-z0-9]+")


def _unique_key(title: str, snippet_id: str, taken: Mapping[str, object]) -> str:
    return title if title not in taken else f"{title} ({snippet_id})"


def _export_body(snippet: Snippet) -> list[str]:
    body = snippet.default_body.split("\n")
    if not snippet.imports:
        return body
    return [escape_text(line) for line in snippet.imports] + [""] + body


# VS Code ignores properties it does not know; this one tells torchpeek its own export apart.
EXPORT_MARK = "torchpeekId"


def export_vscode(db: Database) -> dict[str, dict[str, object]]:
    """The database as a VS Code ``.code-snippets`` object, keyed by title."""
    exported: dict[str, dict[str, object]] = {}
    for snippet in db.snippets.values():
        key = _unique_key(snippet.title, snippet.id, exported)
        exported[key] = {
            "prefix": list(snippet.prefixes),
            "body": _export_body(snippet),
            "description": snippet.describe("en"),
            "scope": "python",
            EXPORT_MARK: snippet.id,
        }
    return exported


def exported_prefixes(path: str | Path) -> set[str]:
    """The prefixes of a ``.code-snippets`` file that torchpeek exported (empty for others)."""
    try:
        data = json.loads(strip_jsonc(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return set()
    if not isinstance(data, dict):
        return set()
    found: set[str] = set()
    for entry in data.values():
        if isinstance(entry, dict) and EXPORT_MARK in entry:
            prefix = entry.get("prefix")
            found.update([prefix] if isinstance(prefix, str) else list(prefix or []))
    return found


def strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas -> JSON; positions and newlines are kept."""
    out = list(text)
    index, length = 0, len(text)
    last_comma: int | None = None
    while index < length:
        char = text[index]
        if char == '"':
            index = _skip_string(text, index)
            last_comma = None
            continue
        if text.startswith("//", index) or text.startswith("/*", index):
            index = _blank_comment(text, out, index)
            continue
        if char in "}]" and last_comma is not None:
            out[last_comma] = " "
        if not char.isspace():
            last_comma = index if char == "," else None
        index += 1
    return "".join(out)


def _skip_string(text: str, index: int) -> int:
    index += 1
    while index < len(text) and text[index] != '"':
        index += 2 if text[index] == "\\" else 1
    return index + 1


def _blank_comment(text: str, out: list[str], index: int) -> int:
    if text.startswith("//", index):
        end = text.find("\n", index)
        end = len(text) if end < 0 else end
    else:
        end = text.find("*/", index + 2)
        end = len(text) if end < 0 else end + 2
    for position in range(index, end):
        if out[position] != "\n":
            out[position] = " "
    return end


def slug(text: str) -> str:
    """Lowercase words joined by dashes: "Train loop (AMP)" -> "train-loop-amp"."""
    return _SLUG.sub("-", text.lower()).strip("-") or "snippet"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(offset, 0)) + 1


def _locate_key(text: str, key: str, start: int) -> int:
    match = re.compile(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:").search(text, start)
    return match.start() if match else start


def _as_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "\n".join(value)
    return None


def _split_imports(body: str) -> tuple[tuple[str, ...], str]:
    """Leading import lines that export put on top (followed by a blank line), and the rest."""
    lines = body.split("\n")
    count = 0
    while count < len(lines) and _is_plain_import(lines[count]):
        count += 1
    has_separator = count < len(lines) and not lines[count].strip()
    rest = "\n".join(lines[count + 1 :])
    if count == 0 or not has_separator or not rest.strip():
        return (), body
    return tuple(line.strip() for line in lines[:count]), rest


def _is_plain_import(line: str) -> bool:
    return "$" not in line and "\\" not in line and parse_import(line) is not None


def _as_template(body: str) -> str:
    """Snippet text as a Jinja2 template that renders to exactly that text."""
    if any(marker in body for marker in _JINJA_MARKERS):
        return "{% raw %}" + body + "{% endraw %}"
    return body


def _prefixes(value: object) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(p, str) for p in value):
        return tuple(value)
    return None


def _wants_python(entry: dict[str, object]) -> bool:
    scope = entry.get("scope")
    if not isinstance(scope, str) or not scope.strip():
        return True
    return "python" in [part.strip() for part in scope.split(",")]


class _Importer:
    """Turns the entries of one parsed VS Code file into snippets."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.cursor = 0
        self.ids: set[str] = set()
        self.problems: list[Problem] = []

    def problem(self, offset: int, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, _line_of(self.text, offset), 1, message, severity))

    def unique_id(self, key: str) -> str:
        base = "vscode-" + slug(key)
        snippet_id, number = base, 2
        while snippet_id in self.ids:
            snippet_id, number = f"{base}-{number}", number + 1
        self.ids.add(snippet_id)
        return snippet_id

    def entry(self, key: str, entry: object) -> Snippet | None:
        offset = _locate_key(self.text, key, self.cursor)
        self.cursor = offset + 1
        if not isinstance(entry, dict):
            self.problem(offset, f"snippet {key!r} must be an object")
            return None
        if not _wants_python(entry):
            self.problem(offset, f"snippet {key!r} is not for python (skipped)", WARNING)
            return None
        prefixes = _prefixes(entry.get("prefix"))
        body = _as_text(entry.get("body"))
        if prefixes is None or body is None:
            self.problem(offset, f"snippet {key!r} needs a 'prefix' and a 'body'")
            return None
        return self.build(key, entry, offset, prefixes, body)

    def build(
        self, key: str, entry: dict[str, object], offset: int, prefixes: tuple[str, ...], body: str
    ) -> Snippet | None:
        imports, rest = _split_imports(body)
        body_line = _line_of(self.text, _locate_key(self.text, "body", offset))
        template = _as_template(rest)
        origin = TextOrigin(self.path, body_line, 1)
        default_body, problems = check_body(template, (), origin, code_severity=WARNING)
        self.problems += problems
        if any(p.is_error for p in problems):
            return None
        description = _as_text(entry.get("description")) or ""
        return Snippet(
            id=self.unique_id(key),
            prefixes=prefixes,
            title=key,
            description={"en": description},
            category="user",
            tags=(),
            params=(),
            imports=imports,
            body=template,
            preview=None,
            path=self.path,
            line=_line_of(self.text, offset),
            body_line=body_line,
            default_body=default_body,
        )


def _parse_json(path: str, text: str) -> tuple[object, list[Problem]]:
    try:
        return json.loads(strip_jsonc(text)), []
    except json.JSONDecodeError as error:
        return None, [Problem(path, error.lineno, error.colno, f"JSON: {error.msg}")]
    except RecursionError:
        return None, [Problem(path, 1, 1, "JSON: nested too deeply")]


def import_vscode(path: str | Path) -> tuple[list[Snippet], list[Problem]]:
    """Snippets of a VS Code ``.code-snippets`` / ``.json`` file; never raises."""
    name = str(path)
    try:
        if Path(path).stat().st_size > MAX_FILE_BYTES:
            return [], [Problem(name, 1, 1, f"file is larger than {MAX_FILE_BYTES} bytes")]
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        return [], [Problem(name, 1, 1, f"cannot read: {error}")]
    data, problems = _parse_json(name, text)
    if problems:
        return [], problems
    if not isinstance(data, dict):
        return [], [Problem(name, 1, 1, "top level must be an object of snippets")]
    importer = _Importer(name, text)
    snippets: list[Snippet] = []
    for key, entry in data.items():
        snippet = _guarded_entry(importer, key, entry)
        if snippet is not None:
            snippets.append(snippet)
    return snippets, importer.problems


def _guarded_entry(importer: _Importer, key: str, entry: object) -> Snippet | None:
    """importer.entry, with any unforeseen failure turned into a problem."""
    try:
        return importer.entry(key, entry)
    except Exception as error:  # errors are values: one odd entry must not stop the load
        importer.problem(importer.cursor, f"snippet {key!r}: {type(error).__name__}: {error}")
        return None
