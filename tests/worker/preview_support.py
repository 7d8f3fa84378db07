"""Run snippet bodies in the real sandboxed worker, the way the server runs previews.

The worker interpreter is ``TORCHPEEK_WORKER_PYTHON`` when set (the second
environment with torchvision and a CUDA build of torch), else the test
interpreter. ``TORCHPEEK_REQUIRE_LIBS=1`` turns "library missing in the worker"
from a skip into a failure.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pytest

from torchpeek.sandbox.client import BOOT
from torchpeek.snippets import parse_snippet, render_snippet
from torchpeek.snippets.model import Snippet
from torchpeek.snippets.syntax import Choice, Placeholder, SnippetNode, Tabstop, Text, Variable

# Libraries a fixture may need beyond torch and numpy, by import name.
OPTIONAL_LIBS = ("torchvision", "cv2", "tensorboard", "tqdm", "onnxscript")
# The ones TORCHPEEK_REQUIRE_LIBS=1 insists on (the second environment's contract).
REQUIRED_UNDER_FLAG = ("torchvision", "cv2")


def worker_python() -> str:
    """The interpreter the worker runs in."""
    return os.environ.get("TORCHPEEK_WORKER_PYTHON") or sys.executable


def libs_required() -> bool:
    return os.environ.get("TORCHPEEK_REQUIRE_LIBS", "") not in ("", "0")


@cache
def worker_has(module: str) -> bool:
    """Whether ``module`` imports in the worker interpreter (next to its torch)."""
    probe = f"import torch, {module}"
    done = subprocess.run([worker_python(), "-c", probe], capture_output=True, timeout=120)
    return done.returncode == 0


def needed_libs(snippet: Snippet) -> list[str]:
    """Optional libraries the snippet's imports, body or fixture import."""
    assert snippet.preview is not None
    text = "\n".join([*snippet.imports, snippet.body, snippet.preview.setup, snippet.preview.after])
    found = []
    for lib in OPTIONAL_LIBS:
        if f"import {lib}" in text or f"from {lib}" in text:
            found.append(lib)
    if "SummaryWriter" in text and "tensorboard" not in found:
        found.append("tensorboard")
    return found


# Tag of snippets whose fixture needs a real GPU (the simulated one cannot run it).
REQUIRES_GPU = "requires-gpu"
# Tag of fixtures that run on a CPU-only build of torch or on a real GPU, but not on a
# CUDA build without a GPU (e.g. the profiler asks CUPTI for a device that is not there).
GPU_IF_CUDA_BUILD = "gpu-if-cuda-build"


@cache
def worker_has_gpu() -> bool:
    probe = "import torch; raise SystemExit(0 if torch.cuda.is_available() else 1)"
    done = subprocess.run([worker_python(), "-c", probe], capture_output=True, timeout=120)
    return done.returncode == 0


@cache
def worker_torch_has_cuda() -> bool:
    probe = "import torch; raise SystemExit(0 if torch.version.cuda else 1)"
    done = subprocess.run([worker_python(), "-c", probe], capture_output=True, timeout=120)
    return done.returncode == 0


def require_or_skip(snippet: Snippet) -> None:
    """Skip without a GPU for GPU-only fixtures; skip (or fail under TORCHPEEK_REQUIRE_LIBS)
    when the worker lacks a library."""
    if REQUIRES_GPU in snippet.tags and not worker_has_gpu():
        pytest.skip(f"needs a real GPU in the worker ({worker_python()})")
    if GPU_IF_CUDA_BUILD in snippet.tags and worker_torch_has_cuda() and not worker_has_gpu():
        pytest.skip(f"a CUDA build of torch without a GPU ({worker_python()})")
    missing = [lib for lib in needed_libs(snippet) if not worker_has(lib)]
    if not missing:
        return
    message = f"{', '.join(missing)} not importable in the worker ({worker_python()})"
    if libs_required() and set(missing) & set(REQUIRED_UNDER_FLAG):
        pytest.fail(message)
    pytest.skip(message)


def _values_by_index(nodes: tuple[SnippetNode, ...], picks: dict[int, int], out: dict) -> None:
    for node in nodes:
        if isinstance(node, Choice) and node.index not in out:
            out[node.index] = node.options[picks.get(node.index, 0)]
        elif isinstance(node, Placeholder):
            _values_by_index(node.children, picks, out)
            out.setdefault(node.index, _fill(node.children, picks, out))
        elif isinstance(node, Variable):
            _values_by_index(node.children, picks, out)


