"""Loading the snippet database: the built-in YAML files, then user files and folders.

Loading never raises: every file that cannot be read, every YAML error and every schema
problem becomes a :class:`Problem`, and the rest still loads. Later sources override earlier
ones by id (a user folder replaces a built-in snippet); a duplicate id within one source (the
built-in folder, one user folder, one file) is an error at the second definition. Each file's
result is cached on disk by its modification time, so restarts skip unchanged files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .cache import cached_load
from .locate import LocDict, LocList, load_located
from .model import Database, Problem, Snippet
from .schema import SourceText, build_snippet

SNIPPET_SUFFIXES = (".yaml", ".yml", ".code-snippets", ".json")
_VSCODE_SUFFIXES = (".code-snippets", ".json")
MAX_FILE_BYTES = 4 * 1024 * 1024


def builtin_db_path() -> Path:
    """The packaged database (``torchpeek/_db`` in a wheel), else the repo's ``snippets_db/``."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "_db"
    if packaged.is_dir():
        return packaged
    return package.parent.parent / "snippets_db"


def _read_text(path: Path) -> tuple[str | None, Problem | None]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, Problem(str(path), 1, 1, f"file is larger than {MAX_FILE_BYTES} bytes")
        return path.read_text(encoding="utf-8"), None
    except UnicodeDecodeError as error:
        return None, Problem(str(path), 1, 1, f"not UTF-8 text: {error.reason}")
    except OSError as error:
        return None, Problem(str(path), 1, 1, f"cannot read: {error.strerror or error}")


def _items(document: object, path: str) -> tuple[LocList | None, list[Problem]]:
    """The ``snippets:`` list of a parsed file, or a problem saying why there is none."""
    if document is None:
        return None, [Problem(path, 1, 1, "empty file: expected a mapping with a 'snippets:' list")]
    if not isinstance(document, LocDict):
        span = getattr(document, "span", None)
        line, col = (span.line, span.col) if span else (1, 1)
        return None, [Problem(path, line, col, "top level must be a mapping with 'snippets:'")]
    problems = [
        Problem(
            path,
            document.key_span(k).line,
            document.key_span(k).col,
            f"unknown top-level key {k!r} (ignored)",
            "warning",
        )
        for k in document
        if k != "snippets"
    ]
    items = document.get("snippets")
    if not isinstance(items, LocList):
        span = document.value_span("snippets") if "snippets" in document else document.span
        problems.append(Problem(path, span.line, span.col, "'snippets' must be a list"))
        return None, problems
    return items, problems


def _load_yaml(path: str, text: str) -> tuple[list[Snippet], list[Problem]]:
    document, problems = load_located(text, path)
    if problems and document is None:
        return [], problems
    items, found = _items(document, path)
    problems += found
    if items is None:
        return [], problems
    source = SourceText(path, tuple(text.splitlines()))
    snippets: list[Snippet] = []
    for index, item in enumerate(items):
        snippet, item_problems = _build_guarded(item, items, index, source)
        problems += item_problems
        if snippet is not None:
            snippets.append(snippet)
    return snippets, problems


def _build_guarded(
    item: object, items: LocList, index: int, source: SourceText
) -> tuple[Snippet | None, list[Problem]]:
    """build_snippet, with any unforeseen failure turned into a problem at the item."""
    span = items.item_span(index)
    try:
        return build_snippet(item, span, source)
    except (RecursionError, MemoryError) as error:
        message = f"snippet too large or nested too deeply to check ({type(error).__name__})"
    except Exception as error:  # errors are values: one odd item must not stop the load
        message = f"internal error while checking this snippet: {type(error).__name__}: {error}"
    return None, [Problem(source.path, span.line, span.col, message)]


def load_file(path: str | Path) -> tuple[list[Snippet], list[Problem]]:
    """Snippets and problems of one file (YAML, or VS Code JSON by suffix); never raises.

    Unchanged files come from the on-disk cache (:mod:`.cache`) instead of being checked again.
    """
    return cached_load(Path(path), _load_file)


def _load_file(path: Path) -> tuple[list[Snippet], list[Problem]]:
    name = str(path)
    if Path(path).suffix in _VSCODE_SUFFIXES:
        from .vscode import import_vscode

        snippets, problems = import_vscode(path)
    else:
        text, problem = _read_text(Path(path))
        if text is None:
            return [], [problem] if problem else []
        snippets, problems = _load_yaml(name, text)
    kept, duplicates = _drop_duplicates(snippets)
    return kept, problems + duplicates


def _drop_duplicates(snippets: list[Snippet]) -> tuple[list[Snippet], list[Problem]]:
    """Keep the first snippet of each id; a problem at every later one."""
    first: dict[str, Snippet] = {}
    problems: list[Problem] = []
    for snippet in snippets:
        if snippet.id in first:
            where = first[snippet.id]
            message = f"duplicate id {snippet.id!r} (first defined at {where.path}:{where.line})"
            problems.append(Problem(snippet.path, snippet.line, 1, message))
        else:
            first[snippet.id] = snippet
    return list(first.values()), problems


def source_files(path: Path) -> list[Path]:
    """The snippet files of a folder (sorted), or the file itself."""
    if path.is_dir():
        files = [p for p in path.iterdir() if p.is_file() and p.suffix in SNIPPET_SUFFIXES]
        return sorted(files)
    return [path]


def load_source(path: str | Path) -> tuple[list[Snippet], list[Problem], list[str]]:
    """One source (a folder or a file): its snippets with duplicate ids removed, problems, files."""
    location = Path(path)
    if not location.exists():
        return [], [Problem(str(path), 1, 1, "snippet path does not exist")], []
    snippets: list[Snippet] = []
    problems: list[Problem] = []
    files = source_files(location)
    for file in files:
        found, file_problems = load_file(file)
        snippets += found
        problems += file_problems
    kept, duplicates = _drop_duplicates(snippets)
    return kept, problems + duplicates, [str(file) for file in files]


def load_database(extra_paths: Sequence[str | Path] = (), include_builtin: bool = True) -> Database:
    """The built-in snippets, then each extra path in order; later ids replace earlier ones."""
    database = Database()
    sources: list[str | Path] = [builtin_db_path()] if include_builtin else []
    for source in [*sources, *extra_paths]:
        snippets, problems, files = load_source(source)
        for snippet in snippets:
            database.snippets[snippet.id] = snippet
        database.problems += problems
        database.sources += files
    return database
