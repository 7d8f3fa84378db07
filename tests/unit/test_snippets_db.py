"""Every snippet in the real built-in database renders, parses and uses no legacy API."""

from __future__ import annotations

import ast

import pytest

from torchpeek.snippets import (
    builtin_db_path,
    fill_placeholders,
    legacy_api_findings,
    load_database,
    load_file,
    parse_snippet,
    render_snippet,
)
from torchpeek.snippets.loader import source_files


def _builtin_items() -> list[tuple[str, str]]:
    """(file, id) of every snippet the built-in files define, loaded or not."""
    items: list[tuple[str, str]] = []
    for path in source_files(builtin_db_path()):
        snippets, _ = load_file(path)
        items += [(path.name, snippet.id) for snippet in snippets]
    return items


BUILTIN_DB = load_database()
ITEMS = _builtin_items()


def test_builtin_db_path_is_the_repo_folder() -> None:
    path = builtin_db_path()
    assert path.is_dir()
    assert (path / "README.md").is_file()


def test_builtin_db_has_snippets() -> None:
    assert BUILTIN_DB.snippets, "snippets_db/ holds no loadable snippet"


def test_builtin_db_loads_without_problems() -> None:
    assert [str(problem) for problem in BUILTIN_DB.problems] == []


@pytest.mark.parametrize(("file", "snippet_id"), ITEMS, ids=[i for _, i in ITEMS])
def test_builtin_snippet(file: str, snippet_id: str) -> None:
    snippet = BUILTIN_DB.snippets[snippet_id]
    assert snippet.path.endswith(file)
    rendered = render_snippet(snippet)
    tree = parse_snippet(rendered)
    assert tree.children
    code = fill_placeholders(rendered)
    ast.parse(code)
    assert legacy_api_findings(code) == []
    assert legacy_api_findings("\n".join(snippet.imports)) == []
    for line in snippet.imports:
        ast.parse(line)
    assert snippet.preview is not None
    assert snippet.preview.expr
    ast.parse(snippet.preview.expr, mode="eval")
    assert legacy_api_findings(snippet.preview.setup + "\n" + snippet.preview.after) == []
    assert snippet.describe("en")


@pytest.mark.parametrize(("file", "snippet_id"), ITEMS, ids=[i for _, i in ITEMS])
def test_builtin_snippet_choices_render(file: str, snippet_id: str) -> None:
    snippet = BUILTIN_DB.snippets[snippet_id]
    for param in snippet.params:
        for choice in param.choices:
            code = fill_placeholders(render_snippet(snippet, {param.name: choice}))
            ast.parse(code)
