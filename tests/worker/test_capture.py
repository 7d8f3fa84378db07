"""The tracer and entry inference, run in this process on real torch (no server, no sandbox).

Each case runs a document through ``run_preview`` exactly as a preview child
does and checks the value taken at a line, how the run got there, and what a
hover says when nothing reaches the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from torchpeek.worker.program import repair
from torchpeek.worker.protocol import PreviewRequest
from torchpeek.worker.run import run_preview

DATA = Path(__file__).resolve().parent.parent / "data" / "previews"


def preview(source: str, line: int, expr: str, filename: str = "/tmp/doc.py") -> dict[str, Any]:
    return run_preview(PreviewRequest(id=1, source=source, expr=expr, line=line, filename=filename))


def line_of(source: str, text: str) -> int:
    return next(n for n, line in enumerate(source.splitlines(), 1) if text in line)


LOOP = """\
import torch
xs = []
for i in range(5):
    y = torch.zeros(i + 1, 2)
    xs.append(y)
after = len(xs)
"""


def test_a_loop_line_shows_the_first_pass() -> None:
    result = preview(LOOP, 4, "y")
    assert result["value"]["shape"] == [1, 2]
    assert result["reached"]["loop_line"] == 3


def test_a_loop_variable_during_the_first_iteration() -> None:
    assert preview(LOOP, 3, "i")["value"]["value"] == "0"


def test_a_line_after_the_loop_sees_the_whole_loop() -> None:
    assert preview(LOOP, 6, "after")["value"]["value"] == "5"


FUNCTIONS = """\
import torch
def scale(t, k=3):
    h = t * k
    return h.sum(0)
def outer(n):
    def inner(v):
        return v.unsqueeze(0)
    return inner(torch.ones(n))
