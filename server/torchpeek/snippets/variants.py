"""Parameter variants as prefixes: every meaningful Jinja2 choice becomes a word one can type.

A snippet's parameters are otherwise reachable only through a picker or the CLI. Here each
non-default choice of a parameter (and the other value of a boolean) gets its own prefix, the
snippet's first prefix joined to the choice: ``sched`` with ``kind: plateau`` becomes
``sched_plateau``, ``seed`` with ``loader: false`` by default becomes ``seed_loader``, and a
``true`` default becomes ``seed_no_deterministic``. The joiner is an underscore so the whole word
stays one identifier in every editor's idea of a word. A choice whose body renders the same as
the default, or whose prefix is already taken, is left out. Nothing here edits the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .match import Entry, PrefixIndex
from .model import Param, Snippet, SnippetError
from .render import render_snippet

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slug(value: object) -> str:
    """A choice as lower-case identifier characters: ``nearest-exact`` -> ``nearest_exact``."""
    return _NOT_WORD.sub("_", str(value).lower()).strip("_")


def _choices(param: Param) -> Iterator[tuple[str, object]]:
    """(suffix, value) for each value of ``param`` other than its default."""
    if param.choices:
        for choice in param.choices:
            if choice != param.default and slug(choice):
                yield slug(choice), choice
    elif isinstance(param.default, bool):
        suffix = f"no_{param.name}" if param.default else param.name
        yield slug(suffix), not param.default


def variant_entries(snippet: Snippet, taken: set[str]) -> Iterator[Entry]:
    """One entry per meaningful parameter choice of ``snippet`` (``taken`` grows as they come)."""
    if not snippet.params or not snippet.prefixes:
        return
    seen_bodies = {snippet.default_body}
    for param in snippet.params:
        for suffix, value in _choices(param):
            prefix = f"{snippet.prefixes[0]}_{suffix}"
            if prefix.lower() in taken:
                continue
            try:
                body = render_snippet(snippet, {param.name: value})
            except SnippetError:
                continue
            if body in seen_bodies:
                continue
            seen_bodies.add(body)
            taken.add(prefix.lower())
            yield Entry(prefix, snippet, ((param.name, value),))


def completion_index(snippets: Iterable[Snippet]) -> PrefixIndex:
    """Every prefix of every snippet, then the variants, as one sorted index."""
    snippets = list(snippets)
    entries = [
        Entry(prefix, snippet, (), order)
        for snippet in snippets
        for order, prefix in enumerate(snippet.prefixes)
    ]
    taken = {entry.key for entry in entries}
    for snippet in snippets:
        entries.extend(variant_entries(snippet, taken))
    return PrefixIndex(entries)
