"""Previews for the server: requests from documents and snippets, caching, cancellation, status.

``PreviewService`` owns the worker client. It caches results per document
version and position (a new version makes new keys), cancels an older hover
on the same document when a newer one arrives, and computes snippet previews
in the background once the worker is warm.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..sandbox.client import RequestTooLarge, WorkerClient, WorkerGone
from ..sandbox.markdown import MAX_HOVER, code
from ..sandbox.present import error_markdown, hover_markdown, value_line
from ..sandbox.program import PreviewProgram, build_program
from ..sandbox.project import RecordedValues, project_paths
from ..sandbox.traces import BackgroundTraces, Trace

if TYPE_CHECKING:
    from ..settings import Settings
    from ..snippets import Snippet

log = logging.getLogger(__name__)
CACHE_SIZE = 512
CACHE_BYTES = 32 * 1024 * 1024
CACHE_ENTRY_BYTES = 512 * 1024
IDLE_QUIET_S = 1.0
# Background traces keep off a worker that has just been restarted (it may have
# been a trace's answer that broke the last one).
RESTART_QUIET_S = 5.0


class PreviewService:
    """Everything the hover, resolve and command handlers need from the worker."""

    def __init__(self, settings: Settings, notify: Any) -> None:
        self.settings = settings
        self.notify = notify
        self.last_user_request = 0.0
        self.client = self._new_client(settings.python)
        self.cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self.cache_sizes: dict[tuple[Any, ...], int] = {}
        self.inflight: dict[str, asyncio.Task[dict[str, Any]]] = {}
        self.snippet_results: dict[tuple[str, str, str, str], str] = {}
        self.warming = False
        self.state = "starting"
        self.snippets_to_warm: list[Snippet] = []
        self.recorded = RecordedValues()
        self.restarted_at = float("-inf")
        self.needs_real: set[str] = set()
        self.traces = BackgroundTraces(
            lambda request: self.client.request(request),
            self._trace_idle,
        )
        self.traces.listeners.append(self._keep_trace)

    # -- lifecycle ------------------------------------------------------------
    def _new_client(self, python: str) -> WorkerClient:
        return WorkerClient(python, self._on_state, idle=self.wait_idle)

    async def wait_idle(self, quiet: float = IDLE_QUIET_S, snippets_too: bool = True) -> None:
        """Return once no user preview has been asked for in ``quiet`` seconds.

        Background work (live snippet previews, warming the spare worker) waits
        for this, so it never competes with the hovers a user is waiting for.
        Document traces pass ``snippets_too=False``: they go ahead of snippet previews.
        """
        while True:
            gap = time.monotonic() - self.last_user_request
            busy = any(
                not task.done()
                for uri, task in self.inflight.items()
                if snippets_too or not uri.startswith("snippet:")
            )
            if gap >= quiet and not busy:
                return
            await asyncio.sleep(max(0.05, quiet - gap))

    async def _trace_idle(self, quiet: float) -> None:
        """Idle for a background trace: no hover lately, and no worker restart just now."""
        while True:
            await self.wait_idle(quiet, snippets_too=False)
            gap = time.monotonic() - self.restarted_at
            if gap >= RESTART_QUIET_S:
                return
            await asyncio.sleep(RESTART_QUIET_S - gap)

    def adopt(self, settings: Settings) -> None:
        """Take the settings from ``initialize`` before the worker first starts."""
        self.settings = settings
        self.client.python = settings.python

    def start(self) -> None:
        if self.settings.preview.enabled:
            asyncio.get_running_loop().create_task(self.client.start())
        else:
            self._on_state(
                "disabled", {"detail": "previews are turned off (torchpeek.preview.enabled)"}
            )

    async def stop(self) -> None:
        await self.traces.stop()
        await self.client.stop()

    def configure(self, settings: Settings) -> None:
        """Apply new settings; a new interpreter means a new worker."""
        restart = settings.python != self.settings.python or (
            settings.preview.enabled and not self.settings.preview.enabled
        )
        self.settings = settings
        self.cache.clear()
        self.cache_sizes.clear()
        if restart:
            old = self.client
            self.client = self._new_client(settings.python)
            asyncio.get_running_loop().create_task(old.stop())
            self.start()

    def _on_state(self, state: str, info: dict[str, Any]) -> None:
        self.state = state
        if state == "restarting":
            self.restarted_at = time.monotonic()
        detail = info.get("detail") or info.get("error") or f"torch {info.get('torch')} ready"
        simulated = bool(info.get("torch")) and not info.get("real_gpu", False)
        self.notify(state, str(detail), simulated)
        if state == "ready" and self.snippets_to_warm:
            asyncio.get_running_loop().create_task(self.warm_snippets(self.snippets_to_warm))

    # -- requests ---------------------------------------------------------------
    def _request(
        self, program: PreviewProgram, filename: str, folders: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        preview = self.settings.preview
        return {
            "op": "preview",
            "source": program.source,
            "line": program.target_line,
            "expr": program.expr,
            "filename": filename,
            "limits": {"timeout_ms": preview.timeout_ms, "memory_mb": preview.memory_mb},
            "gpu": _gpu_json(self.settings),
            "snapshots": self.settings.snapshots.enabled and self.settings.snapshots.memory_mb > 0,
            "snapshot_mb": self.settings.snapshots.memory_mb,
            **project_paths(filename, folders),
        }

    def _modes_for(self, uri: str) -> list[str]:
        """Real CPU first for a document whose last run needed it; fake tensors first otherwise."""
        return ["real", "meta"] if uri in self.needs_real else ["meta", "real"]

    def _remember_mode(self, uri: str, result: dict[str, Any]) -> None:
        if result.get("mode") == "real" and result.get("fallback"):
            self.needs_real.add(uri)
        elif result.get("ok") and result.get("mode") == "meta":
            self.needs_real.discard(uri)

    async def run_program(
        self,
        key: tuple[Any, ...],
        program: PreviewProgram,
        filename: str,
        folders: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Run (or reuse) one preview; a newer request on the same document cancels this one."""
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        uri = key[0]
        older = self.inflight.get(uri)
        if older is not None and not older.done():
            older.cancel()
        request = self._request(program, filename, folders)
        request["modes"] = self._modes_for(uri)
        task = asyncio.get_running_loop().create_task(self.client.request(request))
        self.inflight[uri] = task
        try:
            result = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            return {"ok": False, "cancelled": True}
        except RequestTooLarge as error:
            return {"ok": False, "error": {"type": "TooLarge", "summary": str(error)}}
        except WorkerGone as error:
            return {
                "ok": False,
                "error": {"type": "WorkerCrash", "summary": f"{error}; it is restarting"},
            }
        finally:
            if self.inflight.get(uri) is task:
                del self.inflight[uri]
        if result.get("cancelled"):
            return result
        self._remember_mode(uri, result)
        self._remember(key, result)
        return result

    def _remember(self, key: tuple[Any, ...], result: dict[str, Any]) -> None:
        """Cache a result, bounded in entries and in bytes; a huge result is not kept."""
        error = result.get("error")
        if isinstance(error, dict) and error.get("type") == "Busy":
            return  # dropped from a full queue: worth asking again
        size = len(json.dumps(result, default=str))
        if size > CACHE_ENTRY_BYTES:
            return
        self.cache[key] = result
        self.cache_sizes[key] = size
        while len(self.cache) > CACHE_SIZE or sum(self.cache_sizes.values()) > CACHE_BYTES:
            old, _ = self.cache.popitem(last=False)
            self.cache_sizes.pop(old, None)

    async def preview_source(
        self,
        uri: str,
        version: int | None,
        source: str,
        line: int,
        column: int,
        filename: str,
        expr: str | None = None,
        folders: tuple[str, ...] = (),
    ) -> tuple[PreviewProgram, dict[str, Any]] | None:
        program = build_program(source, line, column, expr)
        if program is None:
            return None
        key = (uri, version, program.target_line, program.expr)
        recorded = self.recorded.lookup(uri, version, program.target_line, program.expr)
        if recorded is not None and key not in self.cache:
            return program, recorded
        self.last_user_request = time.monotonic()
        self.traces.yield_to_user()
        try:
            result = await self.run_program(key, program, filename, folders)
        finally:
            self.last_user_request = time.monotonic()
        self.recorded.keep(uri, version, result)
        result.pop("recorded", None)  # kept once per version, not in every cached result
        result.pop("recorded_loops", None)
        return program, result

    def trace_document(
        self, uri: str, version: int | None, source: str, filename: str, folders: tuple[str, ...]
    ) -> Trace:
        """Trace this version of the whole document in the background (hints, diagnostics)."""
        program = PreviewProgram(source, -1, "", 0, 0, 0)
        request = self._request(program, filename, folders)
        request["modes"] = self._modes_for(uri)
        return self.traces.schedule(uri, version, request)

    def _keep_trace(self, trace: Trace, result: dict[str, Any]) -> None:
        """A trace's values answer later hovers of the same version without a new run."""
        self.recorded.keep(trace.uri, trace.version, result)
        self._remember_mode(trace.uri, result)

    def as_json(
        self, program: PreviewProgram, result: dict[str, Any], line_offset: int = 0
    ) -> dict[str, Any]:
        """A preview for commands and the CLI: ok, Markdown text, the value or the error."""
        return {
            "ok": bool(result.get("ok")),
            "expr": program.expr,
            "text": self.markdown(program, result, line_offset),
            "value": result.get("value"),
            "error": result.get("error"),
            "mode": result.get("mode"),
            "layers": result.get("layers"),
        }

    def markdown(
        self, program: PreviewProgram, result: dict[str, Any], line_offset: int = 0
    ) -> str:
        return hover_markdown(
            program.expr, result, not self.client.hello.get("real_gpu", False), line_offset
        )

    # -- snippets ---------------------------------------------------------------
    def _snippet_program(self, snippet: Snippet) -> PreviewProgram | None:
        from ..snippets import fill_placeholders

        preview = snippet.preview
        if preview is None or not preview.expr:
            return None
        body = fill_placeholders(snippet.default_body)
        source = "\n".join([preview.setup, *snippet.imports, body, preview.after, ""])
        return PreviewProgram(source, 0, preview.expr, 0, 0, 0)

    async def snippet_result(self, snippet: Snippet) -> dict[str, Any] | None:
        """Run a snippet's preview fixture (cached per snippet and torch version)."""
        program = self._snippet_program(snippet)
        if program is None:
            return None
        key = ("snippet:" + snippet.id, snippet.default_body, repr(snippet.preview), program.expr)
        return await self.run_program(key, program, f"<snippet {snippet.id}>")

    def _snippet_key(self, snippet: Snippet) -> tuple[str, str, str, str]:
        """Live previews are cached per snippet content and torch version."""
        torch_version = str(self.client.hello.get("torch"))
        return (snippet.id, snippet.default_body, repr(snippet.preview), torch_version)

    async def warm_snippets(self, snippets: list[Snippet]) -> None:
        """Compute every snippet's live preview in the background, one at a time.

        Only one is in flight at a time, so a hover waits for at most one of them.
        """
        # only the packaged snippets run unasked: a workspace's own run on request alone
        self.snippets_to_warm = [s for s in snippets if is_builtin(s)]
        if self.state != "ready" or self.warming:
            return
        self.warming = True
        tried: set[tuple[str, str, str, str]] = set()
        try:
            while pending := [
                s
                for s in self.snippets_to_warm
                if self._snippet_key(s) not in self.snippet_results
                and self._snippet_key(s) not in tried
            ]:
                tried.add(self._snippet_key(pending[0]))
                await self.wait_idle()
                try:
                    await self._warm_one(pending[0])
                except Exception:  # one bad fixture must not stop the rest
                    log.exception("live preview of snippet %s failed", pending[0].id)
        finally:
            self.warming = False

    async def _warm_one(self, snippet: Snippet) -> None:
        result = await self.snippet_result(snippet)
        if result is None or result.get("cancelled"):
            return
        if result.get("ok"):
            text = code(value_line(result.get("value", {})))
        else:
            error = result.get("error")
            text = error_markdown(error if isinstance(error, dict) else {})
        self.snippet_results[self._snippet_key(snippet)] = text

    def cached_snippet_preview(self, snippet: Snippet) -> str | None:
        """The live preview computed in the background, if it is ready."""
        return self.snippet_results.get(self._snippet_key(snippet))

    # -- commands ---------------------------------------------------------------
    async def snapshot_status(self) -> dict[str, Any]:
        """The worker's snapshot holders: what each holds, whether it is ready, its memory."""
        if self.client.ready is None:
            await self.client.start()
        try:
            report = await self.client.request({"op": "snapshots"})
        except WorkerGone as error:
            return {"holders": [], "building": 0, "pss_kb": 0, "error": str(error)}
        report.pop("op", None)
        report.pop("id", None)
        report["traces_pending"] = self.traces.pending()  # background traces (inlay hints)
        return report

    async def doctor(self) -> dict[str, Any]:
        if self.client.ready is None:
            await self.client.start()
        try:
            report = await self.client.request({"op": "doctor"})
        except WorkerGone as error:
            return {
                "python": self.settings.python,
                "torch": None,
                "error": str(error),
                "layers": {},
            }
        report.pop("op", None)
        report.pop("id", None)
        report["worker_pid"] = self.client.pid
        layers = report.get("layers")
        if isinstance(layers, dict):
            layers["hover_size"] = {
                "active": True,
                "detail": f"hovers cut at {MAX_HOVER:,} characters; result cache at most "
                f"{CACHE_SIZE} entries and {CACHE_BYTES >> 20} MiB, none over {CACHE_ENTRY_BYTES >> 10} KiB",
            }
        spare = self.client.spare
        report["spare_worker"] = (
            "warm"
            if spare and spare.alive and spare.ready.done()
            else ("warming" if spare and spare.alive else "none")
        )
        return report


def is_builtin(snippet: Snippet) -> bool:
    """Whether a snippet comes from torchpeek's own database, not a workspace or setting."""
    from ..snippets.loader import builtin_db_path

    return Path(snippet.path).resolve().is_relative_to(builtin_db_path().resolve())


def _gpu_json(settings: Settings) -> dict[str, Any]:
    gpu = asdict(settings.simulated_gpu)
    gpu["capability"] = list(gpu["capability"])
    return gpu
