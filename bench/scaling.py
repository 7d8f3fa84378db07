"""Hover latency against the length of the document above the hover: snapshots on vs off.

Run from ``bench/hover.py`` (its main flow calls ``scaling_section``) or alone:
``.venv/bin/python bench/scaling.py [--quick] [--python PATH]``.

Two ``torchpeek serve`` processes run side by side, one with the default settings
(snapshots on) and one with ``snapshots.enabled = false``; every cell is measured
on both, one after the other, so load on the machine hits both alike.

* Scaling: for N in 1, 10, 100, 1000 top-level statements between the imports
  and the hovered line, three kinds of prefix (cheap tensor ops, building nn
  layers, a training-script preamble padded to N). Each hover follows an edit of
  the statement directly above the hovered line that writes a numeric constant
  never used before in that document, so no holder built for an earlier version
  can cover statement N, and the result cache (per version) always misses.
* GPT: hover ``y`` at ``F.scaled_dot_product_attention`` in
  ``bench/sources/gpt.py`` after an edit inside that ``forward`` (a numeric
  literal on a line above the hover).
* Memory: PSS (``/proc/<pid>/smaps_rollup``) of each server's worker processes
  (active and spare) and all their descendants, after the scaling runs, and what
  ``torchpeek.snapshotStatus`` reports, against the holders' bound.

Between hovers the bench pauses like a user between edits: ``PAUSE_S``, then it
polls ``torchpeek.snapshotStatus`` until no background trace (inlay hints) is
pending and no holder is building (at most ``IDLE_CAP_S``). That wait is not in the hover time. A server without the
command (snapshots not there yet) counts as having no holders.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _lsp import TORCHPEEK, Session, fmt, hover_text, median, now_ms, p99, table  # noqa: E402

SIZES = (1, 10, 100, 1000)
STATUS = "torchpeek.snapshotStatus"
DEFAULT_BOUND_MB = 1024  # snapshots.memoryMb default: the holders' memory bound
PAUSE_S = 0.3  # longer than the background trace's debounce (0.15 s)
IDLE_CAP_S = 10.0
POLL_S = 0.025
ACCEPT_MS = 40.0  # at 1,000 statements, and for the GPT hover
ACCEPT_RATIO = 2.0  # 1,000-statement median over the 10-statement median

# -- documents ---------------------------------------------------------------------------

TRAIN_PREAMBLE = [
    "torch.manual_seed(0)",
    'config = {"lr": 3e-4, "batch_size": 64, "epochs": 10, "hidden": 128, "n_classes": 10, "in_dim": 32}',
    'X = torch.randn(1024, config["in_dim"])',
    'Y = torch.randint(0, config["n_classes"], (1024,))',
    "mean = X.mean(0, keepdim=True)",
    "std = X.std(0, keepdim=True) + 1e-6",
    "X = (X - mean) / std",
    "model = nn.Sequential(\n"
    '    nn.Linear(config["in_dim"], config["hidden"]),\n'
    "    nn.ReLU(),\n"
    "    nn.Dropout(0.1),\n"
    '    nn.Linear(config["hidden"], config["n_classes"]),\n'
    ")",
    'optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=0.01)',
    "scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)",
    "loss_fn = nn.CrossEntropyLoss()",
    "train_X, val_X = X[:896], X[896:]",
    "train_Y, val_Y = Y[:896], Y[896:]",
    'xb = train_X[: config["batch_size"]]',
    'yb = train_Y[: config["batch_size"]]',
    "logits = model(xb)",
    "loss = loss_fn(logits, yb)",
    "probs = F.softmax(logits, dim=-1)",
]


def tensor_statement(i: int, c: int) -> str:
    if i == 0:
        return f"x0 = torch.zeros(4, 8) + {c}"
    return f"x{i} = x{i - 1} * 1.0001 + {c}"


LAYER_TEMPLATES = (
    ("l{i} = nn.Linear(16, {v})", 16),
    ("l{i} = nn.Conv2d(3, {v}, 3, padding=1)", 8),
    ("l{i} = nn.LayerNorm({v})", 16),
)
# Harmless statements of a training script, after the whole preamble.
TRAIN_PADDING = (
    'lr_{i} = config["lr"] * 0.99 ** {c}',
    "xb = xb + {c} * 1e-6",
    "hidden_{i} = model[0].out_features + {c}",
    "mask_{i} = yb != {c}",
)


def layer_statement(i: int, c: int) -> str:
    template, offset = LAYER_TEMPLATES[i % len(LAYER_TEMPLATES)]
    return template.format(i=i, v=offset + c)


def train_statement(i: int, c: int, n: int) -> str:
    if i == n - 1:  # the edited one: a batch prep that stands alone at any N
        return f"batch = torch.randn({c}, 32)"
    if i < len(TRAIN_PREAMBLE):
        return TRAIN_PREAMBLE[i]
    return TRAIN_PADDING[i % len(TRAIN_PADDING)].format(i=i, c=c)


@dataclass(frozen=True)
class Kind:
    label: str
    header: str
    statement: Callable[[int, int, int], str]  # (index, constant, N) -> one statement
    hovered: Callable[[int], str]  # N -> the hovered line, its target first


KINDS = (
    Kind(
        "cheap tensor ops",
        "import torch\n",
        lambda i, c, n: tensor_statement(i, c),
        lambda n: f"y = x{n - 1}.sum(0)",
    ),
    Kind(
        "building nn layers",
        "import torch\nimport torch.nn as nn\n",
        lambda i, c, n: layer_statement(i, i % 8 if i < n - 1 else c),
        lambda n: f"y = l{n - 1}.weight.sum(0)",
    ),
    Kind(
        "training-script prefix",
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n",
        lambda i, c, n: train_statement(i, c if i == n - 1 else i, n),
        lambda n: "y = batch.sum(1)",
    ),
)
BASE_CONSTANT = 64  # the edited statement's constant in the opened text; edits count up from it


def document(kind: Kind, n: int) -> tuple[str, int]:
    """The opened text (N statements, then the hovered line) and the hovered line's index."""
    lines = [kind.statement(i, BASE_CONSTANT if i == n - 1 else i, n) for i in range(n)]
    text = kind.header + "\n".join(lines) + "\n" + kind.hovered(n) + "\n"
    return text, text.count("\n") - 1


