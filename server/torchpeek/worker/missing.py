"""Stand-ins for packages the interpreter lacks, so one missing import does not stop every hover.

A module-level ``import wandb`` or ``from tqdm import tqdm`` is compiled inside
``try``: if the package is missing, the names it would bind get a ``Missing``
stand-in that absorbs every use, and the hover names the package. Imports the
file already guards with ``try``, and relative imports of the user's own
modules, are left alone.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator

IMPORTS = (ast.Import, ast.ImportFrom)


class Missing:
    """Stands in for a module the interpreter lacks: absorbs every use.

    Attributes and items give stand-ins; a call gives back its first argument
    (``tqdm(loader)`` iterates the loader), or a stand-in.
    """

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Missing:
        return self

    def __getitem__(self, key: object) -> Missing:
        return self

    def __call__(self, *args: object, **kwargs: object) -> object:
        return args[0] if args else self

    def __iter__(self) -> Iterator[object]:
        return iter(())

    def __repr__(self) -> str:
        return f"<{self._module}: not installed in this interpreter>"


class StandIns:
    """Called by a tolerant import that failed: binds the stand-ins, remembers the package."""

    def __init__(self) -> None:
        self.modules: list[str] = []

    def __call__(self, error: ModuleNotFoundError, names: list[str]) -> None:
        frame = sys._getframe(1)
        module = error.name or "?"
        for name in names:
            frame.f_globals[name] = Missing(module)
        self.modules.append(module)


def tolerant(statement: ast.Import | ast.ImportFrom, probe: str) -> ast.stmt:
    """``statement`` inside ``try``; a missing module calls ``<probe>.missing(error, names)``."""
    if isinstance(statement, ast.ImportFrom) and statement.level:
        return statement  # a sibling module that is missing is the user's real error
    names = [(alias.asname or alias.name).split(".")[0] for alias in statement.names]
    if "*" in names:
        return statement
    handler = ast.parse(
        f"try:\n    pass\nexcept ModuleNotFoundError as error:\n    {probe}.missing(error, {names!r})\n"
    ).body[0]
    assert isinstance(handler, ast.Try)
    handler.body = [statement]
    for node in ast.walk(handler):
        ast.copy_location(node, statement)
    return handler
