"""Fixtures for the snippet engine unit tests: where the test data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

SNIPPET_DATA = Path(__file__).resolve().parent.parent / "data" / "snippets"


@pytest.fixture
def snippet_data() -> Path:
    """tests/data/snippets: small YAML and VS Code files, good and broken."""
    return SNIPPET_DATA
