"""A per-file cache of loaded snippets, so a restart does not re-validate unchanged files.

Checking a snippet (YAML with locations, the schema, a Jinja2 render, the snippet syntax)
costs milliseconds per snippet; a pickle of the result loads in microseconds. Each snippet
file gets one entry in ``$TORCHPEEK_CACHE_DIR`` (default ``$XDG_CACHE_HOME/torchpeek/snippets``),
keyed by the file's path, size and modification time and by the modification times of this
package's own modules, so an edited file or a new torchpeek version reloads from source.
Set ``TORCHPEEK_CACHE_DIR=off`` to turn the cache off. A missing, unreadable or stale entry
is never an error: the file is simply loaded again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from .model import Problem, Snippet

log = logging.getLogger(__name__)
Loaded = tuple[list[Snippet], list[Problem]]
FORMAT = 1


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is turned off."""
    configured = os.environ.get("TORCHPEEK_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "torchpeek" / "snippets"


@lru_cache(maxsize=1)
def code_stamp() -> tuple[tuple[str, int], ...]:
    """The modification times of the modules that build snippets (read once per process)."""
    here = Path(__file__).resolve().parent
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in here.glob("*.py")))


def _key(path: Path) -> tuple[object, ...] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (FORMAT, str(path.resolve()), stat.st_size, stat.st_mtime_ns, code_stamp())


def _entry(folder: Path, path: Path) -> Path:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
    return folder / f"{digest}.pickle"


def _read(entry: Path, key: tuple[object, ...]) -> Loaded | None:
    try:
        with entry.open("rb") as handle:
            stored_key, loaded = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as error:  # a torn or foreign file: ignore it and reload
        log.debug("snippet cache entry %s unreadable: %s", entry, error)
        return None
    return loaded if stored_key == key else None


def _write(entry: Path, key: tuple[object, ...], loaded: Loaded) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((key, loaded), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, entry)
    except Exception as error:  # a read-only home must not break loading
        log.debug("snippet cache entry %s not written: %s", entry, error)


def cached_load(path: Path, load: Callable[[Path], Loaded]) -> Loaded:
    """``load(path)``, or its stored result when neither the file nor torchpeek changed."""
    folder = cache_dir()
    key = _key(path)
    if folder is None or key is None:
        return load(path)
    entry = _entry(folder, path)
    found = _read(entry, key)
    if found is not None:
        return found
    loaded = load(path)
    _write(entry, key, loaded)
    return loaded
