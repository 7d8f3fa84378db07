"""Resources: memory, CPU, recursion, crashes and huge output end in a clear message, in time."""

from __future__ import annotations

import pytest
from pytest_lsp import LanguageClient

from tests.sandbox.hostile import assert_healthy, assert_mentions, timed_hover

CASES = {
    "bytearray 8 GiB": ("b = bytearray(8 * 1024**3)\n", "b", ("MemoryError",)),
    "growing list": (
        "chunks = []\nwhile True:\n    chunks.append(b'x' * 10**7)\nn = len(chunks)\n",
        "n",
        ("MemoryError", "TimeoutError", "died"),
    ),
    "infinite loop": ("while True:\n    pass\nn = 1\n", "n", ("TimeoutError",)),
    "deep recursion": (
        "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nn = f(0)\n",
        "n",
        ("RecursionError", "MemoryError", "TimeoutError", "died"),
    ),
    "deep C recursion": (
        "import sys\nsys.setrecursionlimit(10**6)\nclass A:\n"
        "    def __getattr__(self, k):\n        return getattr(self, k + 'x')\nn = A().y\n",
        "n",
        ("RecursionError", "MemoryError", "died"),
    ),
    "segfault": ("import ctypes\nn = ctypes.string_at(0)\n", "n", ("died", "segmentation fault")),
    "huge result name": (
        "n = type('T' * 5 * 10**6, (), {})()\n",
        "n",
        ("too large", "InternalError"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_resource_abuse_ends_with_a_clear_message(client: LanguageClient, case: str) -> None:
    code, word, fragments = CASES[case]
    text, elapsed = await timed_hover(client, code, word)
    assert_mentions(text, *fragments)
    print(f"{case}: {elapsed:.2f} s")
    await assert_healthy(client)


async def test_timeout_message_names_the_limit(client: LanguageClient) -> None:
    text, elapsed = await timed_hover(client, "import time\ntime.sleep(60)\nn = 1\n", "n")
    assert "TimeoutError" in text and "3 s" in text, text
    assert elapsed >= 2.5, f"stopped after {elapsed:.2f} s, before the limit"
    await assert_healthy(client)


PRINTS = {
    "one huge print": "print('x' * 10**8)\n",
    "printing loop": "for i in range(200_000):\n    print(i)\n",
    "stderr": "import sys\nsys.stderr.write('y' * 10**8)\n",
}


@pytest.mark.parametrize("case", list(PRINTS))
async def test_huge_output_is_discarded(client: LanguageClient, case: str) -> None:
    text, _ = await timed_hover(client, PRINTS[case] + "n = 7\n", "n")
    assert "int · 7" in text, text
    await assert_healthy(client)


async def test_huge_value_is_shortened(client: LanguageClient) -> None:
    text, _ = await timed_hover(client, "big = 'x' * 10**8\n", "big")
    assert "str ·" in text and "…" in text and len(text) < 2000, text[:500]
    await assert_healthy(client)
