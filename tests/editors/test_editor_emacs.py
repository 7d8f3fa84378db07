"""Emacs (batch) with eglot against `python -m torchpeek serve`.

Checks completion, resolve, the import edits and hover through eglot's jsonrpc requests.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from editor_harness import EDITORS_DIR, assert_run_ok, require, run_driver

pytestmark = pytest.mark.editors


def test_emacs_eglot(
    python: Path,
    server_env: dict[str, str],
    expect: dict[str, Any],
    initialization_options: dict[str, Any],
    workdir: Path,
) -> None:
    emacs = shutil.which("emacs")
    require(emacs is not None, "emacs not found (apt-get install -y emacs-nox elpa-eglot)")
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
    argv = [emacs, "-Q", "--batch", "-l", str(EDITORS_DIR / "emacs" / "drive.el")]
    assert_run_ok(
        run_driver("emacs", argv, config, workdir, timeout=240, env={"HOME": str(workdir)})
    )
