"""Shared pieces of the real-editor tests: paths, skip-or-fail, running a driver script.

Each editor is driven by its own script (vscode/drive.mjs, nvim/drive.lua,
emacs/drive.el) that reads a JSON config and writes a JSON result; run_driver
writes the config, runs the script under a hard timeout and reads the result.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

EDITORS_DIR = Path(__file__).resolve().parent
REPO = EDITORS_DIR.parents[1]
ARTIFACTS = EDITORS_DIR / "artifacts"
CACHE = Path(
    os.environ.get("TORCHPEEK_EDITORS_CACHE", Path.home() / ".cache" / "torchpeek-editors")
)
CODE_SERVER_VERSION = "4.100.3"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# The first preview imports torch in the worker; on a 2-core box that can take a while.
HOVER_TIMEOUT_MS = int(os.environ.get("TORCHPEEK_EDITORS_HOVER_TIMEOUT_MS", "90000"))

DURATIONS: dict[str, float] = {}


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

    def explain(self) -> str:
        lines = [f"{self.name} driver exited {self.returncode} after {self.seconds:.1f}s"]
        for s in self.result.get("steps", []):
            mark = "ok " if s.get("ok") is True else "BAD"
            lines.append(f"  {mark} {s.get('name')} ({s.get('seconds', 0):.1f}s)")
        if self.result.get("error"):
            lines.append(f"error: {self.result['error']}")
        lines.append("--- driver output (tail) ---")
        lines.append(self.output[-6000:])
        return "\n".join(lines)


def run_driver(
    name: str,
    argv: list[str],
    config: dict[str, Any],
    workdir: Path,
    timeout: float,
    env: dict[str, str] | None = None,
) -> EditorRun:
    """Write the config, run the driver under a hard timeout and read its JSON result."""
    result_file = workdir / f"{name}-result.json"
    config = {**config, "result": str(result_file)}
    config_file = workdir / f"{name}-config.json"
    config_file.write_text(json.dumps(config, indent=2))
    run_env = {**os.environ, **(env or {}), "TORCHPEEK_EDITOR_CONFIG": str(config_file)}
    t0 = time.monotonic()
    returncode, output = _run_in_own_group(argv, run_env, timeout)
    seconds = time.monotonic() - t0
    DURATIONS[name] = seconds
    result: dict[str, Any] = {}
    if result_file.exists():
        result = json.loads(result_file.read_text() or "{}")
    (ARTIFACTS / f"{name}-output.log").write_text(output)
    (ARTIFACTS / f"{name}-result.json").write_text(json.dumps(result, indent=2) + "\n")
    return EditorRun(name, returncode, result, seconds, output)


def _run_in_own_group(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run a driver in its own process group, so that a timeout (or pytest-timeout)
    also ends what it started: code-server, chromium, the language server."""
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, _ = proc.communicate()
        return -9, f"TIMED OUT after {timeout}s\n{out}"
    finally:
        _kill_group(proc)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def assert_steps(run: EditorRun, *prefixes: str) -> None:
    """Every step whose name starts with one of `prefixes` ran and passed."""
    for prefix in prefixes:
        steps = [
            s for s in run.result.get("steps", []) if str(s.get("name", "")).startswith(prefix)
        ]
        assert steps, f"step '{prefix}…' never ran\n{run.explain()}"
        bad = [s for s in steps if s.get("ok") is not True]
        assert not bad, f"step '{bad[0].get('name')}' failed\n{run.explain()}"


def make_workdir(base: Path) -> Path:
    """A private copy of the demo file for one editor run."""
    shutil.copy(EDITORS_DIR / "fixtures" / "demo.py", base / "demo.py")
    ARTIFACTS.mkdir(exist_ok=True)
    return base


def lsp_driver_config(
    workdir: Path, python: Path, expect: dict[str, Any], options: dict[str, Any]
) -> dict[str, Any]:
    """What the Neovim and Emacs drivers read: the file, the server command, the timeouts."""
    return {
        **expect,
        "file": str(workdir / "demo.py"),
        "cmd": [str(python), "-m", "torchpeek", "serve"],
        "initializationOptions": options,
        "startTimeoutMs": 60000,
        "requestTimeoutMs": 30000,
        "hoverTimeoutMs": HOVER_TIMEOUT_MS,
    }
