"""Stand-in for the torchpeek server, used only to check the editor harness.

With TORCHPEEK_EDITORS_STUB=1 the editor tests put tests/editors/stub first on
PYTHONPATH, so `python -m torchpeek serve` starts this tiny server instead of
the real one: one snippet (`seed`), a fixed hover, and the workspace commands.
"""

__version__ = "0.0.0+stub"
