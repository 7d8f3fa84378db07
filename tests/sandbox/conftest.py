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
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import CONFIG, session
from tests.sandbox.hostile import OPTIONS, assert_healthy, settle_late_hovers


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient):
    async for _ in session(lsp_client, options=OPTIONS):
        lsp_client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"torchpeek": OPTIONS})
        )
        await assert_healthy(lsp_client, limit=120)
        yield
        await settle_late_hovers()