a = scale(torch.ones(4, 2))
b = scale(torch.ones(7, 7))
c = outer(5)
"""


def test_a_parameter_on_a_def_line_shows_the_first_call() -> None:
    result = preview(FUNCTIONS, 2, "t")
    assert result["value"]["shape"] == [4, 2]
    assert result["reached"]["via_line"] == 9


def test_a_name_read_by_a_return_line() -> None:
    assert preview(FUNCTIONS, 4, "h")["value"]["shape"] == [4, 2]


def test_a_nested_function() -> None:
    result = preview(FUNCTIONS, 7, "v")
    assert result["value"]["shape"] == [5]
    assert result["reached"]["via_line"] == 8


def test_the_rest_of_the_file_never_runs_after_the_capture() -> None:
    source = "import torch\nx = torch.ones(2)\nraise SystemError('must not run')\n"
    assert preview(source, 2, "x")["ok"]


def test_subscripts_and_attribute_chains() -> None:
    source = (
        "import torch\nimport torch.nn as nn\n"
        "model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())\n"
        "model(torch.ones(2, 3)).sum().backward()\n"
        "g = model[0].weight.grad\n"
    )
    assert preview(source, 5, "model[0].weight.grad")["value"]["shape"] == [4, 3]
    assert preview(source, 5, "model[0].weight")["value"]["requires_grad"] is True


def test_main_block_lines_are_line_precise() -> None:
    source = (DATA / "script_main.py").read_text()
    result = preview(source, line_of(source, "logits = model(batch)"), "logits")
    assert result["value"]["shape"] == [3, 10]
    assert result["reached"]["loop_line"] == line_of(source, "for step in")
    forward = preview(source, line_of(source, "return self.fc(h)"), "h")
    assert forward["value"]["shape"] == [3, 16]
    assert "logits = model(batch)" in forward["reached"]["via"]


def test_entry_inference_builds_the_model_and_infers_a_conv_input() -> None:
    source = (DATA / "library_model.py").read_text()
    result = preview(source, line_of(source, "tokens = self.proj"), "tokens")
    assert result["value"]["shape"] == [2, 16, 48]  # img_size 64 from the model, 4x4 patches
    assert (
        "example input assumed: `images = torch.randn(2, 3, 64, 64)`" in result["reached"]["entry"]
    )


def test_entry_inference_gives_embeddings_integer_indices() -> None:
    source = (DATA / "library_model.py").read_text()
    result = preview(source, line_of(source, "out, _ = self.rnn"), "out")
    assert result["value"]["shape"] == [2, 8, 64]
    assert "torch.randint(0, 500, (2, 8))" in result["reached"]["entry"]


def test_the_example_comment_wins_over_inference() -> None:
    source = (DATA / "library_model.py").read_text()
    result = preview(source, line_of(source, "scores = self.fc(x)"), "scores")
    # Needs(width) has no default: the comment's input decides nothing about the
    # constructor, so the run explains what is missing instead of guessing.
    assert result["ok"] is False and result["error"]["type"] == "NotReached"
    fixed = source.replace(
        "class Needs(nn.Module):", "# torchpeek: Needs(7)\nclass Needs(nn.Module):"
    )
    result = preview(fixed, line_of(fixed, "scores = self.fc(x)"), "scores")
    assert result["value"]["shape"] == [5, 3]
    assert "forward(torch.randn(5, 7))" in result["reached"]["entry"]


def test_plain_functions_run_with_their_defaults() -> None:
    source = (DATA / "library_model.py").read_text()
    result = preview(source, line_of(source, "doubled = t * 2"), "doubled")
    assert result["value"]["shape"] == [4, 2]


def test_an_unreachable_line_says_why_and_how_to_give_an_example() -> None:
    source = (DATA / "library_model.py").read_text()
    result = preview(source, line_of(source, "total = a + b"), "total")
    assert result["error"]["type"] == "NotReached"
    assert "# torchpeek: needs_args(" in result["error"]["summary"]


def test_a_blank_line_is_not_a_silent_answer() -> None:
    result = preview("import torch\n\nx = 1\n", 2, "x")
    assert result["error"]["type"] == "NotReached"


def test_training_objects_are_described_for_people() -> None:
    source = (
        "import torch\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "model = torch.nn.Linear(4, 2)\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)\n"
        "loader = DataLoader(TensorDataset(torch.randn(10, 4)), batch_size=4, shuffle=True)\n"
    )
    optimizer = preview(source, 4, "opt")["value"]
    assert optimizer["class"] == "SGD" and optimizer["fields"]["lr"] == "0.1"
    loader = preview(source, 5, "loader")["value"]
    assert loader["fields"] == {"batch_size": "4", "batches": "3", "samples": "10"}
    assert loader["first"]["items"][0]["shape"] == [4, 4]


def test_compile_is_eager_and_loader_workers_run_in_process() -> None:
    source = (
        "import torch\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "f = torch.compile(lambda t: t * 2)\n"
        "loader = DataLoader(TensorDataset(torch.randn(8, 3)), batch_size=4, num_workers=4)\n"
        "(batch,) = next(iter(loader))\n"
        "y = f(batch)\n"
    )
    result = preview(source, 6, "y")
    assert result["value"]["shape"] == [4, 3]
    assert any("torch.compile" in note for note in result.get("notes", []))


@pytest.mark.parametrize(
    ("source", "line", "kept"),
    [
        ("x = 1\ny = (\n", 1, "x = 1\n"),
        ("def f():\n    a = 1\n    b = (\n\nz = 2\n", 2, "    a = 1\n"),
    ],
)
def test_broken_code_below_the_line_is_blanked(source: str, line: int, kept: str) -> None:
    repaired, _, blanked = repair(source, line)
    assert kept in repaired and blanked
    assert repaired.count("\n") == source.count("\n")


def test_broken_code_at_the_line_is_the_answer() -> None:
    with pytest.raises(SyntaxError):
        repair("x = (\n", 1)


def test_einops_and_jit_script_code_previews() -> None:
    source = (
        "import torch\nfrom einops import rearrange\n\n"
        "@torch.jit.script\ndef patchify(x: torch.Tensor) -> torch.Tensor:\n"
        "    return x.flatten(2)\n\n"
        "def tokens(images):\n"
        "    patches = rearrange(images, 'b c (h p) (w q) -> b (h w) (p q c)', p=4, q=4)\n"
        "    flat = patchify(images)\n"
        "    return patches, flat\n\n"
        "out = tokens(torch.randn(2, 3, 16, 16))\n"
    )
    assert preview(source, 9, "patches")["value"]["shape"] == [2, 16, 48]
    assert preview(source, 6, "x")["value"]["shape"] == [2, 3, 16, 16]


def test_helper_functions_are_reached_through_the_models_that_call_them() -> None:
    source = (DATA / "llama_style.py").read_text()
    rotary = preview(source, line_of(source, "xq_out = torch.view_as_real"), "xq_out")
    assert rotary["value"]["shape"] == [2, 8, 8, 32]
    assert "through `Transformer`" in rotary["reached"]["entry"]
    freqs = preview(source, line_of(source, "freqs_cis = torch.polar"), "freqs_cis")
    assert freqs["value"]["shape"] == [256, 16] and freqs["value"]["dtype"] == "torch.complex64"


def test_an_int_parameter_gets_a_number_and_a_mask_none() -> None:
    source = (DATA / "llama_style.py").read_text()
    result = preview(source, line_of(source, "scores = F.softmax"), "scores")
    assert result["value"]["shape"] == [2, 8, 8, 8]
    assert "start_pos = 0" in result["reached"]["entry"]


def test_a_missing_module_does_not_stop_the_hovers_below_it() -> None:
    source = (DATA / "missing_modules.py").read_text()
    result = preview(source, line_of(source, "y = batch * 2"), "y")
    assert result["value"]["shape"] == [2, 3]
    assert any("`wandb` is not installed" in note for note in result["notes"])
    # an import inside try/except keeps its own fallback
    assert preview(source, line_of(source, "flag = HAS"), "flag")["value"]["value"] == "False"
    assert preview(source, 2, "wandb")["value"]["kind"] == "missing module"
