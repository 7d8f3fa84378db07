"""One test per kind of schema problem: exact file:line:col and the message."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchpeek.snippets import Problem, load_file

PROBLEMS = Path(__file__).resolve().parent.parent / "data" / "snippets" / "problems"

# (file, line, col, message fragment, severity, ids that still load)
CASES = [
    ("yaml_syntax.yaml", 4, 10, "YAML: while parsing a flow sequence", "error", []),
    ("top_level_list.yaml", 1, 1, "top level must be a mapping", "error", []),
    ("no_snippets_key.yaml", 1, 1, "'snippets' must be a list", "error", []),
    (
        "item_not_mapping.yaml",
        2,
        5,
        "each snippet must be a mapping, not a string",
        "error",
        ["ok-one"],
    ),
    ("missing_field.yaml", 2, 5, "missing required field 'title'", "error", []),
    ("missing_preview.yaml", 2, 5, "missing required field 'preview'", "error", []),
    ("wrong_type.yaml", 7, 11, "'tags' must be a list of strings", "error", []),
    ("unknown_field.yaml", 7, 5, "unknown field 'author' (ignored)", "warning", ["unknown-field"]),
    ("bad_id.yaml", 2, 9, "id 'Bad_Id' must match", "error", []),
    ("bad_prefix.yaml", 3, 18, "prefix '9lives' must match", "error", []),
    ("no_en.yaml", 6, 7, "'description' needs an 'en' text", "error", []),
    ("param_no_default.yaml", 9, 9, "param 'size' has no 'default'", "error", []),
    ("default_not_in_choices.yaml", 9, 18, "default 'fast' is not one of its choices", "error", []),
    ("duplicate_id.yaml", 9, 1, "duplicate id 'twice'", "error", ["twice"]),
    ("duplicate_key.yaml", 5, 5, "duplicate key 'title'", "error", ["duplicate-key"]),
    ("template_syntax.yaml", 9, 7, "template syntax error", "error", []),
    ("template_undefined.yaml", 10, 7, "'missing_name' is undefined", "error", []),
    ("snippet_syntax.yaml", 9, 11, "bad snippet syntax: unclosed '${'", "error", []),
    ("not_python.yaml", 9, 11, "is not valid Python: '(' was never closed", "error", []),
    ("bad_import.yaml", 9, 9, "import 'torch.nn' is not a single import statement", "error", []),
    ("legacy_body.yaml", 11, 11, "legacy API: Variable(...)", "error", []),
    ("legacy_preview.yaml", 12, 9, "legacy API: nn.init.normal is deprecated", "error", []),
    (
        "choice_breaks.yaml",
        12,
        14,
        "with op='+': body (placeholders filled) is not valid",
        "error",
        [],
    ),
]


def _problems(name: str) -> tuple[list[str], list[Problem]]:
    snippets, problems = load_file(PROBLEMS / name)
    return [snippet.id for snippet in snippets], problems


@pytest.mark.parametrize(("name", "line", "col", "fragment", "severity", "loaded"), CASES)
def test_problem_location_and_message(
    name: str, line: int, col: int, fragment: str, severity: str, loaded: list[str]
) -> None:
    ids, problems = _problems(name)
    matching = [p for p in problems if fragment in p.message]
    assert matching, [str(p) for p in problems]
    problem = matching[0]
    assert (problem.line, problem.col, problem.severity) == (line, col, severity)
    assert str(problem).startswith(f"{PROBLEMS / name}:{line}:{col}: ")
    assert ids == loaded


def test_every_problem_file_is_covered() -> None:
    covered = {case[0] for case in CASES}
    assert covered == {path.name for path in PROBLEMS.glob("*.yaml")}


def test_broken_param_does_not_cascade_into_template_errors() -> None:
    _, problems = _problems("param_no_default.yaml")
    assert [p.message for p in problems] == ["param 'size' has no 'default'"]


def test_duplicate_id_names_the_first_definition() -> None:
    _, problems = _problems("duplicate_id.yaml")
    assert f"first defined at {PROBLEMS / 'duplicate_id.yaml'}:2" in problems[0].message


def test_every_choice_is_rendered_and_checked() -> None:
    _, problems = _problems("choice_breaks.yaml")
    assert len(problems) == 1, [str(p) for p in problems]


def test_problem_str_format() -> None:
    problem = Problem("a/b.yaml", 3, 7, "bad thing")
    assert str(problem) == "a/b.yaml:3:7: bad thing"
    assert problem.severity == "error"


def test_block_scalar_body_line_is_the_line_after_the_key(snippet_data: Path) -> None:
    snippets, problems = load_file(snippet_data / "good.yaml")
    assert problems == []
    (snippet,) = snippets
    assert snippet.line == 2
    assert snippet.body_line == 18


def test_flow_body_line_is_the_key_line() -> None:
    snippets, _ = load_file(PROBLEMS / "unknown_field.yaml")
    assert snippets[0].body_line == 8


def test_unreadable_and_undecodable_files_are_problems(tmp_path: Path) -> None:
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"snippets:\n  - id: \xff\xfe\n")
    snippets, problems = load_file(binary)
    assert snippets == []
    assert "not UTF-8" in problems[0].message
    snippets, problems = load_file(tmp_path / "missing.yaml")
    assert snippets == [] and "cannot read" in problems[0].message


def test_empty_file_is_a_problem(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    _, problems = load_file(empty)
    assert [(p.line, p.col) for p in problems] == [(1, 1)]
    assert "empty file" in problems[0].message


def test_preview_fields_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "preview.yaml"
    path.write_text(
        "snippets:\n"
        "  - id: p\n"
        "    prefix: p\n"
        "    title: P\n"
        "    description: {en: P.}\n"
        "    category: tensor\n"
        "    body: x = 1\n"
        "    preview:\n"
        "      setup: 'x = ('\n"
        "      expect: {shape: [2, -1], dtype: 3, colour: red}\n",
        encoding="utf-8",
    )
    _, problems = load_file(path)
    found = {(p.line, p.col, p.message, p.severity) for p in problems}
    assert (9, 7, "preview needs an 'expr' (what the preview shows)", "error") in found
    assert not any("'expr' must be" in p.message for p in problems)
    assert any(p.line == 9 and "preview setup is not valid Python" in p.message for p in problems)
    assert (10, 23, "expect 'shape' must be a list of non-negative ints", "error") in found
    assert (10, 39, "expect 'dtype' must be a string, not an int", "error") in found
    assert (10, 42, "unknown expect field 'colour' (ignored)", "warning") in found
