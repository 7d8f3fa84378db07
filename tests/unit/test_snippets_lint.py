"""Legacy PyTorch API findings."""

from __future__ import annotations

import pytest

from torchpeek.snippets import legacy_api_findings


@pytest.mark.parametrize(
    ("code", "col", "fragment"),
    [
        ("x = Variable(t)", 5, "Variable"),
        ("x = torch.autograd.Variable(t)", 5, "Variable"),
        ("x = Variable(t, volatile=True)", 5, "Variable"),
        ("w, v = torch.eig(a)", 8, "torch.eig"),
        ("nn.init.normal(w)", 1, "nn.init.normal is deprecated"),
        ("torch.nn.init.xavier_uniform(w)", 1, "nn.init.xavier_uniform is deprecated"),
        ("init.kaiming_normal(w)", 1, "nn.init.kaiming_normal is deprecated"),
        ("mask = torch.ByteTensor(3)", 14, "ByteTensor"),
        ("m = resnet18(pretrained=True)", 14, "weights="),
        ("y = F.sigmoid(x)", 5, "torch.sigmoid"),
    ],
)
def test_finds_legacy_api(code: str, col: int, fragment: str) -> None:
    findings = legacy_api_findings("import torch\n" + code)
    assert findings, code
    line, found_col, message = findings[0]
    assert (line, found_col) == (2, col)
    assert fragment in message


@pytest.mark.parametrize(
    "code",
    [
        "nn.init.normal_(w)",
        "nn.init.xavier_uniform_(w)",
        "gain = nn.init.calculate_gain('relu')",
        "y = torch.sigmoid(x)",
        "m = resnet18(weights=None)",
        "x = t.requires_grad_()",
        "# Variable(x) is the old way",
        "w = torch.linalg.eig(a)",
        "self.init.normal(x)",
        "pretrained = torch.load(path)",
        "if pretrained == other:\n    pass",
    ],
)
def test_modern_code_has_no_findings(code: str) -> None:
    assert legacy_api_findings(code) == []


def test_volatile_keyword() -> None:
    assert legacy_api_findings("with torch.no_grad():\n    x = f(t, volatile=True)")[0][:2] == (
        2,
        14,
    )


def test_pretrained_keyword_in_a_multiline_call() -> None:
    code = "m = resnet18(\n    pretrained=True,\n)\n"
    assert [finding[:2] for finding in legacy_api_findings(code)] == [(2, 5)]


def test_pretrained_keyword_in_code_that_does_not_parse() -> None:
    code = "pretrained = 1\nm = resnet18(pretrained=True\n"
    assert [finding[:2] for finding in legacy_api_findings(code)] == [(2, 14)]
