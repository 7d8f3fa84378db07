"""Snippet completions: ``textDocument/completion`` and ``completionItem/resolve``.

Typing a prefix such as ``seed`` or ``ckpt`` in a Python document (a file, an untitled buffer
or a notebook cell) offers the snippets whose prefixes (or variant prefixes such as
``sched_plateau``) match, and nothing where a snippet does not belong (see
:mod:`.cursor_context`).

The list is meant to be filtered by the client as the user keeps typing: every item's label and
``filterText`` are the one prefix it answers to, and ``sortText`` orders exact, then prefix
matches alphabetically (a word before every longer word it starts), then fuzzy ones. So VS Code's
fuzzy filter, Neovim's and Emacs' prefix filters and Helix all keep the item equal to the typed
word first. A list cut at ``MAX_ITEMS`` says ``isIncomplete`` and the client asks again.

Clients that show the inserted text as the candidate and drop what does not start with the
typed word (Neovim's built-in omnifunc without snippet support) get the prefix itself as the
edit and a ``torchpeek.insertSnippet`` command that puts the body in its place.

Each request costs a line scan of the document at most: imports and string state are read once
per document version, the ranking once per typed word and database generation.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..server import TorchpeekServer
from ..snippets import ImportPlan, ImportScan, Snippet, fill_placeholders, scan_imports
from ..snippets.match import Hit, PrefixIndex
from ..snippets.render import render_snippet
from ..snippets.variants import completion_index
from ..snippets.vscode import exported_prefixes
from .cursor_context import in_string_or_comment, open_string_at, snippet_allowed
from .docs import snippet_markdown

if TYPE_CHECKING:
    from pygls.workspace import TextDocument


PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")
CACHE_SIZE = 256
MAX_ITEMS = 50
INSERT_COMMAND = "torchpeek.insertSnippet"


@dataclass(frozen=True)
class CompletionContext:
    """Where the completion happens: the typed word, its range and the line's indent."""

    word: str
    range: types.Range
    indent: str


def is_python_document(doc: TextDocument) -> bool:
    """Python files, untitled Python buffers and Python notebook cells."""
    if doc.language_id:
        return doc.language_id == "python"
    return doc.uri.endswith(PYTHON_SUFFIXES) or doc.uri.startswith("vscode-notebook-cell")


def _word_start(before: str) -> int:
    start = len(before)
    while start > 0 and (before[start - 1].isalnum() or before[start - 1] == "_"):
        start -= 1
    while start < len(before) and before[start].isdigit():
        start += 1
    return start


def indent_body(text: str, indent: str) -> str:
    """Indent every line after the first, so multi-line bodies keep the cursor's level."""
    if not indent:
        return text
    first, *rest = text.split("\n")
    return "\n".join([first] + [indent + ln if ln else ln for ln in rest])


def snippet_support(ls: TorchpeekServer) -> bool:
    """Whether the client understands LSP snippet syntax in completion items."""
    document = ls.client_capabilities.text_document
    completion = document.completion if document else None
    item = completion.completion_item if completion else None
    return bool(item and item.snippet_support)


def filters_on_inserted_text(ls: TorchpeekServer, snippets_ok: bool) -> bool:
    """Neovim's omnifunc without snippets keeps only items whose inserted text starts with
    the typed word, and inserts that text as is (one line), so it gets the prefix plus a
    command that replaces it with the body."""
    return not snippets_ok and getattr(ls, "client_name", "") == "Neovim"


def shown_by_the_editor(ls: TorchpeekServer) -> set[str]:
    """Prefixes VS Code already lists from a torchpeek export in the workspace's ``.vscode``.

    VS Code reads ``.vscode/*.code-snippets`` itself; offering the same prefixes again would
    list each twice, so completion leaves those to the editor.
    """
    if "code" not in getattr(ls, "client_name", "").lower():
        return set()
    hidden: set[str] = set()
    for root in ls.workspace_roots():
        for path in sorted((root / ".vscode").glob("*.code-snippets")):
            hidden |= exported_prefixes(path)
    return hidden


def import_edit(plan: ImportPlan) -> types.TextEdit:
    """An import plan as an insertion."""
    where = types.Position(line=plan.line, character=plan.character)
    return types.TextEdit(range=types.Range(start=where, end=where), new_text=plan.text)


