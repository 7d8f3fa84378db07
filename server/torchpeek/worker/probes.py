"""The runtime side of the probes: what ``__torchpeek__(site)`` does when a probe runs.

``trace.py`` puts the probes into the document; the ``Tracer`` here answers
them: a *record* probe notes the first value of each assigned name, an
*entry* probe notes that a function ran (snapshot holders use it), the
*target* probe takes the hovered value and stops the run with ``Captured``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from .missing import StandIns
from .trace import Site, Target


class Captured(BaseException):  # noqa: N818 - a control-flow signal, not an error
    """Raised by the target probe to stop the program once the value is taken."""


class OutOfTime(BaseException):  # noqa: N818 - a control-flow signal, not an error
    """The run passed its time budget (the fake-tensor run gives way to the real CPU)."""


@dataclass
class Capture:
    """The hovered value (or the error evaluating it) and how the run got there."""

    value: Any = None
    error: BaseException | None = None
    frame_kind: str = "module"
    via: tuple[int, str] | None = None
    top_line: int | None = None


@dataclass
class Tracer:
    """The runtime side of the probes: records values and captures the target."""

    filename: str
    lines: list[str]
    sites: list[Site]
    describe: Callable[[Any], dict[str, Any]]
    recorded: dict[int, dict[str, Any]] = field(default_factory=dict)
    capture: Capture | None = None
    evaluate: Callable[[FrameType], Any] | None = None
    on_mark: Callable[[FrameType], None] | None = None
    recording: bool = True
    stop: bool = True
    target: Target | None = None
    deadline: float | None = None
    tentative: Capture | None = None
    loops: dict[int, int] = field(default_factory=dict)
    missing: StandIns = field(default_factory=StandIns)
    base: int = 0
    entered: set[Any] = field(default_factory=set)

    def __call__(self, site_id: int) -> None:
        if self.capture is not None and self.stop:
            raise Captured  # the target was taken; a swallowed stop signal is raised again
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OutOfTime
        index = site_id - self.base
        if not 0 <= index < len(self.sites):
            return  # a probe compiled for a snapshot's own run: not this run's
        site = self.sites[index]
        if site.done:
            return
        frame = sys._getframe(1)
        if site.entry:
            site.done = True
            self.entered.add(frame.f_code)
            return
        if site.mark:
            site.done = True
            if self.on_mark is not None:
                self.on_mark(frame)
            return
        if site.tentative:
            site.done = True
            self.tentative = self._capture(frame)
            return
        if site.target:
            if self.capture is None:
                self._take(frame)
            if self.stop:
                raise Captured
            return
        site.done = True
        if self.recording:
            self._record(site, frame)

    def _record(self, site: Site, frame: FrameType) -> None:
        if site.loop is not None:
            self.loops[site.line] = site.loop
        values = frame.f_locals
        row = self.recorded.setdefault(site.line, {})
        for name in site.names:
            if name in values and name not in row:
                try:
                    row[name] = self.describe(values[name])
                except Exception:  # noqa: BLE001 - a value we cannot describe is simply not kept
                    continue

    def _take(self, frame: FrameType) -> None:
        self.capture = self._capture(frame)

    def _capture(self, frame: FrameType) -> Capture:
        capture = Capture(frame_kind="module" if frame.f_code.co_name == "<module>" else "call")
        try:
            assert self.evaluate is not None
            capture.value = self.evaluate(frame)
        except Exception as error:  # noqa: BLE001 - shown as the hover's answer
            capture.error = error
        capture.via = self._caller(frame)
        capture.top_line = self._top_line(frame)
        return capture

    def _top_line(self, frame: FrameType) -> int | None:
        """The line the document's module level is running when ``frame`` is reached."""
        outer: FrameType | None = frame
        while outer is not None:
            if outer.f_code.co_name == "<module>" and outer.f_code.co_filename == self.filename:
                return outer.f_lineno
            outer = outer.f_back
        return None

    def _caller(self, frame: FrameType) -> tuple[int, str] | None:
        """The nearest line of the document that led to this frame."""
        outer = frame.f_back
        while outer is not None:
            if outer.f_code.co_filename == self.filename:
                line = outer.f_lineno
                text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
                return line, text
            outer = outer.f_back
        return None
