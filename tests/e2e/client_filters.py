"""How editors filter and sort a completion list as the user keeps typing.

Three filters stand for the clients: a fuzzy subsequence filter with prefix matches first
(VS Code, Helix), a prefix filter on ``filterText`` (nvim-cmp, Neovim 0.11, Emacs capf), and
Neovim 0.7's omnifunc, which keeps items whose *inserted text* starts with the typed word.
``type_word`` types a word letter by letter, asking the server only when it must.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_support import complete, open_doc

MAX_ITEMS = 50
WORDS = ("ckpt", "seed", "gpu", "cv2")
Filter = Callable[[list[types.CompletionItem], str], list[types.CompletionItem]]


def _key(item: types.CompletionItem) -> str:
    return item.filter_text or item.label


def _sorted(items: list[types.CompletionItem]) -> list[types.CompletionItem]:
    return sorted(items, key=lambda i: i.sort_text or i.label)


def _is_subsequence(needle: str, haystack: str) -> bool:
    chars = iter(haystack)
    return all(char in chars for char in needle)


def fuzzy_filter(items: list[types.CompletionItem], typed: str) -> list[types.CompletionItem]:
    """VS Code-like: subsequence matches, contiguous prefix matches ahead, then sortText."""
    kept = [i for i in items if _is_subsequence(typed.lower(), _key(i).lower())]
    return sorted(
        kept, key=lambda i: (not _key(i).lower().startswith(typed.lower()), i.sort_text or "")
    )


def prefix_filter(items: list[types.CompletionItem], typed: str) -> list[types.CompletionItem]:
    """nvim-cmp / Emacs capf: filterText (or label) starts with the typed word."""
    return _sorted([i for i in items if _key(i).lower().startswith(typed.lower())])


def _inserted(item: types.CompletionItem) -> str:
    if isinstance(item.text_edit, types.TextEdit):
        return item.text_edit.new_text
    return item.insert_text or item.label


def omnifunc_filter(items: list[types.CompletionItem], typed: str) -> list[types.CompletionItem]:
    """Neovim 0.7's vim.lsp.omnifunc: the inserted text must start with the word (case-sensitive)."""
    return _sorted([i for i in items if _inserted(i).startswith(typed)])


async def type_word(
    client: LanguageClient, word: str, keep: Filter
) -> list[list[types.CompletionItem]]:
    """Type ``word`` letter by letter on a new line; what the client shows after each letter."""
    shown: list[list[types.CompletionItem]] = []
    listing: types.CompletionList | None = None
    for n in range(1, len(word) + 1):
        typed = word[:n]
        if listing is None or listing.is_incomplete:
            uri = open_doc(client, f"import os\n\n{typed}")
            listing = await complete(client, uri, 2, n)
        shown.append(keep(list(listing.items), typed))
    return shown