# -- talking to the server ---------------------------------------------------------------


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass
class Server:
    """One torchpeek server, with or without snapshots, and what its status command says."""

    label: str
    session: Session
    status_error: str = ""
    status_ok: int = 0

    async def snapshot_status(self) -> dict[str, Any] | None:
        """The command's answer, or None where the server lacks it (no holders)."""
        try:
            raw = await asyncio.wait_for(self.session.command(STATUS, {}), 5)
        except Exception as error:  # any failure means "no holders"
            self.status_error = self.status_error or f"{type(error).__name__}: {error}"[:160]
            return None
        raw = _plain(self.session.to_json(raw))
        if not isinstance(raw, dict):
            self.status_error = self.status_error or f"unexpected answer {raw!r}"[:160]
            return None
        self.status_ok += 1
        return raw

    async def wait_idle(self) -> float:
        """Pause, then poll until no background trace is pending and no holder is building
        (capped): a user pausing between edits. The seconds waited."""
        started = time.monotonic()
        await asyncio.sleep(PAUSE_S)
        while time.monotonic() - started < IDLE_CAP_S:
            status = await self.snapshot_status()
            if status is None or not (status.get("building") or status.get("traces_pending")):
                break
            await asyncio.sleep(POLL_S)
        return time.monotonic() - started


async def start_server(label: str, options: dict[str, Any]) -> Server:
    session = Session(TORCHPEEK)
    await session.start()
    await session.initialize(options)
    state = await session.wait_ready()
    if state != "ready":
        await session.close()
        raise RuntimeError(f"{label}: the preview worker did not become ready: {state}")
    return Server(label, session)


# -- measuring ---------------------------------------------------------------------------


@dataclass
class Cell:
    times: list[float] = field(default_factory=list)
    warmup: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    capped: int = 0
    empty: int = 0
    last_text: str = ""


