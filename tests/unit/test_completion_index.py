"""The completion index, variant prefixes, the cursor context and the snippet cache."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from torchpeek.features.cursor_context import in_string_or_comment, open_string_at
from torchpeek.snippets import load_database
from torchpeek.snippets.cache import cached_load
from torchpeek.snippets.loader import _load_file
from torchpeek.snippets.match import EXACT, FUZZY, PREFIX
from torchpeek.snippets.variants import completion_index, slug


@pytest.fixture(scope="module")
def index():  # type: ignore[no-untyped-def]
    return completion_index(load_database().snippets.values())


def test_exact_then_prefixes_alphabetically(index) -> None:  # type: ignore[no-untyped-def]
    hits, more = index.search("ckpt", 50)
    assert not more
    assert hits[0].entry.prefix == "ckpt" and hits[0].tier == EXACT
    rest = [hit.entry.prefix for hit in hits[1:]]
    assert rest == sorted(rest) and all(hit.tier == PREFIX for hit in hits[1:])
    assert [h.sort_text for h in hits] == sorted(h.sort_text for h in hits)


def test_a_word_sorts_before_every_longer_word_it_starts(index) -> None:  # type: ignore[no-untyped-def]
    hits, _ = index.search("s", 500)
    for typed in ("se", "see", "seed"):
        kept = [h for h in hits if h.entry.key.startswith(typed)]
        exact = [h for h in kept if h.entry.key == typed]
        if exact:
            assert min(kept, key=lambda h: h.sort_text).entry.key == typed


def test_cap_says_there_is_more(index) -> None:  # type: ignore[no-untyped-def]
    hits, more = index.search("c", 5)
    assert len(hits) == 5 and more


def test_fuzzy_only_for_close_typos(index) -> None:  # type: ignore[no-untyped-def]
    hits, _ = index.search("sced", 50)
    assert hits and hits[0].entry.prefix == "sched" and hits[0].tier == FUZZY
    assert index.search("print", 50)[0] == []
    assert index.search("xq", 50)[0] == []


def test_variants_from_choices_and_booleans(index) -> None:  # type: ignore[no-untyped-def]
    prefixes = {entry.prefix: entry for entry in index.entries}
    assert dict(prefixes["sched_plateau"].values) == {"kind": "plateau"}
    assert "sched_cosine" not in prefixes  # the default is the plain prefix
    assert dict(prefixes["seed_loader"].values) == {"loader": True}
    assert dict(prefixes["seed_no_deterministic"].values) == {"deterministic": False}
    assert slug("nearest-exact") == "nearest_exact" and slug("classifier[-1]") == "classifier_1"
    assert all(entry.prefix.isidentifier() for entry in index.entries)


@pytest.mark.parametrize(
    ("above", "quote"),
    [
        ("x = 1\n", None),
        ('"""doc\n', '"""'),
        ("'''a'''\ns = '''b\n", "'''"),
        ('x = "unclosed\ny = 2\n', None),
        ('s = """a\\"""b\n', '"""'),
        ('# """\n', None),
    ],
)
def test_open_string_at(above: str, quote: str | None) -> None:
    assert open_string_at(above) == quote


def test_unclosed_string_scan_is_linear() -> None:
    text = '"""\n' + "x = 'a' + \"b\"  # c\n" * 20000
    started = time.perf_counter()
    assert open_string_at(text) == '"""'
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    ("before", "open_quote", "inside"),
    [
        ('x = "se', None, True),
        ('x = "a" + se', None, False),
        ("# se", None, True),
        ('end""" + se', '"""', False),
        ("still se", '"""', True),
        ("f'{se", None, True),
    ],
)
def test_in_string_or_comment(before: str, open_quote: str | None, inside: bool) -> None:
    assert in_string_or_comment(before, open_quote) is inside


def test_cache_reuses_unchanged_files_and_reloads_edited_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCHPEEK_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "s.yaml"
    text = (Path(__file__).parents[1] / "data" / "snippets" / "good.yaml").read_text()
    source.write_text(text)
    calls: list[Path] = []

    def load(path: Path):  # type: ignore[no-untyped-def]
        calls.append(path)
        return _load_file(path)

    first = cached_load(source, load)
    second = cached_load(source, load)
    assert len(calls) == 1 and first == second and first[0]
    source.write_text(text + "\n# edited\n")
    cached_load(source, load)
    assert len(calls) == 2
    monkeypatch.setenv("TORCHPEEK_CACHE_DIR", "off")
    cached_load(source, load)
    assert len(calls) == 3
