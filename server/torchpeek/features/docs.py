"""Markdown documentation for a snippet, shared by completion resolve and the CLI.

Not a handler module: it turns a snippet (and, when available, its live
preview) into the text an editor shows beside the completion list.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..snippets import Snippet, fill_placeholders


def expected_text(expect: Mapping[str, object]) -> str:
    """The fixture's expected result in torch's own notation."""
    parts = []
    if "shape" in expect:
        dims = ", ".join(str(d) for d in expect["shape"])  # type: ignore[attr-defined]
        parts.append(f"`torch.Size([{dims}])`")
    for key in ("dtype", "device", "kind", "error"):
        if key in expect:
            parts.append(f"`{expect[key]}`")
    return " · ".join(parts)


def snippet_markdown(
    snippet: Snippet, locale: str, live: str | None = None, body: str | None = None
) -> str:
    """Description in ``locale``, the code with its imports, and the preview.

    The title is left out: editors already show the item's ``detail`` (the title) above the
    documentation. ``body`` is a variant's rendered body, when it is not the default.
    """
    text = fill_placeholders(body if body is not None else snippet.default_body)
    code = "\n".join([*snippet.imports, "", text]).strip()
    sections = [snippet.describe(locale), f"```python\n{code}\n```"]
    if snippet.params:
        rows = [f"- `{p.name}` = `{p.default!r}` {p.description}".rstrip() for p in snippet.params]
        sections.append("Parameters:\n" + "\n".join(rows))
    if snippet.preview and snippet.preview.expect:
        sections.append(
            f"Expected preview of `{snippet.preview.expr}`: "
            + expected_text(snippet.preview.expect)
        )
    if live:
        sections.append("Live preview: " + live)
    return "\n\n".join(sections)
