"""Emacs (batch) with eglot 1.9 against `python -m torchpeek serve`.

One driver run (emacs/drive.el) per module; each test checks its steps:
completion with its import edits and resolve, and hover, all through eglot's
jsonrpc requests.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from editor_harness import (
    EDITORS_DIR,
    EditorRun,
    assert_steps,
    lsp_driver_config,
    make_workdir,
    require,
    run_driver,
)

# The driver runs once per module, inside the first test's setup.
pytestmark = [pytest.mark.editors, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def emacs(
    python: Path,
    expect: dict[str, Any],
    initialization_options: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> EditorRun:
    exe = shutil.which("emacs")
    require(exe is not None, "emacs not found (apt-get install -y emacs-nox elpa-eglot)")
    workdir = make_workdir(tmp_path_factory.mktemp("emacs"))
    config = lsp_driver_config(workdir, python, expect, initialization_options)
    argv = [str(exe), "-Q", "--batch", "-l", str(EDITORS_DIR / "emacs" / "drive.el")]
    return run_driver("emacs", argv, config, workdir, timeout=240, env={"HOME": str(workdir)})


def test_emacs_completion(emacs: EditorRun) -> None:
    assert_steps(emacs, "start server", "completion ", "completionItem/resolve")


def test_emacs_hover(emacs: EditorRun) -> None:
    assert_steps(emacs, "hover")


def test_emacs_inlay_hints(emacs: EditorRun) -> None:
    assert_steps(emacs, "inlay hints")
