"""The user's project: previews read the workspace, never change it, and never read the home folder.

Previews run in their scratch directory with a link to each entry of the
document's folder, and the workspace folders are readable. These cases check,
from the disk itself, that the links give no way to change or remove the
user's files, and that a workspace that *is* the home folder (or a package
whose root is the home folder) does not open ``$HOME`` dotfiles.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.lsp_support import SERVER, accept_server_requests, last_occurrence
from tests.sandbox.hostile import OPTIONS, assert_healthy, assert_mentions, settle_late_hovers

HOME = Path(tempfile.mkdtemp(prefix="torchpeek-home-"))
PROJECT = Path(tempfile.mkdtemp(prefix="torchpeek-project-"))
SECRET = "machine example.com login me password hunter2-secret"
DENIED = ("PermissionError", "Permission denied", "not allowed", "outside the preview")

(HOME / ".netrc").write_text(SECRET)
(HOME / "pkg").mkdir()
(HOME / "pkg" / "__init__.py").write_text("")
(PROJECT / "data.txt").write_text("workspace data")
CONFIG = ClientServerConfig(server_command=SERVER, server_env={**os.environ, "HOME": str(HOME)})


@pytest_lsp.fixture(config=CONFIG, scope="module")
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    accept_server_requests(lsp_client)
    folders = [types.WorkspaceFolder(uri=p.as_uri(), name=p.name) for p in (PROJECT, HOME)]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options=OPTIONS,
            root_uri=PROJECT.as_uri(),
            workspace_folders=folders,
        )
    )
    await assert_healthy(lsp_client, limit=120)
    yield
    await settle_late_hovers()
    await lsp_client.shutdown_session()


_opened = iter(range(10_000))


async def hover_in(client: LanguageClient, folder: Path, code: str, word: str) -> str:
    """Open ``code`` as a file of ``folder`` and hover the last ``word``."""
    uri = (folder / f"doc{next(_opened)}.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=code
            )
        )
    )
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=last_occurrence(code, word),
        )
    )
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def test_workspace_files_are_readable_by_relative_path(client: LanguageClient) -> None:
    text = await hover_in(client, PROJECT, "r = open('data.txt').read()\n", "r")
    assert "workspace data" in text, text


async def test_writing_through_the_folder_link_is_refused(client: LanguageClient) -> None:
    victim = PROJECT / "victim.txt"
    victim.write_text("original")
    for code in (
        "r = open('victim.txt', 'w').write('owned')\n",
        "r = open('victim.txt', 'a').write('owned')\n",
        "import os\nr = os.truncate('victim.txt', 0)\n",
    ):
        text = await hover_in(client, PROJECT, code, "r")
        assert victim.read_text() == "original", code
        assert_mentions(text, *DENIED)
    await assert_healthy(client)


async def test_removing_or_renaming_through_the_link_leaves_the_file(
    client: LanguageClient,
) -> None:
    victim = PROJECT / "keep.txt"
    victim.write_text("keep")
    for code in (
        "import os\nos.remove('keep.txt')\nr = 1\n",
        "import os\nos.rename('keep.txt', 'gone.txt')\nr = 1\n",
        "import os\nr = os.remove(os.path.realpath('keep.txt'))\n",
    ):
        await hover_in(client, PROJECT, code, "r")
        assert victim.read_text() == "keep", code
        assert not (PROJECT / "gone.txt").exists()
    await assert_healthy(client)


async def test_a_workspace_that_is_the_home_folder_does_not_open_dotfiles(
    client: LanguageClient,
) -> None:
    for code in (
        "r = open('.netrc').read()\n",
        f"r = open({str(HOME / '.netrc')!r}).read()\n",
    ):
        text = await hover_in(client, HOME, code, "r")
        assert "hunter2" not in text, text
        assert_mentions(text, *DENIED, "No such file")
    for code in ("import os\nr = os.listdir('.')\n", f"import os\nr = os.listdir({str(HOME)!r})\n"):
        text = await hover_in(client, HOME, code, "r")
        assert "netrc" not in text, text
    await assert_healthy(client)


async def test_a_package_rooted_at_home_does_not_open_home(client: LanguageClient) -> None:
    code = f"r = open({str(HOME / '.netrc')!r}).read()\n"
    text = await hover_in(client, HOME / "pkg", code, "r")
    assert "hunter2" not in text
    assert_mentions(text, *DENIED)
    await assert_healthy(client)
