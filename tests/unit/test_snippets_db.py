"""Every snippet in the real built-in database renders, parses and uses no legacy API."""

from __future__ import annotations

import ast
import re

import pytest

from tests.worker.preview_support import free_names, imported_names, unique_variants
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


def _all_codes(snippet) -> list[str]:
    """The inserted code of every parameter value and choice of ``snippet``."""
    return [variant.code(snippet) for variant in unique_variants(snippet)]


@pytest.mark.parametrize(("file", "snippet_id"), ITEMS, ids=[i for _, i in ITEMS])
def test_fixture_never_provides_an_import_the_body_needs(file: str, snippet_id: str) -> None:
    snippet = BUILTIN_DB.snippets[snippet_id]
    declared = imported_names("\n".join(snippet.imports))
    from_setup = imported_names(snippet.preview.setup)
    for code in _all_codes(snippet):
        hidden = (free_names(code) & from_setup) - declared
        assert not hidden, (
            f"{snippet_id}: the body uses {sorted(hidden)} that only the setup imports"
        )


@pytest.mark.parametrize(("file", "snippet_id"), ITEMS, ids=[i for _, i in ITEMS])
def test_every_declared_import_is_used(file: str, snippet_id: str) -> None:
    snippet = BUILTIN_DB.snippets[snippet_id]
    used: set[str] = set()
    for code in _all_codes(snippet):
        used |= {node.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Name)}
    unused = imported_names("\n".join(snippet.imports)) - used
    assert not unused, f"{snippet_id} declares imports it never uses: {sorted(unused)}"


def test_no_prefix_is_shared_by_two_snippets() -> None:
    owners: dict[str, list[str]] = {}
    for snippet in BUILTIN_DB.snippets.values():
        for prefix in snippet.prefixes:
            owners.setdefault(prefix.lower(), []).append(snippet.id)
    shared = {prefix: ids for prefix, ids in owners.items() if len(ids) > 1}
    assert shared == {}


RETIRED_API = [
    re.compile(r"\btorch\.cuda\.amp\b"),
    re.compile(r"[(,]\s*pretrained\s*=(?!=)"),
    re.compile(r"(?<!utils)\.data\b"),
    re.compile(r"\bnn\.init\.[a-z_]*[a-z](?<!calculate_gain)\("),
]


@pytest.mark.parametrize(("file", "snippet_id"), ITEMS, ids=[i for _, i in ITEMS])
def test_no_retired_api_in_any_variant(file: str, snippet_id: str) -> None:
    snippet = BUILTIN_DB.snippets[snippet_id]
    for code in _all_codes(snippet):
        code = "\n".join(line.split("#")[0] for line in code.splitlines())
        found = [rule.pattern for rule in RETIRED_API if rule.search(code)]
        assert not found, f"{snippet_id}: {found}"
