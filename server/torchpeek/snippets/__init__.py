"""The snippet engine: load, validate, render, match and export PyTorch snippets (no LSP here).

The server and CLI use only the names exported here. Loading returns snippets plus
:class:`Problem` values and never raises halfway; rendering raises :class:`SnippetError`.
"""

from __future__ import annotations

from .imports import ImportPlan, ImportScan, missing_imports, plan_imports, scan_imports
from .lint import legacy_api_findings
from .loader import builtin_db_path, load_database, load_file
from .match import fuzzy_score, rank_snippets
from .model import Database, Param, Preview, Problem, Snippet, SnippetError
from .render import render_snippet
from .syntax import (
    Choice,
    Placeholder,
    SnippetNode,
    SnippetSyntaxError,
    SnippetTree,
    Tabstop,
    Text,
    Variable,
    escape_text,
    fill_placeholders,
    parse_snippet,
)
from .vscode import export_vscode, import_vscode

__all__ = [
    "Choice",
    "Database",
    "ImportPlan",
    "ImportScan",
    "Param",
    "Placeholder",
    "Preview",
    "Problem",
    "Snippet",
    "SnippetError",
    "SnippetNode",
    "SnippetSyntaxError",
    "SnippetTree",
    "Tabstop",
    "Text",
    "Variable",
    "builtin_db_path",
    "escape_text",
    "export_vscode",
    "fill_placeholders",
    "fuzzy_score",
    "import_vscode",
    "legacy_api_findings",
    "load_database",
    "load_file",
    "missing_imports",
    "parse_snippet",
    "plan_imports",
    "rank_snippets",
    "scan_imports",
    "render_snippet",
]
