"""Headless Neovim 0.7 (Debian's) against `python -m torchpeek serve`.

One driver run (nvim/drive.lua) per module; each test checks its steps:
completion and resolve, hover, workspace/executeCommand with its applyEdit, and
the evaluated inlay hints (requested: Neovim 0.7 has no inlay-hint display).
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
def neovim(
    python: Path,
    expect: dict[str, Any],
    initialization_options: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> EditorRun:
    nvim = shutil.which("nvim")
    require(nvim is not None, "nvim not found (apt-get install -y neovim)")
    workdir = make_workdir(tmp_path_factory.mktemp("neovim"))
    config = lsp_driver_config(workdir, python, expect, initialization_options)
    driver = EDITORS_DIR / "nvim" / "drive.lua"
    argv = [str(nvim), "--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n"]
    argv += ["-c", f"luafile {driver}"]
    env = {
        name: str(workdir / name.lower())
        for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")
    }
    return run_driver("neovim", argv, config, workdir, timeout=240, env=env)


def test_neovim_completion(neovim: EditorRun) -> None:
    assert_steps(neovim, "start server", "completion ", "completionItem/resolve")


def test_neovim_hover(neovim: EditorRun) -> None:
    assert_steps(neovim, "hover")


def test_neovim_execute_command(neovim: EditorRun) -> None:
    assert_steps(
        neovim, "executeCommand torchpeek.listSnippets", "executeCommand torchpeek.insertSnippet"
    )


def test_neovim_inlay_hints(neovim: EditorRun) -> None:
    assert_steps(neovim, "inlay hints")
