"""Every snippet's preview fixture runs in the sandboxed worker and matches its ``expect``.

The worker is started from its boot script, as the server starts it, and
driven over its JSON-lines protocol.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from torchpeek.sandbox.client import BOOT
from torchpeek.snippets import fill_placeholders, load_database

DB = load_database()
SNIPPETS = [s for s in DB.snippets.values() if s.preview is not None]


class Worker:
    """A worker process and a request counter."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(BOOT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.hello = self._read()
        self.next_id = 0

    def _read(self) -> dict:
        assert self.process.stdout is not None
        return json.loads(self.process.stdout.readline())

    def ask(self, **request: object) -> dict:
        assert self.process.stdin is not None
        self.next_id += 1
        message = {"op": "preview", "id": self.next_id, **request}
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()
        answer = self._read()
        assert answer["id"] == self.next_id
        return answer

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


def test_worker_says_hello_with_torch(worker: Worker) -> None:
    assert worker.hello["op"] == "hello"
    assert worker.hello["torch"].startswith("2.")


def program(snippet) -> str:
    preview = snippet.preview
    body = fill_placeholders(snippet.default_body)
    return "\n".join([preview.setup, *snippet.imports, body, preview.after, ""])


def check_expect(value: dict, expect: dict) -> None:
    if "shape" in expect:
        assert value.get("shape") == list(expect["shape"]), value
    if "dtype" in expect:
        assert value.get("dtype") == expect["dtype"], value
    if "device" in expect:
        assert value.get("device") == expect["device"], value
    if "kind" in expect:
        assert expect["kind"] in (value.get("kind"), value.get("type"), value.get("class")), value


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_snippet_preview_runs(worker: Worker, snippet) -> None:
    result = worker.ask(prelude=program(snippet), target="", expr=snippet.preview.expr)
    expect = dict(snippet.preview.expect)
    if "error" in expect:
        assert not result["ok"] and result["error"]["type"] == expect["error"], result
        return
    assert result["ok"], f"{snippet.id}: {result.get('error')}"
    check_expect(result["value"], expect)
    assert "seccomp" in result["sandbox"] and "rlimits" in result["sandbox"]


def test_every_shipped_snippet_has_a_preview() -> None:
    missing = [s.id for s in DB.snippets.values() if s.preview is None or not s.preview.expr]
    assert missing == []
