"""Completion latency of torchpeek over stdio, against a bare pygls server as the floor.

Usage: ``.venv/bin/python bench/completion.py [--quick] [-n N] [--spawns S]``

Scenarios, each a real server process spoken to through pygls' ``LanguageClient``:

* torchpeek with the shipped snippet database, typing ``seed``, ``ckpt``, ``gpu``, ``cv2``,
  ``cat``, ``train`` in rotation into a short document; every other request follows an
  incremental ``didChange`` (a new version), the next one asks again at the same version;
* ``bench/floor_server.py`` answering with exactly the items torchpeek returned for the same
  words (captured once), without ranking: what pygls and JSON-RPC cost on their own;
* a 5,000-line document with a new version (an incremental ``didChange`` retyping the word)
  before *every* request (target: median <= 10 ms);
* the shipped database plus 10,000 generated snippets (``snippetPaths``), at two-letter
  words, each of which matches a hundred or so prefixes (target: median <= 15 ms);
* spawn to the first completion with items: process start, ``initialize``, ``initialized``,
  ``didOpen`` and a completion whose answer has items (target: <= 600 ms). The first spawn
  fills the snippet cache (``cold``); the others reuse it (``warm``), as a restart does.

The preview worker is left enabled and the timing starts once it reports ``ready``, so
torch warming up in the background does not share the CPUs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lsp import (  # noqa: E402
    FLOOR_SERVER,
    TORCHPEEK,
    Session,
    fmt,
    load_line,
    machine_line,
    median,
    now_ms,
    p99,
    table,
)

PREFIXES = ("seed", "ckpt", "gpu", "cv2", "cat", "train")
TWO_LETTERS = ("se", "ck", "ba", "ko", "mi", "tu")
SYNTHETIC = 10_000
LARGE_LINES = 5000
TARGETS = {"large": 10.0, "synthetic": 15.0, "spawn": 600.0}
DOCUMENT = (
    "import os\n"
    "import numpy as np\n"
    "\n"
    "\n"
    "def main() -> None:\n"
    "    data = np.zeros((4, 4))\n"
    "    print(os.getcwd(), data.shape)\n"
    "\n"
    "\n"
)
TYPED_LINE = DOCUMENT.count("\n")


# -- the synthetic database ------------------------------------------------------------
def random_word(rng: random.Random) -> str:
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    syllables = rng.randint(2, 4)
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))


def large_document(lines: int = LARGE_LINES) -> str:
    """A module of ``lines`` lines: a docstring, imports, functions, strings and comments."""
    parts = ['"""A long module."""\n', "import os\n", "import torch\n", "\n"]
    block = (
        "def step_{n}(x):\n"
        '    """Step {n}."""\n'
        "    y = x * {n}  # scale\n"
        "    label = 'step {n}'\n"
        "    return torch.relu(y), label\n"
        "\n"
    )
    n = 0
    while sum(p.count("\n") for p in parts) < lines - 1:
        parts.append(block.format(n=n))
        n += 1
    return "".join(parts)


def write_synthetic(folder: Path, count: int = SYNTHETIC, files: int = 10) -> None:
    """``count`` valid snippets in ``files`` YAML files, following snippets_db/README.md."""
    rng = random.Random(20240601)
    snippets = []
    for i in range(1, count + 1):
        word = random_word(rng)
        snippets.append(
            {
                "id": f"synthetic-{i:04d}",
                "prefix": [word],
                "title": f"Synthetic zeros {word}",
                "description": {"en": "A generated snippet for the completion benchmark."},
                "category": "tensor",
                "imports": ["import torch"],
                "body": "x${1:0} = torch.zeros(${2:3}, ${3:4})$0",
                "preview": {"expr": "1"},
            }
        )
    per_file = -(-count // files)
    for n in range(files):
        chunk = snippets[n * per_file : (n + 1) * per_file]
        text = yaml.safe_dump({"snippets": chunk}, sort_keys=False, allow_unicode=True)
        (folder / f"synthetic_{n + 1}.yaml").write_text(text, encoding="utf-8")


# -- one server, one scenario ------------------------------------------------------------
async def completion_loop(
    session: Session,
    n: int,
    warmup: int,
    words: tuple[str, ...] = PREFIXES,
    document: str = DOCUMENT,
    every: int = 2,
) -> tuple[list[float], float]:
    """Time ``n`` completions, a new version before every ``every``-th one.

    Returns the times (ms) and the mean number of items.
    """
    uri = session.open(f"completion_bench_{len(document)}.py", document)
    line = document.count("\n")
    current = ""
    times: list[float] = []
    items = 0
    for i in range(warmup + n):
        word = words[(i // every) % len(words)]
        if i % every == 0:
            current = retype(session, uri, current, word, line)
        started = now_ms()
        result = await session.complete(uri, line, len(current))
        elapsed = now_ms() - started
        if i >= warmup:
            times.append(elapsed)
            items += len(result.items) if result is not None else 0
    return times, items / max(1, n)


def retype(session: Session, uri: str, current: str, word: str, line: int = TYPED_LINE) -> str:
    """Replace the typed word on the completion line (an incremental didChange)."""
    start = types.Position(line=line, character=0)
    end = types.Position(line=line, character=len(current))
    session.edit(uri, start, end, word)
    return word


async def capture_items(session: Session, words: tuple[str, ...] = PREFIXES) -> dict[str, Any]:
    """torchpeek's answer for each prefix (and the empty word), as LSP JSON."""
    uri = session.open("completion_capture.py", DOCUMENT)
    captured: dict[str, Any] = {}
    current = ""
    for word in ("", *words):
        current = retype(session, uri, current, word)
        result = await session.complete(uri, TYPED_LINE, len(word))
        captured[word] = session.to_json(result.items) if result is not None else []
    return captured