async def edit_and_hover(
    server: Server,
    name: str,
    text: str,
    hover_at: tuple[int, int],
    edit_line: int,
    variant: Callable[[int], str],
    warmup: int,
    iterations: int,
) -> Cell:
    """Open ``text``; then per iteration rewrite line ``edit_line`` with ``variant(i)``, hover, idle."""
    session = server.session
    uri = session.open(name, text)
    current = text.splitlines()[edit_line]
    cell = Cell()
    for i in range(warmup + iterations):
        new = variant(i)
        session.edit(
            uri,
            types.Position(line=edit_line, character=0),
            types.Position(line=edit_line, character=len(current)),
            new,
        )
        current = new
        started = now_ms()
        hover = await session.hover(uri, *hover_at)
        elapsed = now_ms() - started
        cell.last_text = hover_text(hover)
        if not cell.last_text:
            cell.empty += 1
        (cell.warmup if i < warmup else cell.times).append(elapsed)
        waited = await server.wait_idle()
        cell.waits.append(waited)
        cell.capped += waited >= IDLE_CAP_S
    return cell


async def scaling_cell(server: Server, kind: Kind, n: int, warmup: int, iterations: int) -> Cell:
    text, hovered = document(kind, n)
    slug = kind.label.split()[0].replace("-", "")
    return await edit_and_hover(
        server,
        f"scaling_{slug}_{n}_{server.label}.py",
        text,
        (hovered, 0),
        hovered - 1,
        lambda i: kind.statement(n - 1, BASE_CONSTANT + 1 + i, n),
        warmup,
        iterations,
    )


GPT_EDIT = "        att_scale = 1.0"


def gpt_document(gpt: str, point: str) -> tuple[str, int]:
    """gpt.py with a literal to edit inside the attention forward, above the hovered line."""
    lines = gpt.splitlines()
    at = next(i for i, line in enumerate(lines) if point in line)
    lines.insert(at, GPT_EDIT)
    return "\n".join(lines) + "\n", at


async def gpt_cell(
    server: Server, gpt: str, point: tuple[str, str], warmup: int, iterations: int
) -> Cell:
    text, edit_line = gpt_document(gpt, point[0])
    hovered = text.splitlines()[edit_line + 1]
    return await edit_and_hover(
        server,
        f"scaling_gpt_{server.label}.py",
        text,
        (edit_line + 1, hovered.index(point[1])),
        edit_line,
        lambda i: f"        att_scale = {1 + (i + 1) / 1000}",
        warmup,
        iterations,
    )


# -- memory ------------------------------------------------------------------------------


def pss_kb(pid: int) -> int:
    """Pss from /proc/<pid>/smaps_rollup (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def descendants(pid: int, children: Callable[[int], list[int]]) -> list[int]:
    found: list[int] = []
    todo = children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo += children(child)
    return found


@dataclass
class WorkerMemory:
    """PSS (kB) of one worker, of its direct children and of everything below those."""

    pid: int
    own: int
    children: list[int]
    deeper: list[int]

    @property
    def total(self) -> int:
        return self.own + sum(self.children) + sum(self.deeper)


def worker_tree(
    server_pid: int, children: Callable[[int], list[int]], cmdline: Callable[[int], str]
) -> list[WorkerMemory]:
    """Each worker process of the server (active, spare) with its descendants' PSS."""
    workers = []
    for pid in children(server_pid):
        if "worker/boot.py" not in cmdline(pid) and "torchpeek.worker" not in cmdline(pid):
            continue
        direct = children(pid)
        deeper = [p for child in direct for p in descendants(child, children)]
        workers.append(
            WorkerMemory(pid, pss_kb(pid), [pss_kb(p) for p in direct], [pss_kb(p) for p in deeper])
        )
    return workers


# -- report ------------------------------------------------------------------------------


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


@dataclass
class Results:
    warmup: int
    iterations: int
    cells: dict[tuple[str, int, str], Cell] = field(default_factory=dict)
    gpt: dict[str, Cell] = field(default_factory=dict)
    memory: dict[str, list[WorkerMemory]] = field(default_factory=dict)
    status: dict[str, Any] | None = None
    servers: list[Server] = field(default_factory=list)


