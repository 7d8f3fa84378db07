"""Hovers after ``loss.backward()`` straight to the worker, over several worker starts.

Usage: ``.venv/bin/python bench/backward_stress.py PYTHON [STARTS] [HOVERS_PER_START]``

Starts ``worker/boot.py`` in ``PYTHON`` ``STARTS`` times (default 5) and sends
each ``HOVERS_PER_START`` previews (default 40) of a small training step; prints
the failures per start and the median round trip. With a CUDA build of torch
and no GPU, a preview child used to abort in some starts and not others, so one
clean start proves nothing.
"""

from __future__ import annotations

import collections
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

BOOT = Path(__file__).resolve().parent.parent / "server" / "torchpeek" / "worker" / "boot.py"
PRELUDE = """import torch
import torch.nn as nn
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
loss = model(torch.randn(16, 4)).pow(2).mean()
loss.backward()
"""


def one_start(python: str, hovers: int, tally: collections.Counter[str], times: list[float]) -> int:
    """Start a worker, send the hovers, return how many failed."""
    worker = subprocess.Popen(
        [python, str(BOOT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert worker.stdin is not None and worker.stdout is not None
    json.loads(worker.stdout.readline())
    failed = 0
    for n in range(1, hovers + 1):
        request = {"op": "preview", "id": n, "prelude": PRELUDE + f"# {n}\n", "target": ""}
        request["expr"] = "model[0].weight.grad"
        started = time.perf_counter()
        worker.stdin.write((json.dumps(request) + "\n").encode())
        worker.stdin.flush()
        answer = json.loads(worker.stdout.readline())
        times.append((time.perf_counter() - started) * 1000)
        if answer.get("ok"):
            tally["ok"] += 1
        else:
            failed += 1
            tally[f"{answer['error']['type']}: {answer['error']['summary'][:70]}"] += 1
    worker.stdin.close()
    worker.wait()
    return failed


def main() -> None:
    python = sys.argv[1]
    starts = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    hovers = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    tally: collections.Counter[str] = collections.Counter()
    times: list[float] = []
    for start in range(starts):
        print(
            f"start {start}: {one_start(python, hovers, tally, times)}/{hovers} failed", flush=True
        )
    print(dict(tally), f"median {statistics.median(times):.1f} ms")


if __name__ == "__main__":
    main()
