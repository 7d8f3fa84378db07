"""`python -m torchpeek serve` for the harness stub (see __init__.py)."""

from __future__ import annotations

import re

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("torchpeek-stub", "0.0.0")

BODY = "torch.manual_seed(${1:0})\nrandom.seed(${1:0})\n"
SNIPPET = {
    "id": "seed.all",
    "title": "Seed everything",
    "category": "reproducibility",
    "description": "Seed torch and random",
    "prefixes": ["seed"],
    "params": [{"name": "seed", "default": 0, "description": "seed value", "choices": None}],
}


def _word_range(text: str, pos: types.Position) -> types.Range:
    line = text.splitlines()[pos.line] if text.splitlines() else ""
    m = re.search(r"\w*$", line[: pos.character])
    start = pos.character - len(m.group(0)) if m else pos.character
    return types.Range(types.Position(pos.line, start), pos)


def _import_edits(text: str) -> list[types.TextEdit]:
    needed = [m for m in ("random", "torch") if f"import {m}" not in text]
    if not needed:
        return []
    return [
        types.TextEdit(
            types.Range(types.Position(0, 0), types.Position(0, 0)),
            "".join(f"import {m}\n" for m in needed),
        )
    ]


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(resolve_provider=True))
def completion(ls: LanguageServer, params: types.CompletionParams) -> types.CompletionList:
    doc = ls.workspace.get_text_document(params.text_document.uri)
    item = types.CompletionItem(
        label="seed",
        kind=types.CompletionItemKind.Snippet,
        detail="torchpeek: Seed everything",
        insert_text_format=types.InsertTextFormat.Snippet,
        text_edit=types.TextEdit(_word_range(doc.source, params.position), BODY),
        additional_text_edits=_import_edits(doc.source),
        data={"id": "seed.all"},
    )
    return types.CompletionList(is_incomplete=False, items=[item])


@server.feature(types.COMPLETION_ITEM_RESOLVE)
def resolve(ls: LanguageServer, item: types.CompletionItem) -> types.CompletionItem:
    item.documentation = types.MarkupContent(
        types.MarkupKind.Markdown, "**Seed everything**\n\n```python\ntorch.manual_seed(0)\n```"
    )
    return item


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: LanguageServer, params: types.HoverParams) -> types.Hover:
    return types.Hover(
        types.MarkupContent(
            types.MarkupKind.Markdown, "`x`: `torch.Size([2, 3])` `torch.float32` on `cpu`"
        )
    )


@server.command("torchpeek.listSnippets")
def list_snippets(ls: LanguageServer, arg: dict) -> list[dict]:
    return [SNIPPET]


@server.command("torchpeek.insertSnippet")
async def insert_snippet(ls: LanguageServer, arg: dict) -> dict:
    seed = str((arg.get("params") or {}).get("seed", 0))
    pos = types.Position(**arg["position"])
    doc = ls.workspace.get_text_document(arg["uri"])
    body = BODY.replace("${1:0}", seed)
    edits = [*_import_edits(doc.source), types.TextEdit(types.Range(pos, pos), body)]
    result = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(types.WorkspaceEdit(changes={arg["uri"]: edits}))
    )
    return {"applied": result.applied}


@server.command("torchpeek.doctor")
def doctor(ls: LanguageServer, arg: dict) -> dict:
    return {
        "python": "stub",
        "torch": None,
        "layers": {"stub": {"active": True, "detail": "harness stub"}},
    }


@server.feature(types.INITIALIZED)
def initialized(ls: LanguageServer, params: types.InitializedParams) -> None:
    ls.protocol.notify(
        "torchpeek/status", {"state": "ready", "detail": "stub", "simulatedGpu": False}
    )


if __name__ == "__main__":
    server.start_io()