def scaling_table(res: Results) -> str:
    rows = []
    for kind in KINDS:
        for n in SIZES:
            on, off = res.cells[(kind.label, n, "on")], res.cells[(kind.label, n, "off")]
            ratio = median(off.times) / median(on.times) if on.times and off.times else None
            rows.append(
                [
                    kind.label,
                    f"{n:,}",
                    fmt(median(on.times)),
                    fmt(p99(on.times)),
                    fmt(median(off.times)),
                    fmt(p99(off.times)),
                    f"{ratio:.1f}x" if ratio else "-",
                    fmt(median(on.waits) * 1000, 0),
                    str(on.capped + off.capped),
                    str(on.empty + off.empty),
                ]
            )
    headers = [
        "prefix kind",
        "N",
        "on median",
        "on p99",
        "off median",
        "off p99",
        "off/on",
        "on idle wait",
        "capped",
        "empty",
    ]
    title = (
        f"Hover after an edit of the statement just above it, N top-level statements above "
        f"(ms; snapshots on = default server, off = snapshots.enabled=false)\n"
        f"{res.iterations} hovers per cell; the first {res.warmup} of each cell are warm-ups, "
        f"dropped. Idle wait (median ms, not in the hover time): {PAUSE_S:g} s pause, then "
        f"until no trace is pending and no holder building (cap {IDLE_CAP_S:g} s; 'capped' = waits that hit it); "
        f"'empty' = hovers without text"
    )
    return table(headers, rows, title)


def acceptance_lines(res: Results) -> list[str]:
    lines = ["Acceptance (snapshots on): at 1,000 statements median <= 2x the 10-statement median"]
    lines[0] += f" and <= {ACCEPT_MS:g} ms"
    for kind in KINDS:
        big = median(res.cells[(kind.label, 1000, "on")].times)
        small = median(res.cells[(kind.label, 10, "on")].times)
        ratio_ok = big <= ACCEPT_RATIO * small
        lines.append(
            f"  {kind.label}: 1,000-stmt median {fmt(big)} ms vs 10-stmt {fmt(small)} ms"
            f" ({fmt(big / small, 2)}x) {mark(ratio_ok)} <= {ACCEPT_RATIO:g}x;"
            f" {fmt(big)} ms {mark(big <= ACCEPT_MS)} <= {ACCEPT_MS:g} ms"
        )
    return lines


def gpt_table(res: Results) -> str:
    rows = []
    for label in ("on", "off"):
        cell = res.gpt[label]
        rows.append(
            [
                f"snapshots {label}",
                str(len(cell.times)),
                fmt(median(cell.times)),
                fmt(p99(cell.times)),
                f"<= {ACCEPT_MS:g} ms" if label == "on" else "-",
                mark(median(cell.times) <= ACCEPT_MS) if label == "on" else "-",
            ]
        )
    title = (
        "Hover `y` at F.scaled_dot_product_attention in bench/sources/gpt.py after an edit inside"
        f" that forward (ms; first {res.warmup} hovers dropped as warm-ups)"
    )
    return table(["server", "n", "median ms", "p99 ms", "target", "result"], rows, title)


def memory_table(res: Results) -> str:
    mb = 1024
    rows = []
    totals: dict[str, float] = {}
    for label, workers in res.memory.items():
        for w in workers:
            rows.append(
                [
                    f"snapshots {label}: worker {w.pid}",
                    fmt(w.own / mb),
                    str(len(w.children)),
                    fmt(sum(w.children) / mb),
                    str(len(w.deeper)),
                    fmt(sum(w.deeper) / mb),
                    fmt(w.total / mb),
                ]
            )
        totals[label] = sum(w.total for w in workers) / mb
        rows.append([f"snapshots {label}: all workers"] + [""] * 5 + [fmt(totals[label])])
    headers = ["PSS (smaps_rollup)", "own MB", "children", "MB", "below them", "MB", "tree MB"]
    extra = totals.get("on", math.nan) - totals.get("off", math.nan)
    lines = [
        table(
            headers,
            rows,
            "Memory after the scaling runs: each server's workers (active, spare), their direct"
            " children and everything below those",
        ),
        f"Snapshots on minus off, whole worker trees: {fmt(extra)} MB",
    ]
    measured = sum(sum(w.children) + sum(w.deeper) for w in res.memory.get("on", [])) / mb
    status = res.status
    bound = DEFAULT_BOUND_MB
    if status is None:
        lines.append(
            f"torchpeek.snapshotStatus: not answered ({res.servers[0].status_error or 'no answer'})"
            "; counted as no holders."
        )
        lines.append(
            f"Holders' bound {bound} MB (snapshots.memoryMb default): descendants of the"
            f" snapshots-on workers {fmt(measured)} MB {mark(measured <= bound)}"
        )
    else:
        holders = status.get("holders") or []
        held = sum(int(h.get("pss_kb") or 0) for h in holders) / mb
        bound = int(status.get("limit_mb") or bound)
        ready = sum(1 for h in holders if h.get("ready"))
        statements = sum(int(h.get("statements") or 0) for h in holders)
        lines.append(
            f"torchpeek.snapshotStatus: {len(holders)} holders ({ready} ready, "
            f"{status.get('building')} building, {statements:,} statements held),"
            f" holders {fmt(held)} MB, worker + holders {fmt(int(status.get('pss_kb') or 0) / mb)}"
            f" MB, limit {bound} MB"
        )
        biggest = sorted(holders, key=lambda h: -int(h.get("pss_kb") or 0))[:5]
        for h in biggest:
            lines.append(
                f"  {Path(str(h.get('filename'))).name}: {h.get('statements')} statements"
                f" (to line {h.get('line')}), {h.get('mode')}, ready={h.get('ready')},"
                f" {fmt(int(h.get('pss_kb') or 0) / mb)} MB"
            )
        lines.append(
            f"Holders' bound {bound} MB (snapshots.memoryMb): holders as reported {fmt(held)} MB"
            f" {mark(held <= bound)}; measured, all descendants of the snapshots-on workers"
            f" {fmt(measured)} MB {mark(measured <= bound)}"
        )
    return "\n".join(lines)


