"""Hover (shape preview) latency and memory of torchpeek over stdio, against cold and real runs.

Usage: ``.venv/bin/python bench/hover.py [--quick] [--python PATH]``

Measured, all in one run:

* warm hover round trips on a real ``torchpeek serve`` process, after its
  worker reports ``ready``: a simple ``x = torch.zeros(3, 5)`` (each hover on a
  new document version, so the result cache misses), the same hover answered
  from the cache, and a small CNN forward on ``torch.randn(8, 3, 32, 32)``;
* the cold baseline: a fresh ``python -c "import torch; ..."`` per preview;
* a 100000x100000 matmul preview: time, and the RSS of the worker and of the
  forked child that runs the preview (sampled from /proc while it runs);
* a VGG16 forward previewed on hover against really running it on the CPU in a
  subprocess (wall time, and peak RSS from ``wait4``'s ``ru_maxrss``);
* edit to inlay hints: after each edit of ``bench/sources/gpt.py``, the time
  until ``textDocument/inlayHint`` answers with the evaluated shapes of the
  new version (debounce and the background trace of the whole file included);
* where the time goes: the same previews sent straight to a worker process
  (no LSP), with the worker's ``elapsed_ms`` (fork to result) and the child's
  ``run_ms`` (executing the program).
* snapshots: hover latency against 1 to 1,000 statements above the hover and
  inside GPT's forward, snapshots on vs off, and the worker tree's PSS
  (``bench/scaling.py``).

``--python`` picks the worker's interpreter (initialization option
``python``); the cold and real baselines use the same interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lsp import (  # noqa: E402
    TORCHPEEK,
    Session,
    fmt,
    hover_text,
    load_line,
    machine_line,
    median,
    now_ms,
    p99,
    table,
)
from scaling import scaling_section  # noqa: E402

SIMPLE = "import torch\nx = torch.zeros(3, 5)\n"
CNN = """import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1),
    nn.BatchNorm2d(16),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1),
    nn.BatchNorm2d(32),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(32 * 8 * 8, 10),
)
x = torch.randn(8, 3, 32, 32)
y = model(x)
"""
MATMUL = "import torch\nx = torch.zeros(100000, 100000)\ny = x @ x.T\n"
VGG_BUILD = """import torch
import torch.nn as nn

cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
layers = []
channels = 3
for v in cfg:
    if v == "M":
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    else:
        layers += [nn.Conv2d(channels, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
        channels = v
model = nn.Sequential(
    *layers,
    nn.Flatten(),
    nn.Linear(25088, 4096),
    nn.ReLU(True),
    nn.Dropout(),
    nn.Linear(4096, 4096),
    nn.ReLU(True),
    nn.Dropout(),
    nn.Linear(4096, 1000),
)
"""
VGG_FORWARD = "x = torch.randn(1, 3, 224, 224)\ny = model(x)\n"
VGG = VGG_BUILD + VGG_FORWARD
COLD = "import torch; x = torch.zeros(3, 5); print(x.shape)"
SOURCES = Path(__file__).resolve().parent / "sources"
GPT = (SOURCES / "gpt.py").read_text(encoding="utf-8")
TRAIN = (SOURCES / "train_loop.py").read_text(encoding="utf-8")
# Hover points: the attention output inside CausalSelfAttention.forward (reached through
# the file's own __main__ block: build GPT, one forward), and the logits inside the
# module-level 300-epoch loop.
GPT_POINT = ("y = F.scaled_dot_product_attention", "y")
TRAIN_POINT = ("logits = model(xb)", "logits")
BREAKDOWN_WARMUP = 3  # a fresh worker's first forks are slower
WORKER_MS = re.compile(r"· (\d+) ms_")


def position_of(text: str, point: tuple[str, str]) -> tuple[int, int]:
    """0-based (line, column) of the name ``point[1]`` on the first line containing ``point[0]``."""
    for number, line in enumerate(text.splitlines()):
        if point[0] in line:
            return number, line.index(point[1])
    raise ValueError(f"{point[0]!r} is not in the source")


def last_line_of(text: str, name: str) -> int:
    """The 0-based line of the last ``name = ...`` assignment."""
    lines = text.splitlines()
    return max(i for i, line in enumerate(lines) if line.startswith(f"{name} ="))


# -- /proc -------------------------------------------------------------------------------
def children(pid: int) -> list[int]:
    """Direct children of ``pid``: /proc/<pid>/task/*/children, else a /proc scan."""
    found: list[int] = []
    tasks = Path(f"/proc/{pid}/task")
    try:
        for task in tasks.iterdir():
            text = (task / "children").read_text()
            found += [int(p) for p in text.split()]
        return found
    except OSError:
        pass
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM and RssAnon of a process in kB (empty when it is gone)."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon"):
                values[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return {}
    return values


def private_dirty_kb(pid: int) -> int:
    """Private_Dirty from smaps_rollup: memory only this process holds (0 when gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Private_Dirty:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def find_worker(server_pid: int) -> int | None:
    for child in children(server_pid):
        if "worker/boot.py" in cmdline(child):
            return child
    return None


@dataclass
class ChildSampler:
    """Polls the worker's children (the forked preview processes) for their memory.

    Per child it keeps the first and the highest VmRSS / RssAnon seen, the last
    VmHWM (the kernel's own peak) and the highest Private_Dirty: pages the child
    wrote, i.e. memory it added on top of what it shares copy-on-write with the
    worker. A child that lives less than a sampling interval is missed.
    """

    worker: int
    interval: float = 0.0005
    first: dict[int, dict[str, int]] = field(default_factory=dict)
    peak: dict[int, dict[str, int]] = field(default_factory=dict)
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> ChildSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in children(self.worker):
                mem = memory_kb(pid)
                if not mem:
                    continue
                mem["Private_Dirty"] = private_dirty_kb(pid)
                self.samples += 1
                self.first.setdefault(pid, mem)
                peak = self.peak.setdefault(pid, {})
                for key, value in mem.items():
                    peak[key] = max(peak.get(key, 0), value)
            time.sleep(self.interval)

    def largest(self) -> tuple[dict[str, int], dict[str, int]]:
        """First and peak samples of the child with the highest VmHWM."""
        if not self.peak:
            return {}, {}
        pid = max(self.peak, key=lambda p: self.peak[p].get("VmHWM", 0))
        return self.first[pid], self.peak[pid]


# -- LSP measurements --------------------------------------------------------------------
@dataclass
class Series:
    """Round trips (ms) and the worker time the hover reports (ms, rounded by the server)."""

    times: list[float] = field(default_factory=list)
    worker: list[float] = field(default_factory=list)
    last_text: str = ""


async def hover_series(
    session: Session,
    name: str,
    text: str,
    expr: str,
    n: int,
    new_version: bool,
    at: tuple[int, int] | None = None,
) -> Series:
    """Hover ``expr`` ``n`` times; with ``new_version`` each hover follows a didChange."""
    uri = session.open(f"{name}.py", text)
    line, column = at or (last_line_of(text, expr), 0)
    series = Series()
    for i in range(n + 1):  # the first one (a miss) is a warm-up
        if new_version:
            session.replace(uri, f"{text}# edit {i}\n")
        started = now_ms()
        hover = await session.hover(uri, line, column)
        elapsed = now_ms() - started
        series.last_text = hover_text(hover)
        if i == 0:
            continue
        series.times.append(elapsed)
        found = WORKER_MS.search(series.last_text)
        if found:
            series.worker.append(float(found.group(1)))
    return series


@dataclass
class MatmulResult:
    series: Series
    worker_before: dict[str, int]
    worker_after: dict[str, int]
    child_first: dict[str, int]
    child_peak: dict[str, int]
    children_seen: int
    samples: int


async def matmul_run(session: Session, worker: int | None, runs: int) -> MatmulResult:
    before = memory_kb(worker) if worker else {}
    if worker is None:
        series = await hover_series(session, "matmul", MATMUL, "y", runs, True)
        return MatmulResult(series, {}, {}, {}, {}, 0, 0)
    with ChildSampler(worker) as sampler:
        series = await hover_series(session, "matmul", MATMUL, "y", runs, True)
    first, peak = sampler.largest()
    after = memory_kb(worker)
    return MatmulResult(series, before, after, first, peak, len(sampler.peak), sampler.samples)


async def hints_series(session: Session, name: str, text: str, n: int) -> Series:
    """Edit, then ask for inlay hints; the time until they hold the new version's shapes."""
    uri = session.open(f"{name}.py", text)
    series = Series()
    everything = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=100_000, character=0)
    )
    params = types.InlayHintParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=everything
    )
    for i in range(n + 1):  # the first one (the first trace of the file) is a warm-up
        started = now_ms()
        session.replace(uri, f"{text}# edit {i}\n")
        hints = await session.client.text_document_inlay_hint_async(params) or []
        elapsed = now_ms() - started
        series.last_text = f"{len(hints)} hints, e.g. {hints[-1].label if hints else '-'}"
        if i and hints:
            series.times.append(elapsed)
    return series


def hints_table(series: Series) -> str:
    goal = median(series.times) <= 1000 if series.times else False
    rows = [
        [
            "edit -> inlay hints ready, bench/sources/gpt.py",
            str(len(series.times)),
            fmt(median(series.times)),
            fmt(p99(series.times)),
            "<= 1000 ms",
            verdict(goal),
        ]
    ]
    headers = ["measurement", "n", "median ms", "p99 ms", "goal", "result"]
    return table(headers, rows, f"Inlay hints ({series.last_text})")


# -- subprocess baselines ------------------------------------------------------------------
def cold_runs(python: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = now_ms()
        subprocess.run([python, "-c", COLD], check=True, capture_output=True)
        times.append(now_ms() - started)
    return times


REAL_SCRIPT = (
    "import json, time\n_t0 = time.perf_counter()\n"
    + VGG_BUILD
    + "_t1 = time.perf_counter()\n"
    + VGG_FORWARD
    + "_t2 = time.perf_counter()\n"
    "print(json.dumps({'build_ms': (_t1 - _t0) * 1000, 'forward_ms': (_t2 - _t1) * 1000,"
    " 'shape': list(y.shape)}))\n"
)


@dataclass
class RealRun:
    wall_ms: float
    maxrss_kb: int
    build_ms: float
    forward_ms: float
    shape: list[int]


def real_vgg(python: str) -> RealRun:
    """Run the VGG16 document for real; peak RSS from wait4's rusage of that child only."""
    started = now_ms()
    process = subprocess.Popen(
        [python, "-c", REAL_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None and process.stderr is not None
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = now_ms() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"the real VGG16 run failed: {err.decode()[-500:]}")
    info = json.loads(out.decode().strip().splitlines()[-1])
    return RealRun(wall, usage.ru_maxrss, info["build_ms"], info["forward_ms"], info["shape"])


# -- straight to the worker ------------------------------------------------------------------
async def worker_breakdown(python: str, n: int) -> list[list[str]]:
    """The same previews sent to a bare worker: pipe round trip, elapsed_ms, run_ms."""
    from torchpeek.sandbox.program import build_program
    from torchpeek.sandbox.service import PreviewService
    from torchpeek.settings import Settings

    service = PreviewService(Settings(python=python), lambda *args: None)
    await service.client.start()
    assert service.client.ready is not None
    await service.client.ready
    rows = []
    try:
        for label, text, expr, count in (
            ("simple zeros(3, 5)", SIMPLE, "x", n),
            ("CNN forward", CNN, "y", max(2, n // 2)),
            ("VGG16 forward", VGG, "y", max(2, n // 10)),
        ):
            program = build_program(text, last_line_of(text, expr), 0, None)
            assert program is not None
            request = service._request(program, f"/tmp/torchpeek-bench/{label}.py")
            trips, elapsed, run = [], [], []
            for i in range(count + BREAKDOWN_WARMUP):
                started = now_ms()
                result = await service.client.request(request)
                trip = now_ms() - started
                if i < BREAKDOWN_WARMUP:
                    continue
                trips.append(trip)
                elapsed.append(float(result.get("elapsed_ms", "nan")))
                run.append(float(result.get("run_ms", "nan")))
            overhead = [e - r for e, r in zip(elapsed, run, strict=True)]
            rows.append(
                [
                    label,
                    str(len(trips)),
                    fmt(median(trips)),
                    fmt(p99(trips)),
                    fmt(median(elapsed)),
                    fmt(median(run)),
                    fmt(median(overhead)),
                ]
            )
    finally:
        await service.stop()
    return rows


# -- main -----------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


async def main_async(args: argparse.Namespace) -> int:
    python = args.python
    print(f"torchpeek hover bench (worker python: {python})")
    print(machine_line())
    options = {} if python == sys.executable else {"python": python}

    session = Session(TORCHPEEK)
    await session.start()
    try:
        await session.initialize(options)
        ready_started = now_ms()
        state = await session.wait_ready()
        ready_ms = now_ms() - ready_started
        if state != "ready":
            print(f"the preview worker did not become ready: {state} {session.statuses[-1:]}")
            return 1
        worker = find_worker(session.pid)
        if args.hints_only:
            print(hints_table(await hints_series(session, "gpt_hints", GPT, args.n_cnn)))
            print(f"At the end: {load_line()}.")
            return 0
        simple = await hover_series(session, "simple", SIMPLE, "x", args.n, True)
        cached = await hover_series(session, "cached", SIMPLE, "x", args.n, False)
        cnn = await hover_series(session, "cnn", CNN, "y", args.n_cnn, True)
        matmul = await matmul_run(session, worker, args.n_big)
        vgg = await hover_series(session, "vgg", VGG, "y", args.n_big, True)
        gpt = await hover_series(
            session, "gpt", GPT, "y", args.n_cnn, True, position_of(GPT, GPT_POINT)
        )
        train = await hover_series(
            session, "train", TRAIN, "logits", args.n_cnn, True, position_of(TRAIN, TRAIN_POINT)
        )
        hints = await hints_series(session, "gpt_hints", GPT, args.n_cnn)
    finally:
        await session.close()

    scaling = await scaling_section(options, args.quick, GPT, GPT_POINT, children, cmdline)

    cold = cold_runs(python, args.n_cold)
    reals = [real_vgg(python) for _ in range(args.n_real)]
    breakdown = await worker_breakdown(python, args.n_breakdown)

    cold_median = median(cold)
    real_wall = median([r.wall_ms for r in reals])
    real_forward = median([r.forward_ms for r in reals])
    real_rss_mb = max(r.maxrss_kb for r in reals) / 1024

    def row(label: str, series: Series, baseline: float, worker: bool = True) -> list[str]:
        worker_ms = fmt(median(series.worker), 0) if series.worker and worker else "-"
        speedup = f"{baseline / median(series.times):,.0f}x" if series.times else "-"
        return [
            label,
            str(len(series.times)),
            fmt(median(series.times)),
            fmt(p99(series.times)),
            worker_ms,
            speedup,
        ]

    rows = [
        row("warm hover, simple (new version each)", simple, cold_median),
        row("warm hover, simple (cache hit)", cached, cold_median, worker=False),
        row("warm hover, CNN forward (8x3x32x32)", cnn, cold_median),
        row("warm hover, 100000x100000 matmul", matmul.series, cold_median),
        row("warm hover, VGG16 forward (1x3x224x224)", vgg, real_wall),
        row("warm hover inside GPT forward (build + 1 forward)", gpt, cold_median),
        row("warm hover inside a 300-epoch training loop", train, cold_median),
        [
            "baseline: cold `python -c import torch...`",
            str(len(cold)),
            fmt(cold_median),
            fmt(p99(cold)),
            "-",
            "1x",
        ],
        [
            "baseline: real VGG16 run, subprocess",
            str(len(reals)),
            fmt(real_wall),
            fmt(max(r.wall_ms for r in reals)),
            "-",
            "1x",
        ],
    ]
    print()
    print(f"worker warm-up (initialized -> status ready): {ready_ms:,.0f} ms")
    print()
    print(
        table(
            ["scenario", "n", "median ms", "p99 ms", "worker ms", "speedup vs baseline"],
            rows,
            "Hover round trips over stdio (speedup: simple/CNN/matmul vs cold python, VGG16 vs real run)",
        )
    )

    mb = 1024
    wb, wa = matmul.worker_before, matmul.worker_after
    cf, cp = matmul.child_first, matmul.child_peak
    nan = float("nan")
    worker_growth = (wa.get("VmHWM", 0) - wb.get("VmHWM", 0)) / mb if wb and wa else nan
    child_private = cp.get("Private_Dirty", 0) / mb if cp else nan
    child_anon = (cp.get("RssAnon", 0) - wb.get("RssAnon", 0)) / mb if cp and wb else nan
    child_hwm_over_worker = (cp.get("VmHWM", 0) - wb.get("VmRSS", 0)) / mb if cp and wb else nan
    rss_growth = max(worker_growth, child_private, child_anon)

    def mem_row(label: str, mem: dict[str, int]) -> list[str]:
        return [label] + [
            fmt(mem[key] / mb) if key in mem else "-"
            for key in ("VmRSS", "VmHWM", "RssAnon", "Private_Dirty")
        ]

    print()
    print(
        table(
            ["process", "VmRSS MB", "VmHWM MB", "RssAnon MB", "Private_Dirty MB"],
            [
                mem_row("worker, before the matmul hovers", wb),
                mem_row("worker, after", wa),
                mem_row("preview child, first sample", cf),
                mem_row("preview child, highest sample", cp),
            ],
            f"Memory around {args.n_big} matmul hovers: worker/boot.py and its forked preview children"
            f" ({matmul.children_seen} children seen, {matmul.samples} /proc samples)",
        )
    )
    print(
        f"worker VmHWM growth {fmt(worker_growth)} MB; child's own memory (peak Private_Dirty)"
        f" {fmt(child_private)} MB;\nchild RssAnon peak - worker RssAnon"
        f" {fmt(child_anon)} MB; child VmHWM - worker VmRSS {fmt(child_hwm_over_worker)} MB"
        " (negative: the child never faulted in all the worker's pages).\n"
        "RSS growth in the targets = the largest of the first three."
    )

    real_rows = [
        ["wall (spawn, import torch, build, forward)", fmt(real_wall)],
        ["  of which build model (incl. import torch)", fmt(median([r.build_ms for r in reals]))],
        ["  of which forward", fmt(real_forward)],
        ["peak RSS (ru_maxrss via wait4) MB", fmt(real_rss_mb)],
        ["output shape", str(reals[0].shape)],
    ]
    print()
    print(table(["real VGG16 run on the CPU", "value"], real_rows))

    print()
    print(
        table(
            ["preview", "n", "round trip ms", "p99 ms", "elapsed_ms", "run_ms", "fork+sandbox ms"],
            breakdown,
            "Where the time goes: the same previews sent straight to a worker (no LSP).\n"
            "elapsed_ms = worker fork -> result; run_ms = executing the program in the child",
        )
    )

    simple_med, simple_p99 = median(simple.times), p99(simple.times)
    big_med = median(matmul.series.times)
    vgg_ratio = real_wall / median(vgg.times)
    gpt_med, train_med = median(gpt.times), median(train.times)
    targets = [
        ["warm simple hover median", f"{simple_med:.1f} ms", "<= 30 ms", verdict(simple_med <= 30)],
        ["warm simple hover p99", f"{simple_p99:.1f} ms", "<= 60 ms", verdict(simple_p99 <= 60)],
        [
            "simple hover vs cold python",
            f"{cold_median / simple_med:,.0f}x",
            ">= 50x",
            verdict(cold_median / simple_med >= 50),
        ],
        ["huge matmul hover median", f"{big_med:.1f} ms", "<= 100 ms", verdict(big_med <= 100)],
        [
            "huge matmul RSS growth",
            f"{rss_growth:+.1f} MB",
            "<= +100 MB",
            verdict(rss_growth <= 100),
        ],
        ["VGG16 preview vs real run", f"{vgg_ratio:,.1f}x", ">= 10x", verdict(vgg_ratio >= 10)],
        [
            "hover inside GPT forward median",
            f"{gpt_med:.1f} ms",
            "<= 150 ms",
            verdict(gpt_med <= 150),
        ],
        [
            "hover inside 300-epoch loop median",
            f"{train_med:.1f} ms",
            "<= 300 ms",
            verdict(train_med <= 300),
        ],
    ]
    print()
    print(hints_table(hints))
    print()
    print(table(["target", "measured", "goal", "result"], targets, "Targets (informative only)"))
    print()
    print(scaling)
    print()
    print(
        f"At the end: {load_line()}. worker ms = the time the hover reports (worker fork -> result)."
    )
    print("Last hover texts:")
    for label, series in (
        ("simple", simple),
        ("matmul", matmul.series),
        ("vgg16", vgg),
        ("gpt forward", gpt),
        ("training loop", train),
    ):
        first = series.last_text.splitlines()[0] if series.last_text else "(no hover)"
        print(f"  {label}: {first}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (CI smoke)")
    parser.add_argument("--python", default=sys.executable, help="the worker's interpreter")
    parser.add_argument("-n", type=int, help="simple hovers per series (default 200)")
    parser.add_argument(
        "--hints-only", action="store_true", help="only the edit-to-inlay-hints series"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.n = args.n or (15 if quick else 200)
    args.n_cnn = 5 if quick else 50
    args.n_big = 2 if quick else 5
    args.n_cold = 2 if quick else 8
    args.n_real = 1 if quick else 3
    args.n_breakdown = 5 if quick else 50
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
