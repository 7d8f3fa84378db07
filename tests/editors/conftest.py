"""Fixtures for the real-editor tests (VS Code via code-server, Neovim, Emacs).

Each editor is driven by its own script (vscode/drive.mjs, nvim/drive.lua,
emacs/drive.el) that reads a JSON config and writes a JSON result; the tests
here write the config, run the script under a timeout and check the result.

Missing tools skip a test locally; under CI=true they fail it instead.
TORCHPEEK_EDITORS_STUB=1 swaps in tests/editors/stub (a tiny stand-in server)
to check the harness itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

EDITORS_DIR = Path(__file__).resolve().parent
REPO = EDITORS_DIR.parents[1]
ARTIFACTS = EDITORS_DIR / "artifacts"
CACHE = Path(os.environ.get("TORCHPEEK_EDITORS_CACHE", Path.home() / ".cache" / "torchpeek-editors"))
CODE_SERVER_VERSION = "4.100.3"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
USE_STUB = os.environ.get("TORCHPEEK_EDITORS_STUB") == "1"

_durations: dict[str, float] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "editors: drives a real editor (make test-editors)")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _durations:
        return
    terminalreporter.section("editor test durations")
    for name, seconds in _durations.items():
        terminalreporter.write_line(f"{name:<10} {seconds:6.1f} s")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "durations.json").write_text(json.dumps(_durations, indent=2) + "\n")


def require(condition: bool, why: str) -> None:
    """Skip locally, fail under CI=true, when a tool the test needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} (CI=true: editor tests never skip)")
    pytest.skip(why)


@dataclass
class EditorRun:
    """Outcome of one driver script."""

    name: str
    returncode: int
    result: dict[str, Any]
    seconds: float
    output: str
    steps: list[dict[str, Any]] = field(default_factory=list)

    def explain(self) -> str:
        lines = [f"{self.name} driver exited {self.returncode} after {self.seconds:.1f}s"]
        for s in self.result.get("steps", []):
            lines.append(f"  {'ok ' if s.get('ok') is True else 'BAD'} {s.get('name')} ({s.get('seconds', 0):.1f}s)")
        if self.result.get("error"):
            lines.append(f"error: {self.result['error']}")
        lines.append("--- driver output (tail) ---")
        lines.append(self.output[-6000:])
        return "\n".join(lines)


@pytest.fixture(scope="session")
def python() -> Path:
    """The repo venv's interpreter, which runs `python -m torchpeek serve`."""
    exe = REPO / ".venv" / "bin" / "python"
    require(exe.exists(), f"{exe} is missing (make install)")
    return exe


@pytest.fixture(scope="session")
def server_env() -> dict[str, str]:
    """Extra environment for the server process (the stub's PYTHONPATH, if asked for)."""
    return {"PYTHONPATH": str(EDITORS_DIR / "stub")} if USE_STUB else {}


@pytest.fixture(scope="session")
def expect() -> dict[str, Any]:
    """What the snippet and hover checks look for (fixtures/expect.json)."""
    return json.loads((EDITORS_DIR / "fixtures" / "expect.json").read_text())


@pytest.fixture(scope="session")
def initialization_options(python: Path) -> dict[str, Any]:
    return {"python": str(python), "preview": {"enabled": True, "timeoutMs": 20000, "memoryMb": 4096}, "locale": "en"}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A private copy of the demo file and private editor state."""
    shutil.copy(EDITORS_DIR / "fixtures" / "demo.py", tmp_path / "demo.py")
    ARTIFACTS.mkdir(exist_ok=True)
    return tmp_path


def run_driver(name: str, argv: list[str], config: dict[str, Any], workdir: Path, timeout: float, env: dict[str, str] | None = None) -> EditorRun:
    """Write the config, run the driver under a hard timeout and read its JSON result."""
    result_file = workdir / f"{name}-result.json"
    config = {**config, "result": str(result_file)}
    config_file = workdir / f"{name}-config.json"
    config_file.write_text(json.dumps(config, indent=2))
    run_env = {**os.environ, **(env or {}), "TORCHPEEK_EDITOR_CONFIG": str(config_file)}
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            [*argv, str(config_file)] if name == "vscode" else argv,
            cwd=REPO,
            env=run_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        returncode, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        returncode = -9
        output = f"TIMED OUT after {timeout}s\n{_text(exc.stdout)}{_text(exc.stderr)}"
    seconds = time.monotonic() - t0
    _durations[name] = seconds
    result: dict[str, Any] = {}
    for candidate in (result_file, ARTIFACTS / f"{name}-result.json"):
        if candidate.exists() and candidate.stat().st_mtime >= time.time() - seconds - 1:
            result = json.loads(candidate.read_text() or "{}")
            break
    (ARTIFACTS / f"{name}-output.log").write_text(output)
    (ARTIFACTS / f"{name}-result.json").write_text(json.dumps(result, indent=2) + "\n")
    return EditorRun(name, returncode, result, seconds, output)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def assert_run_ok(run: EditorRun) -> None:
    assert run.returncode == 0 and run.result.get("ok") is True, run.explain()
