"""Files: a preview writes only in its private work dir and reads only system and Python paths.

Each target path is under pytest's ``tmp_path``, outside the worker's work dir;
the test checks the disk itself after the hover.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from tests.sandbox.hostile import assert_healthy, assert_mentions, timed_hover

DENIED = ("PermissionError", "not allowed", "outside the preview's work dir", "Permission denied")

WRITES = {
    "open": "import torch\nr = open({path!r}, 'w').write('owned')\n",
    "torch.save": "import torch\nr = torch.save(torch.ones(2), {path!r})\n",
    "numpy.save": "import numpy\nr = numpy.save({path!r}, numpy.ones(3))\n",
    "os.open": "import os\nr = os.open({path!r}, os.O_CREAT | os.O_WRONLY)\n",
    "pathlib": "import pathlib\nr = pathlib.Path({path!r}).write_bytes(b'owned')\n",
}


@pytest.mark.parametrize("how", list(WRITES))
async def test_write_outside_work_dir_is_refused(
    client: LanguageClient, tmp_path: Path, how: str
) -> None:
    path = tmp_path / "written.npy"
    text, _ = await timed_hover(client, WRITES[how].format(path=str(path)), "r")
    assert not path.exists(), f"{how} wrote {path}"
    assert_mentions(text, *DENIED)
    await assert_healthy(client)


async def test_libc_open_bypassing_the_audit_hook_is_refused_by_landlock(
    client: LanguageClient, tmp_path: Path
) -> None:
    path = tmp_path / "raw.txt"
    code = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        f"fd = libc.open({str(path).encode()!r}, 0o101, 0o644)\n"
        "r = (fd, ctypes.get_errno())\n"
    )
    text, _ = await timed_hover(client, code, "r")
    assert not path.exists()
    assert "int · -1" in text and "int · 13" in text, text  # EACCES
    await assert_healthy(client)


async def test_mkdir_remove_and_rename_outside_are_refused(
    client: LanguageClient, tmp_path: Path
) -> None:
    keep = tmp_path / "keep.txt"
    keep.write_text("keep")
    for code, word in (
        (f"import os\nr = os.mkdir({str(tmp_path / 'newdir')!r})\n", "r"),
        (f"import os\nr = os.remove({str(keep)!r})\n", "r"),
        (f"import os\nr = os.rename({str(keep)!r}, 'stolen.txt')\n", "r"),
    ):
        text, _ = await timed_hover(client, code, word)
        assert_mentions(text, *DENIED, "Invalid cross-device link")
    assert not (tmp_path / "newdir").exists()
    assert keep.read_text() == "keep"
    await assert_healthy(client)


async def test_relative_write_inside_the_work_dir_is_allowed(client: LanguageClient) -> None:
    name = f"out-{uuid.uuid4().hex[:8]}.txt"
    code = f"with open({name!r}, 'w') as fh:\n    fh.write('hello')\ndata = open({name!r}).read()\n"
    text, _ = await timed_hover(client, code, "data")
    assert "'hello'" in text, text
    assert not (Path.cwd() / name).exists(), "the preview wrote into the server's cwd"
    await assert_healthy(client)


async def test_file_size_limit(client: LanguageClient) -> None:
    code = "with open('big.bin', 'wb') as fh:\n    n = fh.write(bytes(100 * 1024 * 1024))\n"
    text, _ = await timed_hover(client, code, "n")
    assert_mentions(text, "File too large", "OSError")
    await assert_healthy(client)


async def test_reading_a_home_secret_is_refused(client: LanguageClient, tmp_path: Path) -> None:
    secret = tmp_path / "home" / ".ssh" / "id_rsa"
    secret.parent.mkdir(parents=True)
    secret.write_text("TOPSECRET-KEY")
    text, _ = await timed_hover(client, f"secret = open({str(secret)!r}).read()\n", "secret")
    assert "TOPSECRET" not in text
    assert_mentions(text, "PermissionError", "Permission denied")
    await assert_healthy(client)


async def test_reading_through_links_in_the_work_dir_is_refused(
    client: LanguageClient, tmp_path: Path
) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("TOPSECRET-KEY")
    for code in (
        f"import os\nif not os.path.lexists('s'):\n    os.symlink({str(secret)!r}, 's')\n"
        "data = open('s').read()\n",
        f"import os\nif not os.path.lexists('h'):\n    os.link({str(secret)!r}, 'h')\n"
        "data = open('h').read()\n",
    ):
        text, _ = await timed_hover(client, code, "data")
        assert "TOPSECRET" not in text
        assert_mentions(text, "PermissionError", "Invalid cross-device link", "OSError")
    await assert_healthy(client)


async def test_reading_etc_shadow_is_refused(client: LanguageClient) -> None:
    if not Path("/etc/shadow").exists():
        pytest.skip("no /etc/shadow here")
    text, _ = await timed_hover(client, "secret = open('/etc/shadow').read()\n", "secret")
    assert "root:" not in text
    assert_mentions(text, "PermissionError", "Permission denied")
    await assert_healthy(client)
