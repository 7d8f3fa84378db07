"""The command line, run as a user runs it: ``python -m torchpeek ...``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def torchpeek(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "torchpeek", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd,
    )  # fmt: skip


def test_check_builtin_database_is_clean() -> None:
    result = torchpeek("check")
    assert result.returncode == 0, result.stdout
    assert "0 errors" in result.stderr


def test_check_reports_file_line_col_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("snippets:\n  - id: Bad Id\n    prefix: x\n", encoding="utf-8")
    result = torchpeek("check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:2:" in result.stdout


def test_show_renders_with_a_parameter() -> None:
    plain = torchpeek("show", "cv2-image-to-nchw-tensor", "--param", "normalize=true", "--plain")
    assert plain.returncode == 0, plain.stderr
    assert "import cv2" in plain.stdout and "0.485" in plain.stdout and "${" not in plain.stdout
    unknown = torchpeek("show", "no-such-snippet")
    assert unknown.returncode == 2 and "no snippet" in unknown.stderr


def test_export_is_vscode_json(tmp_path: Path) -> None:
    out = tmp_path / "t.code-snippets"
    assert torchpeek("export", "--format", "vscode", "-o", str(out)).returncode == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert all({"prefix", "body", "description"} <= set(v) for v in data.values())


def test_preview_json_from_the_command_line(tmp_path: Path) -> None:
    source = tmp_path / "model.py"
    source.write_text(
        "import torch\nx = torch.zeros(100000, 100000)\ny = x @ x.T\n", encoding="utf-8"
    )
    result = torchpeek("preview", str(source), "--line", "3", "--col", "1", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["value"]["size"] == "torch.Size([100000, 100000])" and data["mode"] == "meta"


def test_doctor_lists_layers() -> None:
    result = torchpeek("doctor", "--json")
    assert result.returncode == 0, result.stderr
    layers = json.loads(result.stdout)["layers"]
    assert layers["seccomp"]["active"] and layers["rlimits"]["active"]


def test_doctor_prints_a_readable_table() -> None:
    result = torchpeek("doctor")
    assert result.returncode == 0, result.stderr
    assert "{" not in result.stdout
    assert f"Worker Python: {sys.executable}" in result.stdout
    assert "torch:" in result.stdout and "seccomp" in result.stdout and "active" in result.stdout


def test_doctor_without_torch_says_why(tmp_path: Path) -> None:
    python = tmp_path / "python-without-site"
    python.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    python.chmod(0o755)
    result = torchpeek("doctor", "--python", str(python))
    assert result.returncode == 1
    assert f"Worker Python: {python}" in result.stdout
    assert "not available" in result.stdout and "torch" in result.stdout
    assert "0/0" not in result.stdout and "unknown" not in result.stdout


def test_show_accepts_a_prefix_or_a_variant_and_suggests_close_names() -> None:
    seed = torchpeek("show", "seed", "--plain")
    assert seed.returncode == 0 and "manual_seed" in seed.stdout
    plateau = torchpeek("show", "sched_plateau", "--plain")
    assert plateau.returncode == 0 and "ReduceLROnPlateau" in plateau.stdout
    typo = torchpeek("show", "seeed")
    assert typo.returncode == 2 and "did you mean" in typo.stderr and "seed" in typo.stderr


def test_preview_with_a_relative_path(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text("import torch\nx = torch.zeros(2, 3)\nx\n")
    result = torchpeek("preview", "model.py", "--line", "3", "--col", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "torch.Size([2, 3])" in result.stdout and "Traceback" not in result.stderr
    missing = torchpeek("preview", "nope.py", "--line", "1", "--col", "1", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.py: no such file" in missing.stderr


def test_help_has_no_markup() -> None:
    for args in (["--help"], ["show", "--help"], ["doctor", "--help"], ["export", "--help"]):
        result = torchpeek(*args)
        assert result.returncode == 0
        assert "``" not in result.stdout and ":func:" not in result.stdout


def test_serve_over_tcp() -> None:
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "torchpeek", "serve", "--tcp", f"127.0.0.1:{port}"],
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not listen"
                time.sleep(0.1)
        with conn:
            body = json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
            )
            conn.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body.encode()))
            data = b""
            while b'"serverInfo"' not in data:
                chunk = conn.recv(65536)
                assert chunk, "connection closed"
                data += chunk
        assert b'"name": "torchpeek"' in data
    finally:
        server.kill()
        server.wait()


def test_cancel_warnings_for_finished_requests_stay_out_of_the_log() -> None:
    import logging

    from torchpeek.cli import _QuietCancels

    message = 'Cancel notification for unknown message id "%s"'
    record = logging.LogRecord("pygls", logging.WARNING, "", 0, message, (7,), None)
    other = logging.LogRecord("pygls", logging.WARNING, "", 0, "something else", (), None)
    assert not _QuietCancels(0).filter(record) and _QuietCancels(0).filter(other)
    assert _QuietCancels(1).filter(record)
