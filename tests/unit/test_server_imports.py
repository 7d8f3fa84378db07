"""The server process never imports torch; only the worker does."""

from __future__ import annotations

import subprocess
import sys


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
    """Start the real server, complete once, and read its memory maps for libtorch."""
    import json
    import os

    proc = subprocess.Popen(
        [sys.executable, "-m", "torchpeek", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
        ).encode()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        proc.stdin.flush()
        header = proc.stdout.readline()
        assert header.startswith(b"Content-Length")
        maps = open(f"/proc/{proc.pid}/maps", encoding="utf-8").read()
        assert "libtorch" not in maps and os.sep + "torch" + os.sep not in maps
    finally:
        proc.kill()
        proc.wait()
