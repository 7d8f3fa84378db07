"""Which edits keep a snapshot's statements: line alignment, skeletons and ``__main__`` blocks."""

from __future__ import annotations

import ast

from torchpeek.worker.layout import Layout, bodies, flat_body, is_main_guard, skeleton
from torchpeek.worker.snapshots import align, first_difference, in_functions

MODEL = """\
import torch


class Net(torch.nn.Module):
    def forward(self, x):
        h = x * 2
        return h


if __name__ == "__main__":
    net = Net()
    x = torch.zeros(2)
    y = net(x)
"""


def spans(source: str, count: int) -> list[list[object]]:
    return Layout.of(ast.parse(source)).to_json(count)


def test_a_main_block_counts_as_top_level_statements() -> None:
    layout = Layout.of(ast.parse(MODEL))
    assert [(s.first, s.last, s.guard) for s in layout.statements] == [
        (1, 1, None),
        (4, 7, None),
        (11, 11, 10),
        (12, 12, 10),
        (13, 13, 10),
    ]
    assert layout.count_before(13) == 4
    assert layout.statements[1].functions == 1


def test_only_a_plain_main_guard_is_opened() -> None:
    guarded = ast.parse('if __name__ == "__main__":\n    a = 1\nelse:\n    a = 2\n')
    assert not is_main_guard(guarded.body[0])
    assert len(flat_body(guarded)) == 1
    assert is_main_guard(ast.parse('if "__main__" == __name__:\n    a = 1\n').body[0])


def test_skeletons_ignore_function_bodies_and_positions() -> None:
    before = ast.parse("class A:\n    def f(self):\n        return 1\n").body[0]
    after = ast.parse("class A:\n\n    def f(self):\n        x = 2\n        return x\n").body[0]
    renamed = ast.parse("class A:\n    def g(self):\n        return 1\n").body[0]
    assert skeleton(before) == skeleton(after)
    assert skeleton(before) != skeleton(renamed)
    assert bodies(before) != bodies(after)
    assert bodies(before) == bodies(
        ast.parse("class A:\n    def f(self):  # x\n        return 1\n").body[0]
    )


def test_unchanged_held_lines_align_exactly() -> None:
    old = MODEL.splitlines()
    new = [*old[:12], "    y = net(x) + 1"]
    assert align(old, new, 12, spans(MODEL, 4)) == {"delta": 0, "changed": None}
    assert first_difference(old, new) == 13


def test_an_edit_inside_a_function_body_shifts_the_lines_after_it() -> None:
    old = MODEL.splitlines()
    new = [*old[:5], "        x = x + 1", *old[5:]]
    snapshot = align(old, new, 12, spans(MODEL, 4))
    assert snapshot == {"delta": 1, "changed": [6, 5]}
    assert in_functions(7, spans(MODEL, 4), snapshot)  # the new ``h = x * 2``
    assert not in_functions(12, spans(MODEL, 4), snapshot)


def test_an_edit_of_a_held_statement_outside_functions_breaks_alignment() -> None:
    old = MODEL.splitlines()
    new = [*old[:10], "    net = Net().eval()", *old[11:]]
    assert align(old, new, 12, spans(MODEL, 4)) is None
    assert align(old, new, 10, spans(MODEL, 2)) == {"delta": 0, "changed": None}
