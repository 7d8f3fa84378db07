"""Headless Neovim 0.7 (Debian's) against `python -m torchpeek serve`.

Checks completion, resolve, hover and workspace/executeCommand with its applyEdit.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from editor_harness import EDITORS_DIR, assert_run_ok, require, run_driver

pytestmark = pytest.mark.editors


def test_neovim(
    python: Path,
    server_env: dict[str, str],
    expect: dict[str, Any],
    initialization_options: dict[str, Any],
    workdir: Path,
) -> None:
    nvim = shutil.which("nvim")
    require(nvim is not None, "nvim not found (apt-get install -y neovim)")
    config = {
        **expect,
        "file": str(workdir / "demo.py"),
        "cmd": [str(python), "-m", "torchpeek", "serve"],
        "env": server_env,
        "initializationOptions": initialization_options,
        "startTimeoutMs": 60000,
        "requestTimeoutMs": 30000,
        "hoverTimeoutMs": 90000,
    }
    argv = [
        nvim,
        "--headless",
        "--clean",
        "-u",
        "NONE",
        "-i",
        "NONE",
        "-n",
        "-c",
        f"luafile {EDITORS_DIR / 'nvim' / 'drive.lua'}",
    ]
    assert_run_ok(
        run_driver(
            "neovim",
            argv,
            config,
            workdir,
            timeout=240,
            env={
                "XDG_STATE_HOME": str(workdir / "state"),
                "XDG_DATA_HOME": str(workdir / "data"),
                "XDG_CACHE_HOME": str(workdir / "cache"),
            },
        )
    )
