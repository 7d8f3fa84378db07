"""Completion latency of torchpeek over stdio, against a bare pygls server as the floor.

Usage: ``.venv/bin/python bench/completion.py [--quick] [-n N] [--spawns S]``

Scenarios, each a real server process spoken to through pygls' ``LanguageClient``:

* torchpeek with the shipped snippet database, then with the shipped database
  plus 2,000 generated snippets (``snippetPaths`` pointing at a temp folder);
* ``bench/floor_server.py`` answering with exactly the items torchpeek returned
  for the same word (captured once from torchpeek), without ranking: what pygls
  and JSON-RPC cost on their own;
* spawn-to-``initialize`` (process start to the initialize response) for both.

Each completion round trip types a prefix (``seed``, ``ckpt``, ``gpu``, ``cv2``,
``cat``, ``train`` in rotation) into a Python document. Every other request
first sends an incremental ``didChange`` (a new document version, so
per-version caches miss); the request after it asks again at the same version.
The preview worker is left enabled and the timing starts once it reports
``ready``, so torch warming up in the background does not share the CPUs.
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
SYNTHETIC = 2000
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


def write_synthetic(folder: Path, count: int = SYNTHETIC, files: int = 4) -> None:
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
async def completion_loop(session: Session, n: int, warmup: int) -> tuple[list[float], float]:
    """Time ``n`` completions; returns the times (ms) and the mean number of items."""
    uri = session.open("completion_bench.py", DOCUMENT)
    current = ""
    times: list[float] = []
    items = 0
    for i in range(warmup + n):
        word = PREFIXES[(i // 2) % len(PREFIXES)]
        if i % 2 == 0:
            current = retype(session, uri, current, word)
        started = now_ms()
        result = await session.complete(uri, TYPED_LINE, len(current))
        elapsed = now_ms() - started
        if i >= warmup:
            times.append(elapsed)
            items += len(result.items) if result is not None else 0
    return times, items / max(1, n)


def retype(session: Session, uri: str, current: str, word: str) -> str:
    """Replace the typed word on the completion line (an incremental didChange)."""
    start = types.Position(line=TYPED_LINE, character=0)
    end = types.Position(line=TYPED_LINE, character=len(current))
    session.edit(uri, start, end, word)
    return word


async def capture_items(session: Session) -> dict[str, Any]:
    """torchpeek's answer for each prefix (and the empty word), as LSP JSON."""
    uri = session.open("completion_capture.py", DOCUMENT)
    captured: dict[str, Any] = {}
    current = ""
    for word in ("", *PREFIXES):
        current = retype(session, uri, current, word)
        result = await session.complete(uri, TYPED_LINE, len(word))
        captured[word] = session.to_json(result.items) if result is not None else []
    return captured


async def torchpeek_run(
    options: dict[str, Any], n: int, warmup: int, items_file: Path
) -> tuple[list[float], float, int, str]:
    session = Session(TORCHPEEK)
    await session.start()
    try:
        await session.initialize(options)
        state = await session.wait_ready()
        snippets = len(await session.command("torchpeek.listSnippets"))
        items_file.write_text(json.dumps(await capture_items(session)), encoding="utf-8")
        times, mean_items = await completion_loop(session, n, warmup)
    finally:
        await session.close()
    return times, mean_items, snippets, state


async def floor_run(n: int, warmup: int, items_file: Path) -> tuple[list[float], float]:
    session = Session([sys.executable, str(FLOOR_SERVER), str(items_file)])
    await session.start()
    try:
        await session.initialize()
        return await completion_loop(session, n, warmup)
    finally:
        await session.close()


async def spawn_times(command: list[str], spawns: int) -> list[float]:
    """Process start to the ``initialize`` response, one fresh process each time."""
    times = []
    for _ in range(spawns):
        session = Session(command)
        started = now_ms()
        await session.start()
        await session.initialize(send_initialized=False)
        times.append(now_ms() - started)
        await session.close()
    return times


# -- main -----------------------------------------------------------------------------------
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
        scenarios = [
            ("shipped db", {}, tmpdir / "items_shipped.json"),
            (
                f"shipped + {SYNTHETIC:,} synthetic",
                {"snippetPaths": [str(synthetic)]},
                tmpdir / "items_synthetic.json",
            ),
        ]
        for label, options, items_file in scenarios:
            times, mean_items, count, state = await torchpeek_run(options, n, warmup, items_file)
            floor, floor_items = await floor_run(n, warmup, items_file)
            if round(floor_items) != round(mean_items):
                print(
                    f"note: floor answered {floor_items:.0f} items/req, torchpeek {mean_items:.0f}"
                )
            ratio = median(times) / median(floor)
            rows.append(
                [
                    f"torchpeek, {label} ({count:,} snippets, {mean_items:.0f} items/req)",
                    str(len(times)),
                    fmt(median(times), 2),
                    fmt(p99(times), 2),
                    f"{ratio:.1f}x",
                ]
            )
            rows.append(
                [
                    "floor pygls server, same items",
                    str(len(floor)),
                    fmt(median(floor), 2),
                    fmt(p99(floor), 2),
                    "1.0x",
                ]
            )
            if state != "ready":
                print(f"note: the worker reported {state!r} before the {label} run")
        floor_file = scenarios[0][2]
        spawn_tp = await spawn_times(TORCHPEEK, spawns)
        spawn_floor = await spawn_times(
            [sys.executable, str(FLOOR_SERVER), str(floor_file)], spawns
        )
    rows.append(
        [
            "spawn -> initialize response, torchpeek",
            str(len(spawn_tp)),
            fmt(median(spawn_tp)),
            fmt(p99(spawn_tp)),
            f"{median(spawn_tp) / median(spawn_floor):.1f}x",
        ]
    )
    rows.append(
        [
            "spawn -> initialize response, floor",
            str(len(spawn_floor)),
            fmt(median(spawn_floor)),
            fmt(p99(spawn_floor)),
            "1.0x",
        ]
    )
    print()
    print(table(["scenario", "n", "median ms", "p99 ms", "vs floor"], rows))
    print()
    print(
        "Round trips are client send -> response parsed, over stdio; half the requests follow an"
        " incremental didChange.\np99 is nearest-rank (the maximum below 100 samples)."
        f" At the end: {load_line()}."
    )
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (CI smoke)")
    parser.add_argument("-n", type=int, help="timed requests per scenario (default 500)")
    parser.add_argument("--spawns", type=int, help="spawns for start-up time (default 10)")
    args = parser.parse_args(argv)
    args.n = args.n or (40 if args.quick else 500)
    args.spawns = args.spawns or (2 if args.quick else 10)
    args.warmup = 6 if args.quick else 30
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
