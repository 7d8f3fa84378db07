"""Checks on every message that crosses the worker's pipes, in both directions.

Request lines from the server and result lines from a preview child are both
untrusted bytes here: a line that is not a JSON object of the expected shape
becomes a clear refusal, never an exception in the worker's loop.
"""

from __future__ import annotations

import json
from typing import Any

from .protocol import Limits

OPS = ("preview", "cancel", "doctor", "snapshots", "shutdown")
MAX_ID = 2**53


def valid_id(value: Any) -> bool:
    """A request id: an int a JSON peer can represent exactly."""
    return type(value) is int and -MAX_ID <= value <= MAX_ID


def parse_request(line: bytes) -> tuple[dict[str, Any] | None, str]:
    """One request line, or None and why it was refused."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError) as error:  # bad JSON, deep nesting, huge numbers
        return None, f"{type(error).__name__}: {str(error)[:200]}"
    if not isinstance(message, dict):
        return None, "not a JSON object"
    if message.get("op") not in OPS:
        return None, f"unknown op {str(message.get('op'))[:50]!r}"
    if "id" in message and not valid_id(message["id"]):
        return None, "the id is not an integer"
    if message["op"] in ("preview", "cancel") and "id" not in message:
        return None, "a request without an id"
    return message, ""


LIMIT_RANGES = {
    "timeout_ms": (1, 600_000),
    "memory_mb": (64, 1 << 20),
    "max_files": (16, 65536),
    "max_file_mb": (1, 1 << 20),
    "max_threads": (1, 4096),
    "max_scratch_mb": (1, 1 << 20),
}


def check_limits(limits: Limits) -> None:
    """Every limit is an int in its range; raises ValueError naming the first that is not."""
    for name, (low, high) in LIMIT_RANGES.items():
        value = getattr(limits, name)
        if type(value) is not int or not low <= value <= high:
            raise ValueError(f"limit {name} must be an integer in [{low}, {high}]")


def checked_result(data: bytes) -> dict[str, Any]:
    """The child's result line, if it is one; a forged or broken line becomes a failure."""
    try:
        result = json.loads(data)
    except (ValueError, RecursionError):
        return failure("InternalError", "the preview sent an unreadable result")
    if not isinstance(result, dict) or not isinstance(result.get("ok"), bool):
        return failure("InternalError", "the preview sent a result of the wrong shape")
    if not result["ok"] and isinstance(result.get("mismatch"), str):
        return {"ok": False, "mismatch": result["mismatch"][:500]}  # a snapshot that did not fit
    part = result.get("value") if result["ok"] else result.get("error")
    if result["ok"] and "value" not in result:
        part = result.get("recorded")  # a whole-file trace (line -1) answers with what it recorded
    if not isinstance(part, dict):
        return failure("InternalError", "the preview sent a result of the wrong shape")
    for key in ("op", "id", "elapsed_ms", "cancelled"):
        result.pop(key, None)  # only the worker sets these
    return result


def failure(kind: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"type": kind, "summary": message, "message": message}}
