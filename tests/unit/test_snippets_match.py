"""Fuzzy scoring and ranking of snippets."""

from __future__ import annotations

from pathlib import Path

from torchpeek.snippets import Snippet, fuzzy_score, load_database, rank_snippets


def test_non_subsequence_is_none() -> None:
    assert fuzzy_score("xyz", "tensor") is None
    assert fuzzy_score("toolong", "short") is None


def test_case_insensitive() -> None:
    assert fuzzy_score("DL", "dataloader") == fuzzy_score("dl", "dataloader")


def test_empty_query_matches_with_zero() -> None:
    assert fuzzy_score("", "anything") == 0


def test_exact_beats_prefix_beats_inner() -> None:
    exact = fuzzy_score("nchw", "nchw")
    prefix = fuzzy_score("nchw", "nchw-batch")
    inner = fuzzy_score("nchw", "to-nchw")
    assert exact is not None and prefix is not None and inner is not None
    assert exact > prefix > inner


def test_word_boundaries_beat_scattered_letters() -> None:
    boundary = fuzzy_score("tl", "train-loop")
    camel = fuzzy_score("dl", "DataLoader")
    scattered = fuzzy_score("tl", "bottle")
    flat = fuzzy_score("dl", "dataloader")
    assert boundary is not None and scattered is not None and boundary > scattered
    assert camel is not None and flat is not None and camel > flat


def test_consecutive_run_beats_gaps() -> None:
    run = fuzzy_score("opt", "xoptim")
    gaps = fuzzy_score("opt", "xoxpxt")
    assert run is not None and gaps is not None and run > gaps


def _db(data: Path) -> list[Snippet]:
    db = load_database([data / "builtin", data / "user"], include_builtin=False)
    return list(db.snippets.values())


def test_rank_prefers_prefix_matches_and_sorts(snippet_data: Path) -> None:
    ranked = rank_snippets("ob", _db(snippet_data))
    ids = [snippet.id for snippet, _ in ranked]
    assert ids[:2] == ["only-builtin", "only-b"]
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)


def test_prefix_weighs_more_than_title(snippet_data: Path) -> None:
    ranked = dict((s.id, score) for s, score in rank_snippets("mine", _db(snippet_data)))
    assert ranked["shared"] > 0
    assert "only-b" not in ranked


def test_empty_query_returns_everything_by_id(snippet_data: Path) -> None:
    snippets = _db(snippet_data)
    ranked = rank_snippets("", snippets)
    assert [s.id for s, _ in ranked] == sorted(s.id for s in snippets)
    assert {score for _, score in ranked} == {0}


def test_ties_are_broken_by_id(snippet_data: Path) -> None:
    snippets = _db(snippet_data)
    ranked = rank_snippets("o", snippets + snippets[:1])
    for (a, score_a), (b, score_b) in zip(ranked, ranked[1:], strict=False):
        if score_a == score_b:
            assert a.id <= b.id


def test_real_db_finds_something_for_its_own_prefixes() -> None:
    db = load_database()
    for snippet in list(db.snippets.values())[:20]:
        ranked = rank_snippets(snippet.prefixes[0], db.snippets.values())
        top_score = ranked[0][1]
        mine = next(score for s, score in ranked if s.id == snippet.id)
        assert mine == top_score