def import_edits(
    plan: ImportPlan | None, ctx: CompletionContext
) -> tuple[list[types.TextEdit], str]:
    """Additional edits for missing imports, or a prefix for the main edit where they'd touch."""
    if plan is None:
        return [], ""
    if plan.line == ctx.range.start.line and ctx.range.start.character == 0:
        return [], plan.text
    return [import_edit(plan)], ""


@dataclass
class DocumentState:
    """What completion reads from one version of a document, computed on first use."""

    version: int | None
    imports: ImportScan | None = None
    open_quotes: dict[int, str | None] = field(default_factory=dict)
    plans: dict[tuple[str, ...], ImportPlan | None] = field(default_factory=dict)

    def plan(self, doc: TextDocument, imports: tuple[str, ...]) -> ImportPlan | None:
        if not imports:
            return None
        if self.imports is None:
            self.imports = scan_imports(doc.source)
        if imports not in self.plans:
            self.plans[imports] = self.imports.plan(imports)
        return self.plans[imports]

    def open_quote(self, lines: Sequence[str], line: int) -> str | None:
        """The triple quote still open where ``line`` starts (one regex over the lines above)."""
        if line not in self.open_quotes:
            self.open_quotes[line] = open_string_at("".join(lines[:line])) if line else None
        return self.open_quotes[line]


class Documents:
    """Per-document state, replaced whenever the version changes."""

    def __init__(self) -> None:
        self._states: OrderedDict[str, DocumentState] = OrderedDict()

    def state(self, doc: TextDocument) -> DocumentState:
        state = self._states.get(doc.uri)
        if state is None or state.version != doc.version:
            state = DocumentState(doc.version)
            self._states[doc.uri] = state
            if len(self._states) > CACHE_SIZE:
                self._states.popitem(last=False)
        self._states.move_to_end(doc.uri)
        return state


def completion_context(
    doc: TextDocument, position: types.Position, state: DocumentState
) -> CompletionContext | None:
    """The word being typed, or None where no snippet belongs."""
    lines = doc.lines
    line = lines[position.line] if position.line < len(lines) else ""
    column = doc.position_codec.position_from_client_units(lines, position).character
    before = line[:column]
    word = before[_word_start(before) :]
    if not snippet_allowed(lines, position.line, before, word):
        return None
    if in_string_or_comment(before, state.open_quote(lines, position.line)):
        return None
    start = doc.position_codec.client_num_units(before[: column - len(word)])
    indent = line[: len(line) - len(line.lstrip())]
    word_range = types.Range(
        start=types.Position(line=position.line, character=start), end=position
    )
    return CompletionContext(word=word, range=word_range, indent=indent)


class ItemFactory:
    """Builds completion items; the document-independent parts are cached per generation."""

    def __init__(self) -> None:
        self._generation = -1
        self._index: PrefixIndex | None = None
        self._bodies: dict[tuple[str, tuple[tuple[str, object], ...], bool], str] = {}
        self._ranked: OrderedDict[str, tuple[list[Hit], bool]] = OrderedDict()
        self._hidden: set[str] = set()
        self.documents = Documents()

    def _refresh(self, ls: TorchpeekServer) -> PrefixIndex:
        if self._index is None or self._generation != ls.snippets.generation:
            self._generation = ls.snippets.generation
            self._index = completion_index(ls.snippets.db.snippets.values())
            self._hidden = shown_by_the_editor(ls)
            self._bodies.clear()
            self._ranked.clear()
        return self._index

    def ranked(self, ls: TorchpeekServer, word: str) -> tuple[list[Hit], bool]:
        """The best ``MAX_ITEMS`` hits for a typed word and whether more matched."""
        index = self._refresh(ls)
        if word not in self._ranked:
            hits, more = index.search(word, MAX_ITEMS)
            if self._hidden:
                hits = [hit for hit in hits if hit.entry.prefix not in self._hidden]
            self._ranked[word] = hits, more
            if len(self._ranked) > CACHE_SIZE:
                self._ranked.popitem(last=False)
        return self._ranked[word]

    def body(self, hit: Hit, snippets_ok: bool) -> str:
        entry = hit.entry
        key = (entry.snippet.id, entry.values, snippets_ok)
        if key not in self._bodies:
            text = render_snippet(entry.snippet, dict(entry.values) or None)
            self._bodies[key] = text if snippets_ok else fill_placeholders(text)
        return self._bodies[key]

    def item(
        self, doc: TextDocument, ctx: CompletionContext, hit: Hit, shape: ItemShape
    ) -> types.CompletionItem:
        entry, snippet = hit.entry, hit.entry.snippet
        detail = snippet.title + _variant_note(entry.values)
        item = types.CompletionItem(
            label=entry.prefix,
            label_details=types.CompletionItemLabelDetails(description=detail),
            kind=types.CompletionItemKind.Snippet,
            detail=detail,
            filter_text=entry.prefix,
            sort_text=hit.sort_text,
            data={"id": snippet.id, "params": dict(entry.values)},
        )
        if shape.word_only:
            return _word_item(item, doc, ctx, entry.prefix)
        body = indent_body(self.body(hit, shape.snippets), ctx.indent)
        state = self.documents.state(doc)
        extra, prefix = import_edits(state.plan(doc, snippet.imports), ctx)
        item.insert_text_format = (
            types.InsertTextFormat.Snippet if shape.snippets else types.InsertTextFormat.PlainText
        )
        item.insert_text_mode = types.InsertTextMode.AsIs
        item.text_edit = types.TextEdit(range=ctx.range, new_text=prefix + body)
        item.additional_text_edits = extra or None
        return item