def first_line(text: str) -> str:
    return text.splitlines()[0] if text.strip() else "(no hover)"


def report(res: Results) -> str:
    parts = [
        scaling_table(res),
        "\n".join(acceptance_lines(res)),
        gpt_table(res),
        memory_table(res),
    ]
    silent = [s for s in res.servers if s.status_error and s.status_ok == 0]
    if silent:
        parts.append(
            f"note: {STATUS} failed every time on snapshots "
            + " and ".join(s.label for s in silent)
            + f" ({silent[0].status_error}): the idle wait was the pause alone."
        )
    last = []
    for kind in KINDS:
        for label in ("on", "off"):
            text = res.cells[(kind.label, 1000, label)].last_text
            last.append(f"  {kind.label} N=1,000 ({label}): {first_line(text)}")
    last.append(f"  gpt (on): {first_line(res.gpt['on'].last_text)}")
    parts.append("Last hover texts:\n" + "\n".join(last))
    return "\n\n".join(parts)


# -- the section -------------------------------------------------------------------------


async def scaling_section(
    options: dict[str, Any],
    quick: bool,
    gpt: str,
    gpt_point: tuple[str, str],
    children: Callable[[int], list[int]],
    cmdline: Callable[[int], str],
) -> str:
    """Run the scaling, GPT and memory measurements; the printable report."""
    warmup, iterations = (1, 3) if quick else (2, 12)
    res = Results(warmup, iterations)
    off_options = {**options, "snapshots": {"enabled": False}}
    started = await asyncio.gather(
        start_server("on", dict(options)), start_server("off", off_options), return_exceptions=True
    )
    servers = [s for s in started if isinstance(s, Server)]
    try:
        for failure in started:
            if isinstance(failure, BaseException):
                raise failure
        on, off = servers
        res.servers = servers
        for kind in KINDS:
            for n in SIZES:
                for server in (on, off):
                    res.cells[(kind.label, n, server.label)] = await scaling_cell(
                        server, kind, n, warmup, iterations
                    )
        for server in (on, off):
            res.memory[server.label] = worker_tree(server.session.pid, children, cmdline)
        res.status = await on.snapshot_status()
        for server in (on, off):
            res.gpt[server.label] = await gpt_cell(server, gpt, gpt_point, warmup, iterations)
    finally:
        for server in servers:
            with contextlib.suppress(Exception):
                await server.session.close()
    return report(res)


def main(argv: list[str] | None = None) -> int:
    from hover import GPT, GPT_POINT, children, cmdline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (CI smoke)")
    parser.add_argument("--python", default=sys.executable, help="the worker's interpreter")
    args = parser.parse_args(argv)
    options = {} if args.python == sys.executable else {"python": args.python}
    text = asyncio.run(scaling_section(options, args.quick, GPT, GPT_POINT, children, cmdline))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
