"""Server commands: ``workspace/executeCommand``.

``torchpeek.listSnippets`` feeds a client's picker, ``torchpeek.insertSnippet``
inserts a snippet with its imports through ``workspace/applyEdit``,
``torchpeek.reloadSnippets`` and ``torchpeek.exportSnippets`` manage the
database, and ``torchpeek.previewShape`` / ``torchpeek.doctor`` /
``torchpeek.snapshotStatus`` expose the preview worker. Each command takes one JSON object as its argument.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ..server import TorchpeekServer
from ..snippets import (
    SnippetError,
    export_vscode,
    fill_placeholders,
    plan_imports,
    render_snippet,
)
from .completion import import_edit, indent_body
from .hover import preview_at

LIST = "torchpeek.listSnippets"
INSERT = "torchpeek.insertSnippet"
RELOAD = "torchpeek.reloadSnippets"
EXPORT = "torchpeek.exportSnippets"
PREVIEW = "torchpeek.previewShape"
DOCTOR = "torchpeek.doctor"
SNAPSHOTS = "torchpeek.snapshotStatus"


def _argument(args: tuple[Any, ...]) -> dict[str, Any]:
    """The single object argument; clients sometimes wrap it in a list."""
    if len(args) == 1 and isinstance(args[0], list) and len(args[0]) == 1:
        args = tuple(args[0])
    if not args:
        return {}
    if isinstance(args[0], dict):
        return args[0]
    raise JsonRpcInvalidParams(f"expected one object argument, got {json.dumps(args)[:200]}")


def _require(arg: dict[str, Any], key: str, kind: type) -> Any:
    value = arg.get(key)
    if not isinstance(value, kind):
        raise JsonRpcInvalidParams(f"argument '{key}' must be {kind.__name__}, got {value!r}")
    return value


def _position(raw: Any) -> types.Position:
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(k), int) for k in ("line", "character")
    ):
        raise JsonRpcInvalidParams(f"'position' must be {{line, character}}, got {raw!r}")
    return types.Position(line=raw["line"], character=raw["character"])


def snippet_summary(ls: TorchpeekServer, snippet: Any) -> dict[str, Any]:
    """What a picker needs to show and parameterise one snippet."""
    return {
        "id": snippet.id,
        "title": snippet.title,
        "category": snippet.category,
        "description": snippet.describe(ls.locale),
        "prefixes": list(snippet.prefixes),
        "params": [
            {
                "name": p.name,
                "default": p.default,
                "description": p.description,
                "choices": list(p.choices),
            }
            for p in snippet.params
        ],
    }


def _target(arg: dict[str, Any]) -> types.Range:
    """Where the snippet goes: ``range`` (replaced, e.g. the typed prefix) or ``position``."""
    raw = arg.get("range")
    if isinstance(raw, dict):
        return types.Range(start=_position(raw.get("start")), end=_position(raw.get("end")))
    position = _position(arg.get("position"))
    return types.Range(start=position, end=position)


def insertion_edit(ls: TorchpeekServer, arg: dict[str, Any]) -> types.WorkspaceEdit:
    """The edit that inserts a rendered snippet (defaults filled) and its missing imports."""
    uri = _require(arg, "uri", str)
    target = _target(arg)
    position = target.start
    snippet = ls.snippets.db.get(_require(arg, "id", str))
    if snippet is None:
        raise JsonRpcInvalidParams(f"unknown snippet id {arg.get('id')!r}")
    values = arg.get("params") or {}
    if not isinstance(values, dict):
        raise JsonRpcInvalidParams("'params' must be an object of parameter values")
    try:
        text = fill_placeholders(render_snippet(snippet, values))
    except SnippetError as error:
        raise JsonRpcInvalidParams(error.problem.message) from error
    doc = ls.workspace.get_text_document(uri)
    line = doc.lines[position.line] if position.line < len(doc.lines) else ""
    text = indent_body(text, line[: len(line) - len(line.lstrip())])
    edits = [types.TextEdit(range=target, new_text=text)]
    plan = plan_imports(doc.source, snippet.imports) if snippet.imports else None
    if plan is not None:
        edits.insert(0, import_edit(plan))
    return types.WorkspaceEdit(changes={uri: edits})


def _selected_text(
    ls: TorchpeekServer, uri: str, start: types.Position, end: types.Position
) -> str | None:
    """A one-line selection becomes the expression to preview."""
    if start.line != end.line or start.character == end.character:
        return None
    line = ls.workspace.get_text_document(uri).lines[start.line]
    return line[start.character : end.character].strip() or None


async def preview_json(
    ls: TorchpeekServer, uri: str, position: types.Position, expr: str | None
) -> dict[str, Any]:
    """The preview as JSON: ok, Markdown text, the value or the error."""
    if not ls.settings.preview.enabled:
        return {"ok": False, "text": "shape previews are turned off"}
    found = await preview_at(ls, ls.workspace.get_text_document(uri), position, expr)
    if found is None:
        return {"ok": False, "text": "nothing to preview at this position"}
    return ls.preview.as_json(*found)


def register(server: TorchpeekServer) -> None:
    """Register every torchpeek command."""

    @server.command(LIST)
    async def on_list_snippets(ls: TorchpeekServer, *args: Any) -> list[dict[str, Any]]:
        """Every snippet with what a picker shows."""
        db = await ls.database()
        return [snippet_summary(ls, s) for s in db.snippets.values()]

    @server.command(INSERT)
    async def on_insert_snippet(ls: TorchpeekServer, *args: Any) -> dict[str, Any]:
        """Insert a snippet at a position through workspace/applyEdit."""
        await ls.database()
        edit = insertion_edit(ls, _argument(args))
        result = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label="torchpeek: insert snippet")
        )
        return {"applied": bool(result and result.applied)}

    @server.command(RELOAD)
    async def on_reload_snippets(ls: TorchpeekServer, *args: Any) -> dict[str, int]:
        """Reload the database from disk."""
        db = await ls.start_loading()
        return {"snippets": len(db.snippets), "problems": len(db.problems)}

    @server.command(EXPORT)
    async def on_export_snippets(ls: TorchpeekServer, *args: Any) -> dict[str, Any]:
        """Write the database as a VS Code .code-snippets file at the path the client chose."""
        arg = _argument(args)
        raw = arg.get("path")
        if not isinstance(raw, str) or not raw.strip():
            # Never a silent default inside the workspace: VS Code would list every prefix twice.
            raise JsonRpcInvalidParams("'path' is required: the file to write (a .code-snippets)")
        path = Path(raw).expanduser()
        db = await ls.database()
        path.parent.mkdir(parents=True, exist_ok=True)
        data = export_vscode(db)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return {"path": str(path), "count": len(data)}

    @server.command(PREVIEW)
    async def on_preview_shape(ls: TorchpeekServer, *args: Any) -> dict[str, Any]:
        """The shape preview at a position or range, as JSON."""
        arg = _argument(args)
        uri = _require(arg, "uri", str)
        expr = None
        if isinstance(arg.get("range"), dict):
            start = _position(arg["range"].get("start"))
            end = _position(arg["range"].get("end"))
            expr = _selected_text(ls, uri, start, end)
        else:
            start = end = _position(arg.get("position"))
        return await preview_json(ls, uri, end, expr)

    @server.command(DOCTOR)
    async def on_doctor(ls: TorchpeekServer, *args: Any) -> dict[str, Any]:
        """Which sandbox layers the worker can use, and which torch it runs."""
        return await ls.preview.doctor()

    @server.command(SNAPSHOTS)
    async def on_snapshot_status(ls: TorchpeekServer, *args: Any) -> dict[str, Any]:
        """The snapshot holders the worker keeps, and the memory of the worker's processes."""
        return await ls.preview.snapshot_status()
