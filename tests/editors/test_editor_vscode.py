"""VS Code 1.100 (code-server 4.100.3) in headless chromium, with the torchpeek .vsix installed.

One driver run (vscode/drive.mjs) per module. It starts from a profile whose
``python3`` on PATH is a venv without torch or torchpeek: the server must start
from the libraries bundled in the .vsix, and the status bar and the hover must
explain the missing torch. Then ``torchpeek.python`` points at the repo's venv
and the driver types a snippet prefix and accepts the suggestion, hovers a
tensor, and runs "torchpeek: Insert Snippet" from the command palette. Screenshots land in tests/editors/artifacts/vscode-*.png.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import venv
from pathlib import Path
from typing import Any

import pytest
from editor_harness import (
    ARTIFACTS,
    CACHE,
    CODE_SERVER_VERSION,
    EDITORS_DIR,
    HOVER_TIMEOUT_MS,
    REPO,
    EditorRun,
    assert_steps,
    require,
    run_driver,
)

# The driver runs once per module, inside the first test's setup.
pytestmark = [pytest.mark.editors, pytest.mark.timeout(600)]

VERSION = json.loads((REPO / "package.json").read_text())["version"]
VSIX = REPO / f"torchpeek-{VERSION}.vsix"
CODE_SERVER = CACHE / f"code-server-{CODE_SERVER_VERSION}" / "node_modules" / "code-server"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a venv with neither torch nor torchpeek (``python3`` and ``python``)."""
    env = tmp_path_factory.mktemp("bare-python") / "venv"
    venv.create(env, with_pip=False)
    return env / "bin"


@pytest.fixture(scope="module")
def vscode(
    python: Path,
    bare_python: Path,
    expect: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> EditorRun:
    node = shutil.which("node")
    require(node is not None, "node not found")
    require(CHROMIUM.exists(), "chromium not found (apt-get install -y chromium)")
    installed = (CODE_SERVER.parent.parent / ".installed").exists()
    require(installed, f"code-server not in {CACHE} (make -f editors.mk code-server)")
    playwright = (EDITORS_DIR / "node_modules" / "playwright-core").exists()
    require(playwright, "playwright-core missing (npm ci --prefix tests/editors)")
    require(VSIX.exists(), f"{VSIX.name} missing (make -f editors.mk vsix)")
    for old in ARTIFACTS.glob("vscode-*.png"):
        old.unlink()
    workdir = tmp_path_factory.mktemp("vscode")
    config = {
        **expect,
        "codeServer": str(CODE_SERVER),
        "vsix": str(VSIX),
        "python": str(python),
        "workdir": str(workdir),
        "artifacts": str(ARTIFACTS),
        "fixture": str(EDITORS_DIR / "fixtures" / "demo.py"),
        "notebookFixture": str(EDITORS_DIR / "fixtures" / "demo.ipynb"),
        "chromium": str(CHROMIUM),
        "pathPrepend": str(bare_python),
        "hoverTimeoutMs": HOVER_TIMEOUT_MS,
    }
    argv = [str(node), str(EDITORS_DIR / "vscode" / "drive.mjs")]
    return run_driver("vscode", argv, config, workdir, timeout=480)


def test_vscode_extension_starts_server(vscode: EditorRun) -> None:
    assert_steps(vscode, "install extension", "open demo.py", "server status")


def test_vscode_completion(vscode: EditorRun) -> None:
    assert_steps(vscode, "completion ")


def test_vscode_ranking_at_every_keystroke(vscode: EditorRun) -> None:
    assert_steps(vscode, "ranking 'ckpt'", "ranking 'seed'", "ranking 'gpu'", "ranking 'cv2'")


def test_vscode_no_suggestions_after_a_dot(vscode: EditorRun) -> None:
    assert_steps(vscode, "no suggestions after a dot")


def test_vscode_hover(vscode: EditorRun) -> None:
    assert_steps(vscode, "hover")


def test_vscode_preview_command(vscode: EditorRun) -> None:
    assert_steps(vscode, "command palette: torchpeek: Preview Shape")


def test_vscode_insert_snippet_command(vscode: EditorRun) -> None:
    assert_steps(vscode, "command palette: torchpeek: Insert Snippet")


def test_vscode_reload_and_doctor_commands(vscode: EditorRun) -> None:
    assert_steps(
        vscode,
        "command palette: torchpeek: Reload Snippets",
        "command palette: torchpeek: Run Doctor",
    )


def test_vscode_notebook_cells(vscode: EditorRun) -> None:
    assert_steps(vscode, "notebook")


def test_vscode_bare_python_explains_missing_torch(vscode: EditorRun, bare_python: Path) -> None:
    assert_steps(vscode, "bare python3: server from bundled libs")
    hover = next(s for s in vscode.result["steps"] if s["name"].startswith("bare python3"))
    named = re.search(r"torch is not installed in (\S+) ", str(hover.get("detail", "")))
    assert named is not None, hover
    assert Path(named.group(1)).parent == bare_python, named.group(1)
    # The server ran from the bundled libraries: nothing was installed into python3.
    probe = "import importlib.util as u; print([m for m in ('torchpeek', 'pygls', 'torch') if u.find_spec(m)])"
    found = subprocess.run(
        [str(bare_python / "python3"), "-c", probe], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]", found.stdout
