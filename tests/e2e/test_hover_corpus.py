"""Hover every marked point of the realistic corpus (tests/corpus/files) through a real LSP session.

The expected values come from tests/corpus/expected.yaml, which
tests/corpus/record.py writes from real runs of the corpus files under
``sys.settrace``, independently of torchpeek's tracer. A tensor must show
exactly the recorded ``torch.Size([...])`` and dtype (the device is not
compared: previews simulate CUDA); other values their class, length or value.
Each document is opened under its real path, with the corpus folder and the
project folder as workspace folders, so sibling imports and ``ckpt.pt`` work.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_lsp
import yaml
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.corpus.points import CORPUS, EXPECTED, Point, all_points
from tests.lsp_support import CONFIG, accept_server_requests, hover_text

CASES: list[dict[str, Any]] = yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))["points"]
POINTS = {point.key: point for point in all_points()}
FIRST_LINE = re.compile(r"^`(?P<expr>[^`]+)`: `(?P<value>[^`]*)`")
TENSOR = re.compile(r"^(?P<size>torch\.Size\(\[[0-9, ]*\]\)) · (?P<dtype>torch\.\w+)")

# Points the engine gets wrong today, each with the reason (strict: a fix makes them pass loudly).
KNOWN_FAILURES: dict[str, str] = {
    "train_classifier.py:21:index": (
        "the shape-only run skips weight init, so the global random stream differs from a real "
        "run and the shuffled DataLoader's first index differs (26, not 17)"
    ),
}


def _key(case: dict[str, Any]) -> str:
    return f"{case['file']}:{case['line']}:{case['expr']}"


def _params() -> list[Any]:
    params = []
    for case in CASES:
        reason = KNOWN_FAILURES.get(_key(case))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, id=_key(case), marks=marks))
    return params


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    accept_server_requests(lsp_client)
    folders = [CORPUS, CORPUS / "project"]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=CORPUS.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders],
        )
    )
    lsp_client.opened = set()  # type: ignore[attr-defined]
    lsp_client.versions = {}  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def _open(client: LanguageClient, point: Point) -> str:
    """Open the corpus file once, under its real path."""
    path = CORPUS / point.file
    uri = path.as_uri()
    opened: set[str] = client.opened  # type: ignore[attr-defined]
    if uri not in opened:
        opened.add(uri)
        item = types.TextDocumentItem(
            uri=uri, language_id="python", version=1, text=path.read_text(encoding="utf-8")
        )
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    return uri


def test_expected_values_cover_every_marker() -> None:
    """expected.yaml is up to date: rerun tests/corpus/record.py after editing the corpus."""
    recorded = [_key(case) for case in CASES]
    assert len(recorded) == len(set(recorded))
    assert set(recorded) == set(POINTS), "rerun .venv/bin/python tests/corpus/record.py"
    assert set(KNOWN_FAILURES) <= set(POINTS), "a known failure names a point that is gone"


def test_corpus_has_points_inside_and_outside_functions() -> None:
    scopes = [case["scope"] for case in CASES if "expect" in case]
    assert scopes.count("function") >= 60 and scopes.count("module") >= 30


def check_value(expect: dict[str, Any], value: str, text: str) -> None:
    """The first hover line shows exactly what the real run recorded."""
    kind = expect["kind"]
    if kind == "tensor":
        found = TENSOR.match(value)
        assert found, f"not a tensor:\n{text}"
        size = f"torch.Size([{', '.join(str(d) for d in expect['shape'])}])"
        assert (found["size"], found["dtype"]) == (size, expect["dtype"]), text
    elif kind == "module":
        assert value.startswith(f"{expect['class']} · {expect['params']:,} parameters"), text
    elif kind == "Size":
        assert value == f"Size · torch.Size([{', '.join(str(d) for d in expect['shape'])}])", text
    elif kind in ("int", "bool"):
        assert value == f"{kind} · {expect['value']}", text
    elif kind in ("float", "str"):
        assert value.startswith(f"{kind} · "), text
    elif "length" in expect:
        assert value.startswith(f"{kind} of {expect['length']}"), text
        for item in expect.get("items", []):
            if item["kind"] == "tensor":
                assert f"torch.Size([{', '.join(str(d) for d in item['shape'])}])" in text
    else:
        assert expect["class"] in value, text


@pytest.mark.parametrize("case", _params())
async def test_corpus_point(client: LanguageClient, case: dict[str, Any]) -> None:
    point = POINTS[_key(case)]
    uri = _open(client, point)
    position = types.Position(line=point.line - 1, character=point.column)
    text = await hover_text(client, uri, position)
    assert text, f"no hover at {point.key}: a hover must always answer"
    if case["how"] == "unreachable":
        assert "not reached" in text and "# torchpeek:" in text, text
        return
    first = FIRST_LINE.match(text)
    assert first, f"no value at {point.key}:\n{text}"
    assert first["expr"] == point.expr, text
    if case["how"] == "assumed":
        assert "torch.Size([" in first["value"] and "assumed" in text, text
        return
    check_value(case["expect"], first["value"], text)
    if case["how"] in ("comment", "defaults"):
        assert "from the comment" in text or "built as" in text, text


# The first and the last loop point of each file, each hovered on a fresh version.
_FIRST = {c["file"]: c for c in reversed(CASES) if c["loop"]}
_LAST = {c["file"]: c for c in CASES if c["loop"]}
LOOP_CASES = [c for c in CASES if c is _FIRST.get(c["file"]) or c is _LAST.get(c["file"])]


async def _fresh_version(client: LanguageClient, point: Point) -> str:
    """Send the file again as a new version, so no value recorded by earlier hovers is reused."""
    uri = _open(client, point)
    versions: dict[str, int] = client.versions  # type: ignore[attr-defined]
    versions[uri] = versions.get(uri, 1) + 1
    text = (CORPUS / point.file).read_text(encoding="utf-8")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return uri


async def _hover(client: LanguageClient, uri: str, point: Point) -> str:
    position = types.Position(line=point.line - 1, character=point.column)
    return await hover_text(client, uri, position) or ""


@pytest.mark.parametrize("case", LOOP_CASES, ids=[_key(c) for c in LOOP_CASES])
async def test_loop_point_says_first_pass(client: LanguageClient, case: dict[str, Any]) -> None:
    point = POINTS[_key(case)]
    uri = await _fresh_version(client, point)
    text = await _hover(client, uri, point)
    assert "first pass of the loop at line" in text, text


async def test_recorded_loop_value_still_says_first_pass(client: LanguageClient) -> None:
    later, inside = POINTS["lstm_lm.py:61:logits"], POINTS["lstm_lm.py:58:inputs"]
    uri = await _fresh_version(client, later)
    assert "torch.Size([4, 2, 10])" in await _hover(client, uri, later)
    text = await _hover(client, uri, inside)
    assert "torch.Size([4, 2])" in text and "first pass of the loop at line 56" in text, text


_FIRST_CALLS = {
    c["file"]: c for c in reversed(CASES) if c["scope"] == "function" and c["how"] == "run"
}


@pytest.mark.parametrize("case", list(_FIRST_CALLS.values()), ids=list(_FIRST_CALLS))
async def test_function_point_names_the_call(client: LanguageClient, case: dict[str, Any]) -> None:
    """A value inside a function says which line of the file led there."""
    point = POINTS[_key(case)]
    uri = await _fresh_version(client, point)
    text = await _hover(client, uri, point)
    assert re.search(r"_first call, via_ `[^`]+` _\(line \d+\)_", text), text