@dataclass(frozen=True)
class ItemShape:
    """How this client wants items: snippet syntax or plain text, or the word plus a command."""

    snippets: bool
    word_only: bool


def _variant_note(values: tuple[tuple[str, object], ...]) -> str:
    return "".join(f" ({name}={value})" for name, value in values)


def _word_item(
    item: types.CompletionItem, doc: TextDocument, ctx: CompletionContext, prefix: str
) -> types.CompletionItem:
    """The prefix as the edit, and the command that swaps it for the body and imports."""
    start = ctx.range.start
    end = types.Position(line=start.line, character=start.character + len(prefix))
    item.insert_text_format = types.InsertTextFormat.PlainText
    item.text_edit = types.TextEdit(range=ctx.range, new_text=prefix)
    data = item.data if isinstance(item.data, dict) else {}
    argument = {
        "uri": doc.uri,
        "id": data.get("id"),
        "params": data.get("params") or {},
        "range": {
            "start": {"line": start.line, "character": start.character},
            "end": {"line": end.line, "character": end.character},
        },
    }
    item.command = types.Command(
        title="insert snippet", command=INSERT_COMMAND, arguments=[argument]
    )
    return item


FACTORY = ItemFactory()
NOTHING = types.CompletionList(is_incomplete=True, items=[])


def complete(ls: TorchpeekServer, params: types.CompletionParams) -> types.CompletionList | None:
    """The completion list for a position (the database must be loaded)."""
    doc = ls.workspace.get_text_document(params.text_document.uri)
    if not is_python_document(doc):
        return None
    ctx = completion_context(doc, params.position, FACTORY.documents.state(doc))
    if ctx is None or not ctx.word:
        # Incomplete, so the client asks again once a word starts or the context changes.
        return NOTHING
    hits, more = FACTORY.ranked(ls, ctx.word)
    snippets_ok = snippet_support(ls)
    shape = ItemShape(snippets_ok, filters_on_inserted_text(ls, snippets_ok))
    items = [FACTORY.item(doc, ctx, hit, shape) for hit in hits]
    return types.CompletionList(is_incomplete=more, items=items)


def register(server: TorchpeekServer) -> None:
    """Register completion and resolve."""

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(resolve_provider=True, trigger_characters=[]),
    )
    async def on_completion(
        ls: TorchpeekServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        """Offer the snippets that match the word before the cursor."""
        await ls.database()
        return complete(ls, params)

    @server.feature(types.COMPLETION_ITEM_RESOLVE)
    async def on_completion_resolve(
        ls: TorchpeekServer, item: types.CompletionItem
    ) -> types.CompletionItem:
        """Add Markdown documentation: description, code, expected and live preview."""
        data = item.data if isinstance(item.data, dict) else {}
        snippet = (await ls.database()).get(str(data.get("id", "")))
        if snippet is None:
            return item
        item.documentation = types.MarkupContent(
            kind=types.MarkupKind.Markdown,
            value=snippet_markdown(
                snippet,
                ls.locale,
                ls.preview.cached_snippet_preview(snippet),
                _variant_body(snippet, data.get("params")),
            ),
        )
        return item


def _variant_body(snippet: Snippet, values: Any) -> str | None:
    """The body of a variant, for its documentation; None for the defaults or bad values."""
    if not isinstance(values, dict) or not values:
        return None
    try:
        return render_snippet(snippet, values)
    except Exception:  # resolve data comes back from the client: never trust it
        return None
