"""Start the torchpeek language server from the libraries bundled inside the VS Code extension.

The extension runs ``python -I serve.py`` with any Python 3.10 or newer; nothing
is installed into that interpreter. ``client/bundled/libs`` (made by
``make vsix``) holds torchpeek and its pure-Python dependencies and goes first
on ``sys.path``; in a repository checkout without it, ``server/`` is used.
"""

import os
import sys

if sys.version_info < (3, 10):
    sys.stderr.write(f"torchpeek needs Python 3.10 or newer to run its server, not {sys.version}\n")
    sys.exit(3)

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED = os.path.join(os.path.dirname(HERE), "bundled", "libs")
CHECKOUT = os.path.join(os.path.dirname(os.path.dirname(HERE)), "server")
sys.path.insert(0, BUNDLED if os.path.isdir(BUNDLED) else CHECKOUT)

from torchpeek.cli import main  # noqa: E402

sys.exit(main(["serve", *sys.argv[1:]]))
