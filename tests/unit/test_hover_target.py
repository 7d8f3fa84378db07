"""What the server asks the worker for a hover: the expression under the cursor and the project paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchpeek.sandbox.program import build_program, hovered_expression
from torchpeek.sandbox.project import RecordedValues, project_paths


@pytest.mark.parametrize(
    ("line", "column", "expected"),
    [
        ("g = model[0].weight.grad", 22, "model[0].weight.grad"),
        ("return self.fc(h)", 15, "h"),
        ("return self.fc(h)", 12, "self.fc"),
        ("q = a[i][j].T", 12, "a[i][j].T"),
        ("y = cfg . n_embd", 12, "cfg.n_embd"),
        ("z = self.blocks[0].attn", 20, "self.blocks[0].attn"),
    ],
)
def test_hovered_expression_keeps_chains_and_subscripts(
    line: str, column: int, expected: str
) -> None:
    found = hovered_expression(line, column)
    assert found is not None and found[0] == expected
    assert line[found[1] : found[2]].replace(" ", "") == expected


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("x = foo(a).shape", 12),  # a call on the chain: only a selection evaluates it
        ("v = 1.5", 5),  # a number
        ("for i in y:", 1),  # a keyword
    ],
)
def test_nothing_is_hovered_on_call_chains_numbers_keywords(line: str, column: int) -> None:
    assert hovered_expression(line, column) is None


def test_a_selection_is_evaluated_as_given() -> None:
    program = build_program("import torch\nx = torch.ones(2)\n", 1, 0, expr="x.sum(0)")
    assert program is not None and program.expr == "x.sum(0)" and program.target_line == 2


def test_positions_outside_the_document_give_nothing() -> None:
    assert build_program("x = 1\n", 5, 0) is None
    assert build_program("x = 1\n", -1, 0) is None


def test_project_paths_make_siblings_importable_and_readable(tmp_path: Path) -> None:
    package = tmp_path / "proj" / "models"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (tmp_path / "proj" / "src").mkdir()
    paths = project_paths(str(package / "net.py"), (str(tmp_path / "proj"),))
    assert paths["cwd"] == str(package)
    assert paths["sys_path"][:2] == [str(package), str(tmp_path / "proj")]
    assert str(tmp_path / "proj" / "src") in paths["sys_path"]
    assert set(paths["read_roots"]) == {str(package), str(tmp_path / "proj")}


def test_the_home_folder_is_never_a_readable_root() -> None:
    home = str(Path.home())
    paths = project_paths(str(Path.home() / "scratch.py"), (home, "/"))
    assert paths["read_roots"] == []


def test_recorded_values_answer_only_assigned_names() -> None:
    recorded = RecordedValues()
    value = {"kind": "Tensor", "size": "torch.Size([2])"}
    recorded.keep("file:///a.py", 3, {"ok": True, "recorded": {"7": {"h": value}}})
    assert recorded.lookup("file:///a.py", 3, 7, "h")["value"] == value  # type: ignore[index]
    assert recorded.lookup("file:///a.py", 4, 7, "h") is None
