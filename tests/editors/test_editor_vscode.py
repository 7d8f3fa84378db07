"""VS Code 1.100 (code-server 4.100.3) in headless chromium, with the torchpeek .vsix installed.

Types a snippet prefix and accepts the suggestion, hovers a tensor, and runs
"torchpeek: Insert Snippet" from the command palette. Screenshots land in
tests/editors/artifacts/vscode-*.png.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from editor_harness import (
    ARTIFACTS,
    CACHE,
    CODE_SERVER_VERSION,
    EDITORS_DIR,
    REPO,
    assert_run_ok,
    require,
    run_driver,
)

pytestmark = pytest.mark.editors

VSIX = REPO / "torchpeek-0.1.0.vsix"
CODE_SERVER = CACHE / f"code-server-{CODE_SERVER_VERSION}" / "node_modules" / "code-server"


def test_vscode(
    python: Path, server_env: dict[str, str], expect: dict[str, Any], workdir: Path
) -> None:
    node = shutil.which("node")
    require(node is not None, "node not found")
    require(Path("/usr/bin/chromium").exists(), "chromium not found (apt-get install -y chromium)")
    require(
        (CODE_SERVER.parent.parent / ".installed").exists(),
        f"code-server not installed in {CACHE} (make -f editors.mk code-server)",
    )
    require(
        (EDITORS_DIR / "node_modules" / "playwright-core").exists(),
        "playwright-core missing (npm ci --prefix tests/editors)",
    )
    require(VSIX.exists(), f"{VSIX.name} missing (make -f editors.mk vsix)")
    for old in ARTIFACTS.glob("vscode-*.png"):
        old.unlink()
    config = {
        **expect,
        "codeServer": str(CODE_SERVER),
        "vsix": str(VSIX),
        "python": str(python),
        "pythonpath": server_env.get("PYTHONPATH"),
        "workdir": str(workdir / "vscode"),
        "artifacts": str(ARTIFACTS),
        "fixture": str(EDITORS_DIR / "fixtures" / "demo.py"),
        "chromium": "/usr/bin/chromium",
        "hoverTimeoutMs": 120000,
    }
    argv = [node, str(EDITORS_DIR / "vscode" / "drive.mjs")]
    assert_run_ok(run_driver("vscode", argv, config, workdir, timeout=420))
