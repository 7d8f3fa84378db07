"""Snippet completions: ``textDocument/completion`` and ``completionItem/resolve``.

Typing a prefix such as ``seed`` or ``ckpt`` in a Python document (a file, an
untitled buffer or a notebook cell) offers the matching snippets, ranked by a
fuzzy match. Each item replaces the typed word and carries the imports the
document lacks; resolve adds Markdown documentation in the user's language.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..server import TorchpeekServer
from ..snippets import ImportPlan, Snippet, fill_placeholders, plan_imports, rank_snippets
from .docs import snippet_markdown

if TYPE_CHECKING:
    from pygls.workspace import TextDocument


WORD_BEFORE_CURSOR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")
CACHE_SIZE = 256


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


def completion_context(doc: TextDocument, position: types.Position) -> CompletionContext | None:
    """The word being typed, or None where snippets make no sense (comments)."""
    lines = doc.lines
    line = lines[position.line] if position.line < len(lines) else ""
    column = doc.position_codec.position_from_client_units(lines, position).character
    before = line[:column]
    if "#" in before:
        return None
    match = WORD_BEFORE_CURSOR.search(before)
    word = match.group(0) if match else ""
    start = doc.position_codec.client_num_units(before[: column - len(word)])
    indent = line[: len(line) - len(line.lstrip())]
    word_range = types.Range(
        start=types.Position(line=position.line, character=start),
        end=position,
    )
    return CompletionContext(word=word, range=word_range, indent=indent)


def indent_body(text: str, indent: str) -> str:
    """Indent every line after the first, so multi-line bodies keep the cursor's level."""
    if not indent:
        return text
    return "\n".join(
        [text.split("\n")[0]] + [indent + ln if ln else ln for ln in text.split("\n")[1:]]
    )


def snippet_support(ls: TorchpeekServer) -> bool:
    """Whether the client understands LSP snippet syntax in completion items."""
    document = ls.client_capabilities.text_document
    completion = document.completion if document else None
    item = completion.completion_item if completion else None
    return bool(item and item.snippet_support)


class ImportPlanCache:
    """Import plans per document version and import list; documents change rarely between keys."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[str, int | None, tuple[str, ...]], Any] = OrderedDict()

    def plan(self, doc: TextDocument, imports: tuple[str, ...]) -> Any:
        key = (doc.uri, doc.version, imports)
        if key not in self._entries:
            self._entries[key] = plan_imports(doc.source, imports) if imports else None
            if len(self._entries) > CACHE_SIZE:
                self._entries.popitem(last=False)
        return self._entries[key]


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


class ItemFactory:
    """Builds completion items; the document-independent part is cached per database generation."""

    def __init__(self) -> None:
        self._bodies: dict[tuple[int, str, bool], str] = {}
        self._ranked: OrderedDict[tuple[int, str], list[tuple[Snippet, int]]] = OrderedDict()
        self.plans = ImportPlanCache()

    def ranked(self, generation: int, word: str, snippets: Any) -> list[tuple[Snippet, int]]:
        """Fuzzy ranking for a typed word, cached per database generation."""
        key = (generation, word)
        if key not in self._ranked:
            self._ranked[key] = rank_snippets(word, snippets)
            if len(self._ranked) > CACHE_SIZE:
                self._ranked.popitem(last=False)
        return self._ranked[key]

    def body(self, generation: int, snippet: Snippet, snippets_ok: bool) -> str:
        key = (generation, snippet.id, snippets_ok)
        if key not in self._bodies:
            text = snippet.default_body
            self._bodies[key] = text if snippets_ok else fill_placeholders(text)
        return self._bodies[key]

    def item(
        self,
        ls: TorchpeekServer,
        doc: TextDocument,
        ctx: CompletionContext,
        snippet: Snippet,
        score: int,
        snippets_ok: bool,
    ) -> types.CompletionItem:
        body = indent_body(self.body(ls.snippets.generation, snippet, snippets_ok), ctx.indent)
        extra, prefix = import_edits(self.plans.plan(doc, snippet.imports), ctx)
        return types.CompletionItem(
            label=snippet.prefixes[0],
            label_details=types.CompletionItemLabelDetails(
                detail=f" {snippet.category}", description=snippet.title
            ),
            kind=types.CompletionItemKind.Snippet,
            detail=snippet.title,
            filter_text=" ".join(snippet.prefixes + snippet.tags),
            sort_text=f"{max(0, 99999 - score):05d}{snippet.id}",
            insert_text_format=types.InsertTextFormat.Snippet
            if snippets_ok
            else types.InsertTextFormat.PlainText,
            insert_text_mode=types.InsertTextMode.AsIs,
            text_edit=types.TextEdit(range=ctx.range, new_text=prefix + body),
            additional_text_edits=extra or None,
            data={"id": snippet.id, "uri": doc.uri},
        )


FACTORY = ItemFactory()


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
        db = await ls.database()
        doc = ls.workspace.get_text_document(params.text_document.uri)
        if not is_python_document(doc):
            return None
        ctx = completion_context(doc, params.position)
        if ctx is None:
            return None
        ranked = FACTORY.ranked(ls.snippets.generation, ctx.word, db.snippets.values())
        snippets_ok = snippet_support(ls)
        items = [FACTORY.item(ls, doc, ctx, s, score, snippets_ok) for s, score in ranked]
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.COMPLETION_ITEM_RESOLVE)
    async def on_completion_resolve(
        ls: TorchpeekServer, item: types.CompletionItem
    ) -> types.CompletionItem:
        """Add Markdown documentation: description, code, expected and live preview."""
        data = item.data if isinstance(item.data, dict) else {}
        snippet = (await ls.database()).get(str(data.get("id", "")))
        if snippet is None:
            return item
        live = ls.preview.cached_snippet_preview(snippet)
        item.documentation = types.MarkupContent(
            kind=types.MarkupKind.Markdown,
            value=snippet_markdown(snippet, ls.locale, live),
        )
        return item
