"""Fuzzy matching of what the user typed against snippet prefixes, titles and tags.

:func:`fuzzy_score` is a case-insensitive subsequence match scored like editor pickers do:
matches at the start, at word boundaries (after ``-_. `` or a camelCase hump) and in
consecutive runs score higher; gaps cost a little. :func:`rank_snippets` orders snippets for
pickers. :class:`PrefixIndex` serves completion: only what can be typed (prefixes and variant
prefixes) is matched, exact and prefix matches by bisection of a sorted list, and fuzzy matches
only for words of three letters or more that share the first letter and score well enough.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .model import Snippet

MATCH = 16
START_BONUS = 24
BOUNDARY_BONUS = 18
CONSECUTIVE_BONUS = 14
GAP_PENALTY = 2
MAX_GAP_PENALTY = 12
PREFIX_BONUS = 40
EXACT_BONUS = 60
SEPARATORS = set("-_. /:")

PREFIX_WEIGHT = 3
TITLE_WEIGHT = 1
TAG_WEIGHT = 1


def _char_bonus(candidate: str, index: int) -> int:
    if index == 0:
        return START_BONUS
    before, here = candidate[index - 1], candidate[index]
    if before in SEPARATORS:
        return BOUNDARY_BONUS
    if before.islower() and here.isupper():
        return BOUNDARY_BONUS
    if not before.isdigit() and here.isdigit():
        return BOUNDARY_BONUS // 2
    return 0


@lru_cache(maxsize=16384)
def _prepared(candidate: str) -> tuple[str, tuple[int, ...]]:
    """Lower-cased text and per-character bonuses; candidates repeat on every request."""
    return candidate.lower(), tuple(_char_bonus(candidate, j) for j in range(len(candidate)))


def _is_subsequence(needle: str, haystack: str) -> bool:
    chars = iter(haystack)
    return all(char in chars for char in needle)


def _best_alignment(query: str, candidate: str) -> int | None:
    """Highest-scoring placement of ``query`` as a subsequence of ``candidate``."""
    lower, bonus = _prepared(candidate)
    if not _is_subsequence(query, lower):
        return None
    previous: list[int | None] = [None] * len(candidate)
    for i, char in enumerate(query):
        current: list[int | None] = [None] * len(candidate)
        far = _prefix_max(previous)
        for j in range(len(candidate)):
            if lower[j] == char:
                current[j] = _cell(previous, far, i, j, MATCH + bonus[j])
        previous = current
    scores = [score for score in previous if score is not None]
    return max(scores) if scores else None


def _prefix_max(row: list[int | None]) -> list[int | None]:
    """``out[k]`` is the best score in ``row[: k + 1]``."""
    out: list[int | None] = []
    best: int | None = None
    for score in row:
        if score is not None and (best is None or score > best):
            best = score
        out.append(best)
    return out


def _cell(
    previous: list[int | None], far: list[int | None], i: int, j: int, base: int
) -> int | None:
    """Score of query char ``i`` matched at ``j``, given the previous row."""
    if i == 0:
        return base
    options: list[int] = []
    adjacent = previous[j - 1] if j >= 1 else None
    if adjacent is not None:
        options.append(adjacent + CONSECUTIVE_BONUS)
    gapped = _gapped(previous, far, j)
    if gapped is not None:
        options.append(gapped)
    return base + max(options) if options else None


FULL_PENALTY_GAP = MAX_GAP_PENALTY // GAP_PENALTY


def _gapped(previous: list[int | None], far: list[int | None], j: int) -> int | None:
    """Best score of the previous query char at k < j - 1, minus a capped gap penalty.

    Gaps of ``FULL_PENALTY_GAP`` or more all cost the cap, so they come from a prefix
    maximum; only the few shorter gaps are looked at one by one.
    """
    best: int | None = None
    split = j - 1 - FULL_PENALTY_GAP  # k <= split has a gap >= FULL_PENALTY_GAP
    if split >= 0 and far[split] is not None:
        best = far[split] - MAX_GAP_PENALTY  # type: ignore[operator]
    for k in range(max(0, split + 1), j - 1):
        score = previous[k]
        if score is None:
            continue
        penalty = (j - k - 1) * GAP_PENALTY
        if best is None or score - penalty > best:
            best = score - penalty
    return best


def fuzzy_score(query: str, candidate: str) -> int | None:
    """Score of ``query`` as a fuzzy subsequence of ``candidate``; None if it does not match."""
    needle = query.lower()
    if not needle:
        return 0
    if len(needle) > len(candidate):
        return None
    score = _best_alignment(needle, candidate)
    if score is None:
        return None
    if candidate.lower().startswith(needle):
        score += PREFIX_BONUS
        if len(needle) == len(candidate):
            score += EXACT_BONUS
    return score


def _best(query: str, candidates: Iterable[str]) -> int | None:
    scores = [s for s in (fuzzy_score(query, c) for c in candidates) if s is not None]
    return max(scores) if scores else None


def snippet_score(query: str, snippet: Snippet) -> int | None:
    """Best weighted score over the snippet's prefixes, title and tags."""
    weighted = [
        (_best(query, snippet.prefixes), PREFIX_WEIGHT),
        (_best(query, [snippet.title]), TITLE_WEIGHT),
        (_best(query, snippet.tags), TAG_WEIGHT),
    ]
    scores = [score * weight for score, weight in weighted if score is not None]
    return max(scores) if scores else None


