"""The floor for the completion bench: a bare pygls 2 server that returns pre-built items.

Run as ``python bench/floor_server.py ITEMS.json``. The JSON file maps a typed
word to the list of completion items (LSP JSON) that torchpeek returned for
it; the ``""`` entry is the full list. At start the items are turned into
``lsprotocol`` objects once, so each request costs only what pygls itself
costs: read the document, look the word up, serialise the answer. No fuzzy
ranking, no snippet database, no imports beyond pygls.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")

server = LanguageServer("torchpeek-floor", "0")
LISTS: dict[str, types.CompletionList] = {}


def load(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    converter = server.protocol._converter
    for word, items in raw.items():
        LISTS[word] = types.CompletionList(
            is_incomplete=False,
            items=[converter.structure(item, types.CompletionItem) for item in items],
        )


@server.feature(types.TEXT_DOCUMENT_COMPLETION)
def on_completion(ls: LanguageServer, params: types.CompletionParams) -> types.CompletionList:
    doc = ls.workspace.get_text_document(params.text_document.uri)
    lines = doc.lines
    line = lines[params.position.line] if params.position.line < len(lines) else ""
    match = WORD.search(line[: params.position.character])
    word = match.group(0) if match else ""
    return LISTS.get(word) or LISTS.get("") or types.CompletionList(is_incomplete=False, items=[])


if __name__ == "__main__":
    if len(sys.argv) > 1:
        load(Path(sys.argv[1]))
    server.start_io()
