"""YAML loading that remembers where every value came from, so problems point at file:line:col.

:func:`load_located` parses with a ``SafeLoader`` subclass whose mappings and sequences are
:class:`LocDict` / :class:`LocList`: ordinary dicts and lists that also carry the 1-based
position (and scalar style) of each key and value. Syntax errors come back as a
:class:`Problem` at the mark PyYAML reports.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .model import Problem


@dataclass(frozen=True)
class Span:
    """Where a YAML node starts (1-based) and, for scalars, its style (``|``, ``>``, quotes)."""

    line: int
    col: int
    style: str | None = None

    @property
    def text_line(self) -> int:
        """The line where the value's text starts: block scalars start after the indicator."""
        return self.line + 1 if self.style in ("|", ">") else self.line


def span_of(node: Node) -> Span:
    """The start of ``node``."""
    style = node.style if isinstance(node, ScalarNode) else None
    return Span(node.start_mark.line + 1, node.start_mark.column + 1, style)


class LocDict(dict):
    """A YAML mapping with the spans of itself, its keys and its values."""

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span
        self.key_spans: dict[object, Span] = {}
        self.value_spans: dict[object, Span] = {}

    def key_span(self, key: object) -> Span:
        """Where ``key`` is written, or where the mapping starts if it is absent."""
        return self.key_spans.get(key, self.span)

    def value_span(self, key: object) -> Span:
        """Where the value of ``key`` starts, or where the mapping starts if it is absent."""
        return self.value_spans.get(key, self.span)


class LocList(list):
    """A YAML sequence with the spans of itself and its items."""

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span
        self.item_spans: list[Span] = []

    def item_span(self, index: int) -> Span:
        return self.item_spans[index] if index < len(self.item_spans) else self.span


def span_in(container: object, key: object) -> Span | None:
    """The value span of ``key`` in a LocDict or LocList, if known."""
    if isinstance(container, LocDict):
        return container.value_spans.get(key)
    if isinstance(container, LocList) and isinstance(key, int):
        return container.item_span(key)
    return None


class _LocatingLoader(yaml.SafeLoader):
    """SafeLoader building LocDict/LocList and recording duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[object, Span]] = []


def _construct_map(loader: _LocatingLoader, node: MappingNode) -> Iterator[LocDict]:
    data = LocDict(span_of(node))
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            )
        if key in data:
            loader.duplicates.append((key, span_of(key_node)))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_spans[key] = span_of(key_node)
        data.value_spans[key] = span_of(value_node)


def _construct_seq(loader: _LocatingLoader, node: SequenceNode) -> Iterator[LocList]:
    data = LocList(span_of(node))
    yield data
    for item in node.value:
        data.append(loader.construct_object(item, deep=True))
        data.item_spans.append(span_of(item))


_LocatingLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LocatingLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _yaml_problem(path: str, error: yaml.YAMLError) -> Problem:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        parts = [error.context, error.problem]
        message = "; ".join(part for part in parts if part) or "invalid YAML"
        if mark is not None:
            return Problem(path, mark.line + 1, mark.column + 1, f"YAML: {message}")
        return Problem(path, 1, 1, f"YAML: {message}")
    return Problem(path, 1, 1, f"YAML: {error}")


def load_located(text: str, path: str) -> tuple[object, list[Problem]]:
    """Parse one YAML document; the value is None when the text is not valid YAML."""
    loader = _LocatingLoader(text)
    try:
        value = loader.get_single_data()
    except yaml.YAMLError as error:
        return None, [_yaml_problem(path, error)]
    except RecursionError:
        return None, [Problem(path, 1, 1, "YAML: nesting too deep")]
    finally:
        loader.dispose()
    problems = [
        Problem(path, span.line, span.col, f"duplicate key {key!r}")
        for key, span in loader.duplicates
    ]
    return value, problems