async def torchpeek_run(
    options: dict[str, Any], n: int, warmup: int, items_file: Path | None, **loop: Any
) -> tuple[list[float], float, int, str]:
    session = Session(TORCHPEEK)
    await session.start()
    try:
        await session.initialize(options)
        state = await session.wait_ready()
        snippets = len(await session.command("torchpeek.listSnippets"))
        if items_file is not None:
            captured = await capture_items(session, loop.get("words", PREFIXES))
            items_file.write_text(json.dumps(captured), encoding="utf-8")
        times, mean_items = await completion_loop(session, n, warmup, **loop)
    finally:
        await session.close()
    return times, mean_items, snippets, state


async def floor_run(
    n: int, warmup: int, items_file: Path, **loop: Any
) -> tuple[list[float], float]:
    session = Session([sys.executable, str(FLOOR_SERVER), str(items_file)])
    await session.start()
    try:
        await session.initialize()
        return await completion_loop(session, n, warmup, **loop)
    finally:
        await session.close()


async def spawn_to_items(command: list[str]) -> float:
    """Process start to the first completion answer that has items (ms)."""
    session = Session(command)
    started = now_ms()
    await session.start()
    try:
        await session.initialize()
        uri = session.open("spawn.py", "import torch\n\nseed")
        for _ in range(200):
            result = await session.complete(uri, 2, 4)
            if result is not None and result.items:
                return now_ms() - started
            await asyncio.sleep(0.005)
        return float("nan")
    finally:
        await session.close()


# -- main -----------------------------------------------------------------------------------
def row(label: str, times: list[float], target: float | None = None, extra: str = "") -> list[str]:
    verdict = "" if target is None else ("ok" if median(times) <= target else "OVER")
    goal = "" if target is None else f"<= {target:g}"
    return [label, str(len(times)), fmt(median(times), 2), fmt(p99(times), 2), goal, verdict, extra]


async def shipped_rows(n: int, warmup: int, tmpdir: Path) -> list[list[str]]:
    items_file = tmpdir / "items_shipped.json"
    times, mean_items, count, state = await torchpeek_run({}, n, warmup, items_file)
    floor, _ = await floor_run(n, warmup, items_file)
    ratio = f"{median(times) / median(floor):.1f}x floor"
    label = f"shipped db ({count:,} snippets, {mean_items:.0f} items/req)"
    note = "" if state == "ready" else f" [worker {state}]"
    return [
        row(f"torchpeek, {label}{note}", times, extra=ratio),
        row("floor pygls server, same items", floor),
    ]


