"""Compact renderings: inlay-hint labels, one-line errors, the layer list and plain-text hovers."""

from __future__ import annotations

from torchpeek.sandbox.inline import error_line, hint_label
from torchpeek.sandbox.layer_list import MAX_LINES, layer_lines
from torchpeek.sandbox.plain import markdown_to_plain
from torchpeek.settings import InlayHintSettings, parse_settings

KINDS = ("tensor", "tensors")


def tensor(shape: list[int], dtype: str = "torch.float32", device: str = "cpu") -> dict:
    size = f"torch.Size([{', '.join(map(str, shape))}])"
    return {"kind": "Tensor", "shape": shape, "size": size, "dtype": dtype, "device": device}


def test_tensor_hint_has_shape_and_short_dtype() -> None:
    assert hint_label({"x": tensor([4, 32, 32, 32])}, KINDS, True) == (
        "‹[4, 32, 32, 32] f32›",
        ["x"],
    )


def test_device_only_off_the_cpu_and_simulated_cuda_marked() -> None:
    value = {"x": tensor([2], "torch.int64", "cuda:0")}
    assert hint_label(value, KINDS, True) == ("‹[2] i64 cuda:0 sim›", ["x"])
    assert hint_label(value, KINDS, False) == ("‹[2] i64 cuda:0›", ["x"])


def test_several_names_and_tuples_of_tensors() -> None:
    pair = {"kind": "tuple", "length": 5, "items": [tensor([1])] * 5}
    label = hint_label(
        {"a": tensor([3]), "b": pair, "n": {"kind": "int", "value": "3"}}, KINDS, True
    )
    assert label == ("‹a [3] f32 · b ([1] f32, [1] f32, [1] f32, … 2 more)›", ["a", "b"])


def test_kinds_that_are_not_asked_for_show_nothing() -> None:
    module = {"kind": "Module", "class": "GPT", "params": 1_234_567, "device": "cpu"}
    assert hint_label({"m": module}, KINDS, True) is None
    assert hint_label({"m": module}, ("module",), True) == ("‹GPT 1.2M params›", ["m"])


def test_error_line_names_the_layer_and_its_input() -> None:
    error = {
        "type": "RuntimeError",
        "summary": "mat1 and mat2 shapes cannot be multiplied (4x8192 and 4096x10)",
        "layer": {
            "name": "fc",
            "layer": "Linear(in_features=4096, out_features=10, bias=True)",
            "inputs": ["torch.Size([4, 8192])"],
        },
    }
    assert error_line(error) == (
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x8192 and 4096x10)"
        " in layer fc (Linear) with input torch.Size([4, 8192])"
    )


def row(name: str, short: str, output: str) -> dict:
    return {"name": name, "layer": short.split(" ")[0], "short": short, "output": output}


def resnet_like() -> list[dict]:
    rows = [row("conv1", "Conv2d 3→64 k7 s2 p3", "torch.Size([1, 64, 112, 112])")]
    for stage in (1, 2, 3, 4):
        for block in (0, 1):
            names = ["conv1", "bn1", "relu", "conv2", "bn2"]
            if block == 0 and stage > 1:
                names += ["downsample.0", "downsample.1"]
            rows += [
                row(f"layer{stage}.{block}.{n}", "Conv2d", "torch.Size([1, 8])") for n in names
            ]
    rows += [row("avgpool", "AdaptiveAvgPool2d →1", "torch.Size([1, 512, 1, 1])")]
    return rows + [row("fc", "Linear 512→1000", "torch.Size([1, 1000])")]


def test_repeated_blocks_collapse_and_the_end_of_the_model_shows() -> None:
    lines = layer_lines(resnet_like())
    assert lines[1].split() == ["layer1.0", "…", "layer1.1", "×2", "[1,", "8]"]
    assert [line.split()[0] for line in lines] == [
        "conv1", "layer1.0", "layer2.0", "layer3.0", "layer4.0", "avgpool", "fc",
    ]  # fmt: skip
    assert lines[-1].endswith("Linear 512→1000       [1, 1000]")


def test_a_long_list_says_how_many_more() -> None:
    rows = [row(f"l{i}", f"Linear {i}→{i + 1}", "torch.Size([2])") for i in range(40)]
    lines = layer_lines(rows)
    assert len(lines) == MAX_LINES
    assert lines[-1] == f"… {40 - MAX_LINES + 1} more"


def test_identical_layers_in_a_row_collapse() -> None:
    rows = [row(f"mlp.{i}", "Linear 64→64", "torch.Size([2, 64])") for i in range(6)]
    assert layer_lines(rows) == ["mlp.0 … mlp.5  Linear 64→64 ×6  [2, 64]"]


def test_plain_text_hover_drops_markdown() -> None:
    text = (
        "`x`: `torch.Size([2])`\n\n```text\nfc  Linear 2→3  [2, 3]\n```\n\n_shape-only run · 5 ms_"
    )
    assert (
        markdown_to_plain(text)
        == "x: torch.Size([2])\n\nfc  Linear 2→3  [2, 3]\n\nshape-only run · 5 ms"
    )


def test_inlay_hint_and_diagnostic_settings() -> None:
    raw = {"inlayHints": {"enabled": False, "kinds": ["tensor"], "maxPerDocument": 3}}
    settings, warnings = parse_settings({**raw, "diagnostics": {"enabled": False}})
    assert warnings == []
    assert settings.inlay_hints == InlayHintSettings(False, ("tensor",), 3)
    assert settings.diagnostics_enabled is False
    bad, warnings = parse_settings({"inlayHints": {"kinds": ["shapes"], "maxPerDocument": -1}})
    assert bad.inlay_hints == InlayHintSettings()
    assert len(warnings) == 2 and "inlayHints.kinds" in warnings[1]
