"""Every snippet, with every parameter value and choice, runs its preview fixture in the worker.

The worker is started from its boot script, as the server starts it, and
driven over its JSON-lines protocol. Set ``TORCHPEEK_WORKER_PYTHON`` to run
the fixtures in another interpreter (the one with torchvision), and
``TORCHPEEK_REQUIRE_LIBS=1`` to fail instead of skip when a library is missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.worker.preview_support import (
    Worker,
    program,
    require_or_skip,
    unique_variants,
)
from torchpeek.snippets import load_database

DB = load_database()
SNIPPETS = [s for s in DB.snippets.values() if s.preview is not None]
CASES = [(s, v) for s in SNIPPETS for v in unique_variants(s)]


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


def test_worker_says_hello_with_torch(worker: Worker) -> None:
    assert worker.hello["op"] == "hello"
    assert worker.hello["torch"].startswith("2.")


def check_expect(value: dict, expect: dict) -> None:
    if "shape" in expect:
        assert value.get("shape") == list(expect["shape"]), value
    if "dtype" in expect:
        assert value.get("dtype") == expect["dtype"], value
    if "device" in expect:
        assert value.get("device") == expect["device"], value
    if "kind" in expect:
        assert expect["kind"] in (value.get("kind"), value.get("type"), value.get("class")), value


@pytest.mark.parametrize(
    ("snippet", "variant"), CASES, ids=[f"{s.id}[{v.label}]" for s, v in CASES]
)
def test_snippet_preview_runs(worker: Worker, snippet, variant) -> None:
    require_or_skip(snippet)
    result = worker.run(program(snippet, variant.code(snippet)), snippet.preview.expr)
    expect = dict(snippet.preview.expect)
    if "error" in expect:
        assert not result["ok"] and result["error"]["type"] == expect["error"], result
        return
    assert result["ok"], f"{snippet.id} [{variant.label}]: {result.get('error')}"
    if variant.label == "default":
        check_expect(result["value"], expect)
    assert "seccomp" in result["sandbox"] and "rlimits" in result["sandbox"]


def test_every_shipped_snippet_has_a_preview() -> None:
    missing = [s.id for s in DB.snippets.values() if s.preview is None or not s.preview.expr]
    assert missing == []
