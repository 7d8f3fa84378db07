"""Every hover point of the preview corpus, answered both ways: by a full run and from a snapshot.

For each point the worker first runs the whole document (``snapshots:
false``). Then the same hover goes out with snapshots on, twice, with a pause
between for the worker to build the holder the first one wished for. Both
answers must equal the full run's, field by field, whether or not they came
from a snapshot; the module then checks that most did.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.corpus.points import CORPUS, Point, all_points
from tests.worker.worker_process import WorkerProcess
from torchpeek.sandbox.project import project_paths

COMPARED = ("ok", "value", "reached", "layers", "notes", "line_error")
POINTS = all_points()
RESUMED: list[str] = []
RAN: list[str] = []


@pytest.fixture(scope="module")
def worker() -> Iterator[WorkerProcess]:
    process = WorkerProcess()
    yield process
    process.close()


def _request(point: Point) -> dict[str, Any]:
    path = CORPUS / point.file
    folders = (str(CORPUS), str(CORPUS / "project"))
    return {
        "source": path.read_text(encoding="utf-8"),
        "line": point.line,
        "expr": point.expr,
        "filename": str(path),
        **project_paths(str(path), folders),
    }


def _same(answer: dict[str, Any], full: dict[str, Any]) -> None:
    for key in COMPARED:
        assert answer.get(key) == full.get(key), f"{key}: {answer.get(key)!r} != {full.get(key)!r}"
    if not full["ok"]:
        assert answer["error"]["type"] == full["error"]["type"]
        assert answer["error"]["summary"] == full["error"]["summary"]


@pytest.mark.parametrize("point", POINTS, ids=[p.key for p in POINTS])
def test_a_snapshot_answers_as_the_full_run(worker: WorkerProcess, point: Point) -> None:
    request = _request(point)
    full = worker.ask({"op": "preview", **request, "snapshots": False})
    assert "resumed" not in full
    first = worker.ask({"op": "preview", **request})
    _same(first, full)
    worker.settle()
    second = worker.ask({"op": "preview", **request})
    _same(second, full)
    RAN.append(point.key)
    if "resumed" in first or "resumed" in second:
        RESUMED.append(point.key)


def test_most_points_were_answered_from_a_snapshot() -> None:
    if len(RAN) < len(POINTS):
        pytest.skip("counts only when every point of the module ran")
    share = len(RESUMED) / len(POINTS)
    print(f"{len(RESUMED)} of {len(POINTS)} corpus points answered from a snapshot")
    assert share >= 0.6, f"only {len(RESUMED)} of {len(POINTS)} points resumed"
