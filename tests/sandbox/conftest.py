"""The server fixture for the hostile-input tests: one server per module, 3 s preview timeout.

The options go in ``initializationOptions`` as an editor sends them, and again
through ``workspace/didChangeConfiguration``: at the time of writing the server
ignores the preview limits given at initialization (see
``test_init_options.py``), and these tests need the short timeout either way.
The fixture then waits for the worker's warm-up with one ordinary hover, so
the first case's timing measures the case and not torch's import.
"""

from __future__ import annotations

import pytest_lsp
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG
from tests.sandbox.hostile import hostile_session


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in hostile_session(lsp_client):
        yield