async def large_rows(n: int, warmup: int, tmpdir: Path) -> list[list[str]]:
    document = large_document()
    items_file = tmpdir / "items_large.json"
    times, mean_items, _, _ = await torchpeek_run(
        {}, n, warmup, items_file, document=document, every=1
    )
    floor, _ = await floor_run(n, warmup, items_file, document=document, every=1)
    ratio = f"{median(times) / median(floor):.1f}x floor"
    label = f"{document.count(chr(10)):,}-line document, new version per request"
    return [
        row(f"{label} ({mean_items:.0f} items/req)", times, TARGETS["large"], ratio),
        row("floor pygls server, same document, edits and items", floor),
    ]


async def synthetic_rows(n: int, warmup: int, folder: Path, tmpdir: Path) -> list[list[str]]:
    items_file = tmpdir / "items_two_letters.json"
    times, mean_items, count, _ = await torchpeek_run(
        {"snippetPaths": [str(folder)]}, n, warmup, items_file, words=TWO_LETTERS
    )
    floor, _ = await floor_run(n, warmup, items_file, words=TWO_LETTERS)  # type: ignore[arg-type]
    ratio = f"{median(times) / median(floor):.1f}x floor"
    label = f"{count:,} snippets, two-letter words ({mean_items:.0f} items/req)"
    return [
        row(label, times, TARGETS["synthetic"], ratio),
        row("floor pygls server, same items", floor),
    ]


async def spawn_rows(spawns: int, cache: Path, items_file: Path) -> list[list[str]]:
    import os

    os.environ["TORCHPEEK_CACHE_DIR"] = str(cache)  # a fresh cache: the first spawn fills it
    times = [await spawn_to_items(TORCHPEEK) for _ in range(spawns + 1)]
    floor_command = [sys.executable, str(FLOOR_SERVER), str(items_file)]
    floor = [await spawn_to_items(floor_command) for _ in range(spawns)]
    ratio = f"{median(times[1:]) / median(floor):.1f}x floor"
    return [
        row("spawn -> first completion with items, cold cache", times[:1]),
        row("spawn -> first completion with items, warm cache", times[1:], TARGETS["spawn"], ratio),
        row("spawn -> first completion, floor pygls server", floor),
    ]


async def main_async(args: argparse.Namespace) -> int:
    n, warmup, spawns = args.n, args.warmup, args.spawns
    print(f"torchpeek completion bench: {n} requests per scenario, {spawns} spawns")
    print(machine_line())
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="torchpeek-bench-") as tmp:
        tmpdir = Path(tmp)
        synthetic = tmpdir / "snippets"
        synthetic.mkdir()
        write_synthetic(synthetic)
        chosen = args.only or ["shipped", "spawn", "large", "synthetic"]
        if "shipped" in chosen or "spawn" in chosen:
            rows += await shipped_rows(n, warmup, tmpdir)
        if "spawn" in chosen:
            rows += await spawn_rows(spawns, tmpdir / "cache", tmpdir / "items_shipped.json")
        if "large" in chosen:
            rows += await large_rows(n, warmup, tmpdir)
        if "synthetic" in chosen:
            rows += await synthetic_rows(n, warmup, synthetic, tmpdir)
    print()
    headers = ["scenario", "n", "median ms", "p99 ms", "target", "", "note"]
    print(table(headers, rows))
    print()
    print(
        "Round trips are client send -> response parsed, over stdio."
        " p99 is nearest-rank (the maximum below 100 samples)."
        f" At the end: {load_line()}."
    )
    over = [r[0] for r in rows if r[5] == "OVER"]
    return 1 if over and args.strict else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (CI smoke)")
    parser.add_argument("-n", type=int, help="timed requests per scenario (default 500)")
    parser.add_argument("--spawns", type=int, help="spawns for start-up time (default 10)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--only",
        action="append",
        choices=["shipped", "spawn", "large", "synthetic"],
        help="run only these scenarios (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    args.n = args.n or (40 if args.quick else 500)
    args.spawns = args.spawns or (2 if args.quick else 10)
    args.warmup = 6 if args.quick else 30
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
