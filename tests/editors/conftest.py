"""Fixtures and hooks for the real-editor tests (VS Code via code-server, Neovim, Emacs).

Missing tools skip a test locally; under CI=true they fail it instead.
Durations are printed at the end of the run and
saved to tests/editors/artifacts/durations.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from editor_harness import ARTIFACTS, DURATIONS, EDITORS_DIR, REPO, require


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "editors: drives a real editor (make test-editors)")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not DURATIONS:
        return
    terminalreporter.section("editor test durations")
    for name, seconds in DURATIONS.items():
        terminalreporter.write_line(f"{name:<10} {seconds:6.1f} s")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "durations.json").write_text(json.dumps(DURATIONS, indent=2) + "\n")


@pytest.fixture(scope="session")
def python() -> Path:
    """The repo venv's interpreter, which runs `python -m torchpeek serve`."""
    exe = REPO / ".venv" / "bin" / "python"
    require(exe.exists(), f"{exe} is missing (make install)")
    return exe


@pytest.fixture(scope="session")
def expect() -> dict[str, Any]:
    """What the snippet and hover checks look for (fixtures/expect.json)."""
    return json.loads((EDITORS_DIR / "fixtures" / "expect.json").read_text())


@pytest.fixture(scope="session")
def initialization_options(python: Path) -> dict[str, Any]:
    return {
        "python": str(python),
        "preview": {"enabled": True, "timeoutMs": 20000, "memoryMb": 4096},
        "locale": "en",
    }
