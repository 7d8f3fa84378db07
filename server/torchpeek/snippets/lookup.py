"""Finding a snippet by what a person types: its id, one of its prefixes, or a variant prefix.

Used by ``torchpeek show``. A name that matches nothing comes back with close ids and
prefixes to suggest, so ``torchpeek show seeed`` says what was probably meant.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from .model import Database, Snippet
from .variants import completion_index

MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class Found:
    """The snippet a name refers to (with a variant's parameter values), or suggestions."""

    snippet: Snippet | None
    values: dict[str, object] = field(default_factory=dict)
    suggestions: tuple[str, ...] = ()


def find_snippet(db: Database, name: str) -> Found:
    """The snippet whose id, prefix or variant prefix is ``name``; else close names."""
    if name in db.snippets:
        return Found(db.snippets[name])
    index = completion_index(db.snippets.values())
    exact = [entry for entry in index.entries if entry.prefix == name]
    if exact:
        best = min(exact, key=lambda entry: entry.order)
        return Found(best.snippet, dict(best.values))
    names = sorted({*db.snippets, *(entry.prefix for entry in index.entries)})
    starting = [candidate for candidate in names if candidate.startswith(name)]
    close = difflib.get_close_matches(name, names, n=MAX_SUGGESTIONS, cutoff=0.6)
    suggestions = list(dict.fromkeys([*close, *starting]))[:MAX_SUGGESTIONS]
    return Found(None, suggestions=tuple(suggestions))
