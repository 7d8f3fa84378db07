"""The server process never imports torch; only the worker does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_serving_modules_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import torchpeek.server, torchpeek.cli, torchpeek.sandbox.service, torchpeek.demo\n"
        "server = torchpeek.server.create_server()\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('torch.'))[:5]\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_running_server_process_has_no_torch_loaded() -> None:
    """Start the real server, initialize it, and read its memory maps for libtorch."""
    from tests.lsp_support import RawServer

    raw = RawServer()
    try:
        assert "result" in raw.initialize()
        maps = Path(f"/proc/{raw.process.pid}/maps").read_text(encoding="utf-8")
        assert "libtorch" not in maps and f"{os.sep}torch{os.sep}" not in maps
    finally:
        raw.close()
