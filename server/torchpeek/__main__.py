"""Entry point for ``python -m torchpeek``: the same command line as ``torchpeek``."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
