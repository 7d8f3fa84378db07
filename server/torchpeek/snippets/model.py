"""Plain data types of the snippet database: snippets, their parameters and previews, and problems.

Everything here is a frozen dataclass except :class:`Database`, which the loader fills in.
Nothing in this package talks LSP; the server turns these values into completion items,
hover text and diagnostics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a snippet source, with its 1-based location."""

    path: str
    line: int
    col: int
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


class SnippetError(Exception):
    """Raised by :func:`render_snippet` for bad parameter values or a template that fails."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Param:
    """A template parameter of a snippet body."""

    name: str
    default: object
    description: str = ""
    choices: tuple[object, ...] = ()


@dataclass(frozen=True)
class Preview:
    """The fixture a preview runs: ``setup``, imports, the body, ``after``; it shows ``expr``."""

    setup: str = ""
    after: str = ""
    expr: str = ""
    expect: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Snippet:
    """A validated snippet, ready to be served."""

    id: str
    prefixes: tuple[str, ...]
    title: str
    description: Mapping[str, str]
    category: str
    tags: tuple[str, ...]
    params: tuple[Param, ...]
    imports: tuple[str, ...]
    body: str
    preview: Preview | None
    path: str
    line: int
    body_line: int
    default_body: str

    def describe(self, locale: str) -> str:
        """The description in ``locale`` ("ko", "ko-KR", "en", ...), falling back to English."""
        language = locale.replace("_", "-").split("-")[0].lower()
        return self.description.get(language) or self.description.get("en", "")

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, if there is one."""
        return next((p for p in self.params if p.name == name), None)


@dataclass
class Database:
    """All loaded snippets by id (in load order), the problems found, and the files read."""

    snippets: dict[str, Snippet] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def by_prefix(self) -> dict[str, list[Snippet]]:
        """Snippets grouped by each of their prefixes."""
        table: dict[str, list[Snippet]] = {}
        for snippet in self.snippets.values():
            for prefix in snippet.prefixes:
                table.setdefault(prefix, []).append(snippet)
        return table

    def get(self, snippet_id: str) -> Snippet | None:
        """The snippet with this id, if loaded."""
        return self.snippets.get(snippet_id)

    @property
    def errors(self) -> list[Problem]:
        """Only the problems of severity "error"."""
        return [p for p in self.problems if p.is_error]