def rank_snippets(query: str, snippets: Iterable[Snippet]) -> list[tuple[Snippet, int]]:
    """Matching snippets with their scores, best first, ties broken by id."""
    if not query:
        return sorted(((s, 0) for s in snippets), key=lambda pair: pair[0].id)
    ranked = [(s, score) for s in snippets if (score := snippet_score(query, s)) is not None]
    return sorted(ranked, key=lambda pair: (-pair[1], pair[0].id))


# -- the completion index ------------------------------------------------------------------
EXACT, PREFIX, FUZZY = 0, 1, 2
MIN_FUZZY_LENGTH = 3
MIN_QUALITY = 0.45
MAX_FUZZY_STRETCH = 2  # a fuzzy match is a typo of a word, not a few letters of a long one


@dataclass(frozen=True)
class Entry:
    """One word a user can type to reach a snippet: a prefix, or a variant's prefix.

    ``values`` are the parameter values of a variant (empty for the defaults); ``order``
    keeps a snippet's own first prefix ahead of another snippet's alias of the same word.
    """

    prefix: str
    snippet: Snippet
    values: tuple[tuple[str, object], ...] = ()
    order: int = 0

    @property
    def key(self) -> str:
        return self.prefix.lower()


@dataclass(frozen=True)
class Hit:
    """An entry that matches the typed word, with its tier (exact, prefix, fuzzy) and score."""

    entry: Entry
    tier: int
    score: int = 0

    @property
    def sort_text(self) -> str:
        """Tier, then (fuzzy only) quality, then the prefix itself.

        Within the exact and prefix tiers the order is alphabetical by prefix, so a client
        that keeps filtering this list as the user types (a prefix or fuzzy filter, ties
        broken by sortText) still shows the entry equal to the longer word first: a word
        sorts before every longer word it starts.
        """
        quality = f"{max(0, 9999 - self.score):04d}" if self.tier == FUZZY else ""
        return f"{self.tier}{quality}{self.entry.key} {self.entry.order:03d}"


class PrefixIndex:
    """Entries sorted by prefix: exact and prefix matches by bisection, fuzzy ones per letter."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = sorted(entries, key=lambda e: (e.key, e.order, e.snippet.id))
        self._keys = [entry.key for entry in self.entries]
        self._by_letter: dict[str, list[int]] = {}
        for index, key in enumerate(self._keys):
            self._by_letter.setdefault(key[:1], []).append(index)

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, word: str, limit: int) -> tuple[list[Hit], bool]:
        """The best ``limit`` hits for ``word``, and whether there were more."""
        query = word.lower()
        if not query:
            return [], bool(self.entries)
        start = bisect_left(self._keys, query)
        end = bisect_right(self._keys, query + "\U0010ffff")
        hits = [
            Hit(self.entries[i], EXACT if self._keys[i] == query else PREFIX)
            for i in range(start, min(end, start + limit))
        ]
        more = end - start > limit
        if len(hits) < limit and len(query) >= MIN_FUZZY_LENGTH:
            fuzzy = self._fuzzy(query, range(start, end))
            more = more or len(hits) + len(fuzzy) > limit
            hits += fuzzy[: limit - len(hits)]
        return hits, more

    def _fuzzy(self, query: str, prefixed: range) -> list[Hit]:
        """Entries that start with the word's first letter, are at most about twice as long
        and match it well enough (a typo such as ``sced`` for ``sched``)."""
        needed = MIN_QUALITY * (fuzzy_score(query, query) or 0)
        found: list[Hit] = []
        for index in self._by_letter.get(query[0], ()):
            if index in prefixed:
                continue
            key = self._keys[index]
            if len(key) > MAX_FUZZY_STRETCH * len(query) + 2 or not _is_subsequence(query, key):
                continue
            score = fuzzy_score(query, key)
            if score is not None and score >= needed:
                found.append(Hit(self.entries[index], FUZZY, score))
        return sorted(found, key=lambda hit: hit.sort_text)
