"""Start-up and shut-down: ``initialize``, ``initialized`` and ``shutdown``.

``initialize`` reads the client's locale and initialization options;
``initialized`` loads the snippet database, asks the client to watch the
snippet folders and starts warming up the preview worker.
"""

from __future__ import annotations

from lsprotocol import types

from ..server import TorchpeekServer

WATCH_ID = "torchpeek-snippet-watch"


def register(server: TorchpeekServer) -> None:
    """Register the lifecycle handlers."""

    @server.feature(types.INITIALIZE)
    def on_initialize(ls: TorchpeekServer, params: types.InitializeParams) -> None:
        """Remember the client's locale and apply its initialization options."""
        if params.locale:
            ls.client_locale = params.locale
        if params.client_info:
            ls.client_name = params.client_info.name
        ls.apply_settings(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls: TorchpeekServer, params: types.InitializedParams) -> None:
        """Load snippets, watch their folders and warm the worker up."""
        ls.start_loading()
        ls.preview.adopt(ls.settings)
        ls.preview.start()
        await _watch_snippet_files(ls)

    @server.feature(types.SHUTDOWN)
    async def on_shutdown(ls: TorchpeekServer, params: None) -> None:
        """Stop the preview worker."""
        await ls.preview.stop()


def _supports_dynamic_watch(ls: TorchpeekServer) -> bool:
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    return bool(watched and watched.dynamic_registration)


async def _watch_snippet_files(ls: TorchpeekServer) -> None:
    """Ask the client to tell us about changes to snippet files."""
    if not _supports_dynamic_watch(ls):
        return
    watchers = [
        types.FileSystemWatcher(glob_pattern="**/.torchpeek/snippets/**/*.{yaml,yml,json}"),
        types.FileSystemWatcher(glob_pattern="**/*.code-snippets"),
    ]
    watchers += [
        types.FileSystemWatcher(glob_pattern=f"{path.as_posix()}/**/*.{{yaml,yml,json}}")
        for path in ls.snippet_dirs()
    ]
    registration = types.Registration(
        id=WATCH_ID,
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
    )
    try:
        await ls.client_register_capability_async(
            types.RegistrationParams(registrations=[registration])
        )
    except Exception as error:  # the client may refuse; reload still works by command
        ls.warn(f"torchpeek: could not register file watchers: {error}")
