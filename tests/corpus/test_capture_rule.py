"""The tracer's capture rule, checked against an independent one on small plain-Python programs.

torchpeek compiles probes into the document (server/torchpeek/worker/trace.py);
the corpus recorder (tests/corpus/record.py) watches the same program under
``sys.settrace``. For each case both must take the same value, and the value
must be the one the case states: right after the hovered line first ran, in
the frame that ran it (a ``def`` parameter: the first call's argument; a loop:
its first pass). No torch is needed, so these run in milliseconds.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.corpus.points import Point
from tests.corpus.record import Done, Layout, Recorder
from torchpeek.worker.probes import Captured, Tracer
from torchpeek.worker.trace import instrument

FILENAME = "/virtual/case.py"

# (id, source, 1-based line, expression, value right after that line first ran)
CASES: list[tuple[str, str, int, str, Any]] = [
    ("assignment-in-function", "def f(a):\n    b = a * 2\n    return b\n\nr = f(3)\n", 2, "b", 6),
    ("def-parameter-first-call", "def f(a):\n    return a\n\nf(3)\nf(4)\n", 1, "a", 3),
    ("return-reads-name", "def g(h):\n    return h + 1\n\ng(10)\n", 2, "h", 10),
    ("loop-target", "total = 0\nfor i in range(5):\n    total += i\n", 2, "i", 0),
    ("loop-body-first-pass", "total = 7\nfor i in range(1, 5):\n    total += i\n", 3, "total", 8),
    ("while-first-pass", "n = 40\nwhile n > 1:\n    n = n // 2\n", 3, "n", 20),
    (
        "closure-variable",
        "def outer(n):\n    def inner(k):\n        m = k + n\n        return m\n"
        "    return inner(2)\n\nouter(5)\n",
        3,
        "n",
        5,
    ),
    (
        "nested-function-local",
        "def outer(n):\n    def inner(k):\n        m = k + n\n        return m\n"
        "    return inner(2)\n\nouter(5)\n",
        3,
        "m",
        7,
    ),
    (
        "attribute-chain-in-method",
        "class A:\n    def __init__(self):\n        self.items = [1, 2]\n"
        "        self.items.append(3)\n\nA()\n",
        3,
        "self.items",
        [1, 2],
    ),
    (
        "subscript-chain",
        "rows = {'a': [[1, 2], [3, 4]]}\nfirst = rows['a'][1]\n",
        2,
        "rows['a'][1]",
        [3, 4],
    ),
    ("tuple-unpacking", "a, (b, c) = 1, (2, 3)\n", 1, "c", 3),
    (
        "with-as",
        "import contextlib\nwith contextlib.nullcontext(4) as v:\n    w = v + 1\n",
        2,
        "v",
        4,
    ),
    ("second-call-ignored", "def sq(x):\n    y = x * x\n    return y\n\nsq(2)\nsq(3)\n", 2, "y", 4),
    (
        "recursion-outermost-first",
        "def fact(n):\n    if n <= 1:\n        return 1\n    return n * fact(n - 1)\n\nfact(4)\n",
        1,
        "n",
        4,
    ),
    (
        "generator-loop",
        "def gen():\n    for j in range(3):\n        yield j * 10\n\nlist(gen())\n",
        2,
        "j",
        0,
    ),
    (
        "decorated-def-parameter",
        "import functools\n\n@functools.lru_cache\ndef f(q):\n    return q\n\nf(7)\n",
        4,
        "q",
        7,
    ),
    (
        "main-block",
        "def main():\n    data = [1, 2, 3]\n    return data\n\nif __name__ == '__main__':\n"
        "    out = main()\n",
        6,
        "out",
        [1, 2, 3],
    ),
]


def engine_value(source: str, line: int, expr: str) -> tuple[Any, dict[str, Any]]:
    """Run ``source`` the way the worker does and return the captured value and the namespace."""
    code, sites, target = instrument(source, FILENAME, line, expr)

    def evaluate(frame: Any) -> Any:
        return eval(expr, frame.f_globals, frame.f_locals)

    tracer = Tracer(FILENAME, source.splitlines(), sites, repr, evaluate=evaluate, target=target)
    namespace: dict[str, Any] = {"__name__": "__main__", "__torchpeek__": tracer}
    try:
        exec(code, namespace)
    except Captured:
        pass
    assert tracer.capture is not None, "the line was never reached"
    assert tracer.capture.error is None, tracer.capture.error
    return tracer.capture.value, namespace


def recorded_value(source: str, line: int, expr: str) -> Any:
    """The same value taken by the corpus recorder's ``sys.settrace`` rule."""
    point = Point("case.py", line, expr, 0)
    recorder = Recorder(FILENAME, [point], Layout(source), describe=lambda value: value)
    sys.settrace(recorder.global_trace)
    try:
        exec(compile(source, FILENAME, "exec"), {"__name__": "__main__"})
    except Done:
        pass
    finally:
        sys.settrace(None)
    assert point.key in recorder.values, "the recorder never reached the line"
    return recorder.values[point.key]


@pytest.mark.parametrize(
    ("source", "line", "expr", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_engine_and_recorder_take_the_same_value(
    source: str, line: int, expr: str, expected: Any
) -> None:
    engine, _ = engine_value(source, line, expr)
    assert engine == expected
    assert recorded_value(source, line, expr) == expected


def test_run_stops_right_after_the_capture() -> None:
    source = "seen = []\nfor i in range(1000):\n    seen = seen + [i]\nafter = True\n"
    value, namespace = engine_value(source, 3, "seen")
    assert value == [0]
    assert namespace["seen"] == [0] and "after" not in namespace


def test_exception_handler_name() -> None:
    source = "try:\n    1 / 0\nexcept ZeroDivisionError as err:\n    message = str(err)\n"
    engine, _ = engine_value(source, 3, "err")
    assert isinstance(engine, ZeroDivisionError)
    assert isinstance(recorded_value(source, 3, "err"), ZeroDivisionError)


def test_in_place_change_on_the_hovered_line_is_shown() -> None:
    source = "seen = []\nfor i in range(3):\n    seen.append(i)\n"
    assert recorded_value(source, 3, "seen") == [0]
    engine, _ = engine_value(source, 3, "seen")
    assert engine == [0]
