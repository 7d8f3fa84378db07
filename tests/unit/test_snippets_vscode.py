"""VS Code snippet export and import, including the round trip."""

from __future__ import annotations

import json
from pathlib import Path

from torchpeek.snippets import Database, export_vscode, import_vscode, load_database
from torchpeek.snippets.vscode import slug, strip_jsonc


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_export_shape(snippet_data: Path) -> None:
    db = load_database([snippet_data / "good.yaml"], include_builtin=False)
    exported = export_vscode(db)
    entry = exported["Zeros shaped like another tensor"]
    assert entry == {
        "prefix": ["zl", "zeroslike"],
        "body": [
            "import torch",
            "",
            "${1:out} = torch.zeros_like(${2:x}, dtype=torch.float32)$0",
        ],
        "description": "A zero tensor with the shape, dtype and device of another.",
        "scope": "python",
        "torchpeekId": "zeros-like",
    }


def test_round_trip_of_the_builtin_db(tmp_path: Path) -> None:
    db = load_database()
    path = _write(tmp_path / "torchpeek.code-snippets", export_vscode(db))
    snippets, problems = import_vscode(path)
    assert [p for p in problems if p.is_error] == []
    assert len(snippets) == len(db.snippets)
    for original, imported in zip(db.snippets.values(), snippets, strict=True):
        assert imported.prefixes == original.prefixes
        assert imported.default_body == original.default_body
        assert imported.imports == original.imports
        assert imported.describe("en") == original.describe("en")
        assert imported.id.startswith("vscode-")
        assert imported.preview is None


def test_duplicate_titles_get_distinct_keys(snippet_data: Path) -> None:
    db = load_database([snippet_data / "good.yaml"], include_builtin=False)
    (snippet,) = db.snippets.values()
    from dataclasses import replace

    twin = replace(snippet, id="zeros-like-2")
    exported = export_vscode(Database({snippet.id: snippet, twin.id: twin}))
    assert list(exported) == [snippet.title, f"{snippet.title} (zeros-like-2)"]


def test_jsonc_comments_and_trailing_commas(snippet_data: Path) -> None:
    snippets, problems = import_vscode(snippet_data / "user" / "extra.code-snippets")
    assert [s.id for s in snippets] == ["vscode-print-shape"]
    assert snippets[0].default_body == "print(${1:x}.shape)$0"
    assert snippets[0].describe("ko") == "Print a tensor's shape"
    assert [(p.line, p.severity) for p in problems] == [(12, "warning")]


def test_strip_jsonc_keeps_strings_and_lines() -> None:
    text = '{\n  "a": "// not a comment, /* nor this */", // comment\n  "b": [1, 2,],\n}'
    stripped = strip_jsonc(text)
    assert json.loads(stripped) == {"a": "// not a comment, /* nor this */", "b": [1, 2]}
    assert stripped.count("\n") == text.count("\n")


def test_json_error_has_a_location(tmp_path: Path) -> None:
    path = tmp_path / "bad.code-snippets"
    path.write_text('{\n  "x": {\n    "prefix": "x"\n    "body": "y"\n  }\n}\n', encoding="utf-8")
    snippets, problems = import_vscode(path)
    assert snippets == []
    assert (problems[0].line, problems[0].col) == (4, 5)
    assert problems[0].message.startswith("JSON: ")


def test_bad_snippet_syntax_is_an_error_with_the_body_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        '{\n  "Broken": {\n    "prefix": "br",\n    "body": ["x = ${1:a"]\n  }\n}\n',
        encoding="utf-8",
    )
    snippets, problems = import_vscode(path)
    assert snippets == []
    assert [(p.line, p.severity) for p in problems] == [(4, "error")]
    assert "unclosed '${'" in problems[0].message


def test_non_python_body_is_only_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path / "frag.json", {"Else": {"prefix": "el", "body": ["else:", "\t$0"]}})
    snippets, problems = import_vscode(path)
    assert [s.id for s in snippets] == ["vscode-else"]
    assert problems and all(p.severity == "warning" for p in problems)


def test_jinja_lookalikes_survive_import(tmp_path: Path) -> None:
    body = ["d = {{'a': 1}}$0"]
    path = _write(tmp_path / "j.json", {"Dict": {"prefix": "dd", "body": body}})
    snippets, problems = import_vscode(path)
    assert problems == []
    assert snippets[0].default_body == body[0]


def test_ids_are_slugs_and_unique(tmp_path: Path) -> None:
    data = {
        "Train loop (AMP)": {"prefix": "a", "body": "x"},
        "train loop amp": {"prefix": "b", "body": "y"},
    }
    snippets, _ = import_vscode(_write(tmp_path / "ids.json", data))
    assert [s.id for s in snippets] == ["vscode-train-loop-amp", "vscode-train-loop-amp-2"]
    assert slug("  ") == "snippet"


def test_missing_prefix_or_body(tmp_path: Path) -> None:
    snippets, problems = import_vscode(_write(tmp_path / "m.json", {"X": {"body": "x"}}))
    assert snippets == []
    assert "needs a 'prefix' and a 'body'" in problems[0].message
