"""Import planning: what is missing and where it goes."""

from __future__ import annotations

import pytest

from torchpeek.snippets import ImportPlan, plan_imports


def apply(document: str, plan: ImportPlan | None) -> str:
    """The document after inserting ``plan`` the way an LSP client would."""
    if plan is None:
        return document
    lines = document.splitlines(keepends=True)
    head = "".join(lines[: plan.line])
    line = lines[plan.line] if plan.line < len(lines) else ""
    tail = "".join(lines[plan.line + 1 :])
    return head + line[: plan.character] + plan.text + line[plan.character :] + tail


def test_empty_document() -> None:
    assert plan_imports("", ["import torch"]) == ImportPlan(0, "import torch\n")


def test_nothing_missing_is_none() -> None:
    assert plan_imports("import torch\nx = 1\n", ["import torch"]) is None
    assert plan_imports("import numpy, torch\n", ["import torch"]) is None


def test_after_docstring_future_and_existing_block() -> None:
    doc = '"""Module doc.\n\nMore.\n"""\nfrom __future__ import annotations\n\nimport os\n\nx = 1\n'
    plan = plan_imports(doc, ["import torch"])
    assert plan == ImportPlan(7, "import torch\n")
    assert apply(doc, plan).endswith("import os\nimport torch\n\nx = 1\n")


def test_after_docstring_when_no_imports() -> None:
    doc = '"""Doc."""\n\nx = 1\n'
    assert plan_imports(doc, ["import torch"]) == ImportPlan(1, "import torch\n")


def test_after_future_when_only_future() -> None:
    doc = "from __future__ import annotations\nx = 1\n"
    assert plan_imports(doc, ["import torch"]) == ImportPlan(1, "import torch\n")


def test_after_shebang_encoding_and_comments() -> None:
    doc = "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# notes\nx = 1\n"
    assert plan_imports(doc, ["import torch"]) == ImportPlan(3, "import torch\n")


def test_multiline_from_import_block() -> None:
    doc = "from os import (\n    path,\n    sep,\n)\n\nx = 1\n"
    assert plan_imports(doc, ["import torch"]) == ImportPlan(4, "import torch\n")


@pytest.mark.parametrize(
    "existing",
    ["import torch.nn as nn\n", "from torch import nn\n", "import torch\nfrom torch import nn\n"],
)
def test_alias_satisfied_by_equivalent_binding(existing: str) -> None:
    assert plan_imports(existing, ["import torch.nn as nn"]) is None


def test_alias_not_satisfied_by_other_name() -> None:
    plan = plan_imports("import torch.nn as tnn\n", ["import torch.nn as nn"])
    assert plan == ImportPlan(1, "import torch.nn as nn\n")


def test_plain_torch_satisfied_by_submodule_import() -> None:
    assert plan_imports("import torch.nn\n", ["import torch"]) is None


def test_from_import_adds_only_missing_names() -> None:
    doc = "import torch\nfrom torch.utils.data import DataLoader\n\nx = 1\n"
    plan = plan_imports(doc, ["import torch", "from torch.utils.data import DataLoader, Dataset"])
    assert plan == ImportPlan(2, "from torch.utils.data import Dataset\n")


def test_requested_imports_are_not_duplicated_among_themselves() -> None:
    plan = plan_imports("", ["import torch", "import torch", "from torch import nn"])
    assert plan == ImportPlan(0, "import torch\nfrom torch import nn\n")


def test_crlf_document() -> None:
    doc = "import os\r\n\r\nx = 1\r\n"
    plan = plan_imports(doc, ["import torch"])
    assert plan == ImportPlan(1, "import torch\r\n")
    assert apply(doc, plan) == "import os\r\nimport torch\r\n\r\nx = 1\r\n"


def test_unparsable_document_uses_header_and_line_scan() -> None:
    doc = '"""Doc."""\nimport os\nfrom torch import nn\n\ndef f(:\n    x = (\n'
    assert plan_imports(doc, ["from torch import nn"]) is None
    assert plan_imports(doc, ["import torch"]) == ImportPlan(3, "import torch\n")


def test_imports_below_a_syntax_error_still_count() -> None:
    doc = "import os\nx = (\nimport torch\n"
    assert plan_imports(doc, ["import torch"]) is None


def test_function_and_if_imports_do_not_count() -> None:
    doc = "def f():\n    import torch\n\nif True:\n    from torch import nn\n"
    plan = plan_imports(doc, ["import torch", "from torch import nn"])
    assert plan == ImportPlan(0, "import torch\nfrom torch import nn\n")


def test_module_level_try_imports_count() -> None:
    doc = "try:\n    import torch\nexcept ImportError:\n    torch = None\n\nx = 1\n"
    assert plan_imports(doc, ["import torch"]) is None
    assert plan_imports(doc, ["import numpy as np"]) == ImportPlan(4, "import numpy as np\n")


def test_last_line_without_newline() -> None:
    doc = "import os"
    plan = plan_imports(doc, ["import torch"])
    assert apply(doc, plan) == "import os\nimport torch\n"


def test_lines_that_are_not_imports_are_ignored() -> None:
    assert plan_imports("", ["x = 1", "not python ("]) is None
