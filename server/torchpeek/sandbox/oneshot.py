"""Previews and doctor reports outside the server, for ``torchpeek preview`` and ``torchpeek doctor``.

Starts a worker in the given interpreter, asks one question and stops it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ..sandbox.service import PreviewService
from ..settings import Settings


def _service(python: str) -> PreviewService:
    return PreviewService(Settings(python=python), lambda state, detail, simulated: None)


async def _doctor(python: str) -> dict[str, Any]:
    service = _service(python)
    try:
        return await service.doctor()
    finally:
        await service.stop()


async def _preview(path: Path, line: int, column: int, python: str) -> dict[str, Any]:
    service = _service(python)
    try:
        found = await service.preview_source(
            path.as_uri(), 0, path.read_text(encoding="utf-8"), line, column, str(path)
        )
        if found is None:
            return {"ok": False, "text": "nothing to preview at this position"}
        return service.as_json(*found)
    finally:
        await service.stop()


def doctor_report(python: str) -> dict[str, Any]:
    """Which torch the interpreter has and which sandbox layers are active."""
    return asyncio.run(_doctor(python))


def preview_file(path: Path, line: int, column: int, python: str) -> dict[str, Any]:
    """The preview at a 0-based position of a file."""
    return asyncio.run(_preview(path, line, column, python))
