"""Start the worker from a path, without torchpeek installed in the interpreter.

The server runs ``python /path/to/torchpeek/worker/boot.py``. This puts the
folder above ``worker/`` on ``sys.path`` under a private package name, so the
worker's modules import each other and nothing else of torchpeek.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _load_worker_package() -> object:
    here = Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location(
        "torchpeek_worker", here / "__init__.py", submodule_search_locations=[str(here)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["torchpeek_worker"] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    sys.path[:] = [
        p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent
    ]
    _load_worker_package()
    from torchpeek_worker.main import main

    raise SystemExit(main())