def _fill(nodes: tuple[SnippetNode, ...], picks: dict[int, int], values: dict) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(node.value)
        elif isinstance(node, Placeholder):
            parts.append(values.get(node.index) or _fill(node.children, picks, values))
        elif isinstance(node, Variable):
            parts.append(_fill(node.children, picks, values))
        elif isinstance(node, Choice):
            parts.append(values.get(node.index, node.options[picks.get(node.index, 0)]))
        elif isinstance(node, Tabstop):
            parts.append(values.get(node.index, ""))
    return "".join(parts)


def fill(snippet_text: str, picks: dict[int, int] | None = None) -> str:
    """The code an editor inserts when the user accepts every default (mirrors included)
    and picks option ``picks[i]`` of choice element ``i``."""
    tree = parse_snippet(snippet_text)
    values: dict[int, str] = {}
    _values_by_index(tree.children, picks or {}, values)
    return _fill(tree.children, picks or {}, values)


def choice_elements(snippet_text: str) -> dict[int, int]:
    """Choice element index -> number of options."""
    found: dict[int, int] = {}

    def walk(nodes: tuple[SnippetNode, ...]) -> None:
        for node in nodes:
            if isinstance(node, Choice):
                found.setdefault(node.index, len(node.options))
            elif isinstance(node, (Placeholder, Variable)):
                walk(node.children)

    walk(parse_snippet(snippet_text).children)
    return found


@dataclass(frozen=True)
class Variant:
    """One way a user can insert a snippet: parameter values and choice picks."""

    label: str
    values: dict
    picks: dict

    def code(self, snippet: Snippet) -> str:
        return fill(render_snippet(snippet, self.values or None), self.picks)


def variants(snippet: Snippet) -> Iterator[Variant]:
    """The defaults, then every other parameter value, then every other choice option."""
    yield Variant("default", {}, {})
    for param in snippet.params:
        others = list(param.choices) or (
            [not param.default] if isinstance(param.default, bool) else []
        )
        for value in others:
            if value != param.default:
                yield Variant(f"{param.name}={value}", {param.name: value}, {})
    for value_set in [{}, *({p.name: v} for p in snippet.params for v in p.choices)]:
        text = render_snippet(snippet, value_set or None)
        for index, count in choice_elements(text).items():
            for option in range(1, count):
                label = ",".join(f"{k}={v}" for k, v in value_set.items())
                yield Variant(f"{label}${index}#{option}".lstrip(","), value_set, {index: option})


def unique_variants(snippet: Snippet) -> list[Variant]:
    """:func:`variants` without two that insert the same code."""
    seen: set[str] = set()
    kept = []
    for variant in itertools.islice(variants(snippet), 200):
        code = variant.code(snippet)
        if code not in seen:
            seen.add(code)
            kept.append(variant)
    return kept


def program(snippet: Snippet, body: str) -> str:
    """setup, imports, body, after: the preview program of a snippet."""
    assert snippet.preview is not None
    preview = snippet.preview
    return "\n".join([preview.setup, *snippet.imports, body, preview.after, ""])


def free_names(code: str) -> set[str]:
    """Names ``code`` reads at module level or in functions that it never binds itself."""
    tree = ast.parse(code)
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update(imported_names(ast.unparse(node)))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return loaded - bound


def imported_names(code: str) -> set[str]:
    """Names that the import statements in ``code`` bind."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update((a.asname or a.name.split(".")[0]) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update((a.asname or a.name) for a in node.names)
    return names


class Worker:
    """A worker process started from its boot script, driven over JSON lines."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [worker_python(), str(BOOT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.hello = self._read()
        self.next_id = 0

    def _read(self) -> dict:
        assert self.process.stdout is not None
        return json.loads(self.process.stdout.readline())

    def ask(self, **request: object) -> dict:
        assert self.process.stdin is not None
        self.next_id += 1
        message = {"op": "preview", "id": self.next_id, **request}
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()
        answer = self._read()
        assert answer["id"] == self.next_id
        return answer

    def run(self, code: str, expr: str, timeout_ms: int = 20000) -> dict:
        """Run ``code`` and show ``expr``."""
        return self.ask(prelude=code, target="", expr=expr, limits={"timeout_ms": timeout_ms})

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
