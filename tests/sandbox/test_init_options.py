"""The preview limits sent in ``initializationOptions`` reach the worker.

A separate server without the fixture's ``didChangeConfiguration`` workaround:
``hover.register`` builds the ``PreviewService`` with the default settings and
``on_initialize`` only updates ``ls.settings``, so the 3 s limit is ignored
and previews run for the default 5 s.
"""

from __future__ import annotations

import pytest_lsp
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, session
from tests.sandbox.hostile import (
    OPTIONS,
    TIMEOUT_S,
    assert_healthy,
    settle_late_hovers,
    timed_hover,
)


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client, options=OPTIONS):
        await assert_healthy(lsp_client, limit=120)
        yield
        await settle_late_hovers()


async def test_timeout_from_initialization_options(client: LanguageClient) -> None:
    text, _ = await timed_hover(client, "while True:\n    pass\nn = 1\n", "n", limit=8)
    assert "TimeoutError" in text
    assert f"{TIMEOUT_S:g} s" in text, text
