"""Loading sources in order: built-in first, later sources override by id, problems not crashes."""

from __future__ import annotations

from pathlib import Path

from torchpeek.snippets import Database, load_database, load_file


def _load(data: Path, *names: str) -> Database:
    return load_database([data / name for name in names], include_builtin=False)


def test_later_source_overrides_earlier_by_id(snippet_data: Path) -> None:
    db = _load(snippet_data, "builtin", "user")
    shared = db.snippets["shared"]
    assert shared.title == "User override"
    assert shared.prefixes == ("sh", "mine")
    assert db.snippets["only-builtin"].path.endswith("a.yaml")
    assert not any(
        Path(p.path).parent.name == "user" and "duplicate" in p.message for p in db.problems
    )


def test_override_keeps_the_position_of_the_first_definition(snippet_data: Path) -> None:
    db = _load(snippet_data, "builtin", "user")
    assert list(db.snippets)[:3] == ["shared", "only-builtin", "only-b"]


def test_order_of_sources_decides_the_winner(snippet_data: Path) -> None:
    db = _load(snippet_data, "user", "builtin")
    assert db.snippets["shared"].title == "Built-in shared"


def test_duplicate_in_the_same_source_is_an_error_at_the_second(snippet_data: Path) -> None:
    db = _load(snippet_data, "builtin")
    duplicates = [p for p in db.problems if "duplicate id 'shared'" in p.message]
    assert len(duplicates) == 1
    assert duplicates[0].path.endswith("b.yaml")
    assert duplicates[0].line == 9
    assert db.snippets["shared"].title == "Built-in shared"


def test_folder_files_are_sorted_and_readme_is_skipped(snippet_data: Path) -> None:
    db = _load(snippet_data, "builtin", "user")
    names = [Path(source).name for source in db.sources]
    assert names == ["a.yaml", "b.yaml", "extra.code-snippets", "override.yaml"]


def test_vscode_files_in_a_user_folder_are_loaded(snippet_data: Path) -> None:
    db = _load(snippet_data, "user")
    snippet = db.snippets["vscode-print-shape"]
    assert snippet.prefixes == ("pshape",)
    assert snippet.category == "user"
    assert snippet.preview is None
    assert not any(s.title == "JS log" for s in db.snippets.values())


def test_missing_path_is_a_problem_not_a_crash(snippet_data: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    db = load_database([missing, snippet_data / "good.yaml"], include_builtin=False)
    assert [str(p) for p in db.problems] == [f"{missing}:1:1: snippet path does not exist"]
    assert list(db.snippets) == ["zeros-like"]


def test_a_single_file_source(snippet_data: Path) -> None:
    db = _load(snippet_data, "good.yaml")
    assert db.sources == [str(snippet_data / "good.yaml")]
    assert db.by_prefix()["zl"][0].id == "zeros-like"


def test_broken_items_do_not_stop_the_rest_of_the_file(snippet_data: Path) -> None:
    snippets, problems = load_file(snippet_data / "problems" / "item_not_mapping.yaml")
    assert [s.id for s in snippets] == ["ok-one"]
    assert len(problems) == 1


def test_builtin_comes_first_and_user_overrides_it(snippet_data: Path, tmp_path: Path) -> None:
    builtin = load_database()
    some_id = next(iter(builtin.snippets))
    override = tmp_path / "mine.yaml"
    override.write_text(
        "snippets:\n"
        f"  - id: {some_id}\n"
        "    prefix: mine\n"
        "    title: Mine\n"
        "    description: {en: Mine.}\n"
        "    category: user\n"
        "    body: x = 1\n"
        "    preview: {expr: x}\n",
        encoding="utf-8",
    )
    db = load_database([tmp_path])
    assert db.snippets[some_id].title == "Mine"
    assert len(db.snippets) == len(builtin.snippets)
    assert db.sources[-1] == str(override)


def test_snippet_fields(snippet_data: Path) -> None:
    (snippet,), _ = load_file(snippet_data / "good.yaml")
    assert snippet.prefixes == ("zl", "zeroslike")
    assert snippet.tags == ("zeros", "like")
    assert snippet.imports == ("import torch",)
    assert snippet.params[0].choices == ("float32", "float16")
    assert snippet.preview is not None
    assert snippet.preview.expect == {"shape": [2, 3], "dtype": "torch.float32"}
    assert snippet.preview.setup == "x = torch.ones(2, 3)\n"
    assert snippet.default_body == "${1:out} = torch.zeros_like(${2:x}, dtype=torch.float32)$0"
    assert snippet.describe("ko-KR") == "다른 텐서와 같은 모양의 0 텐서."
    assert snippet.describe("fr") == "A zero tensor with the shape, dtype and device of another."
