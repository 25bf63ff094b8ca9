"""The lexicon's screen and its whole-array hit assembly: Hyperscan and pyahocorasick
flag the same rows, the screen never loses a hit, and the vectorised boundary check
and de-duplication keep their rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.detect.lexicon import Lexicon, load_lexicon
from firebreak.detect.lexicon_hits import BOUNDARY_CODES, bounded, code_points, word_mask
from firebreak.detect.screen import Screen, hyperscan_available

LEX = load_lexicon()
TERMS = sorted({t.text for t in LEX.terms})
PIECES = ["", " ", "x", "#", ".", "a b ", "é", "🍕", "\u200b", "p e d o ", "psa ", "according to ", "Ω", "ｆ", "\x00", "\n"]
TEXT = st.lists(st.one_of(st.sampled_from(PIECES), st.sampled_from(TERMS), st.text(max_size=6)), max_size=6).map("".join)
needs_hs = pytest.mark.skipif(not hyperscan_available(), reason="hyperscan is not installed")


@needs_hs
@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=12))
def test_hyperscan_and_aho_screens_flag_the_same_rows(texts: list[str]) -> None:
    keys = LEX.norm_keys
    assert Screen(keys, "hyperscan").rows(texts).tolist() == Screen(keys, "aho").rows(texts).tolist()


@needs_hs
@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=12))
def test_both_engines_give_the_same_hits(texts: list[str]) -> None:
    aho = Lexicon(LEX.terms, LEX.contexts, LEX.versions, screen_engine="aho")
    hs = Lexicon(LEX.terms, LEX.contexts, LEX.versions, screen_engine="hyperscan")
    assert aho.match_batch(texts).equals(hs.match_batch(texts))
    a_hits, a_ctx = aho.match_batch_with_context(texts)
    h_hits, h_ctx = hs.match_batch_with_context(texts)
    assert a_hits.equals(h_hits) and a_ctx.equals(h_ctx)


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=12))
def test_screen_rows_contain_every_row_with_a_hit(texts: list[str]) -> None:
    exact = LEX._finish(*LEX._collect(texts))
    assert set(exact["row"].to_list()) <= set(LEX.candidates(texts).tolist())


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown screen engine"):
        Screen(["a"], "regex")


def test_empty_inputs() -> None:
    assert Screen([], "aho").rows(["anything"]).tolist() == []
    assert Screen(["pedo"], "aho").rows([]).tolist() == []
    assert LEX.match_batch([]).height == 0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab1 .é\n", max_size=20), st.data())
def test_vectorised_boundaries_agree_with_the_scalar_rule(text: str, data: st.DataObject) -> None:
    if not text:
        return
    s = data.draw(st.integers(0, len(text) - 1))
    e = data.draw(st.integers(s + 1, len(text)))
    boundary = data.draw(st.sampled_from(sorted(BOUNDARY_CODES)))
    import numpy as np

    got = bounded(word_mask(code_points(text)), np.array([s]), np.array([e]), np.array([BOUNDARY_CODES[boundary]], dtype=np.int8))
    assert bool(got[0]) == Lexicon._bounded(text, s, e, boundary)


@settings(max_examples=150, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=8))
def test_finished_hits_keep_the_dedup_and_context_rules(texts: list[str]) -> None:
    frame = LEX.match_batch_with_context(texts)[0]
    weight = {(t.text, t.family): t.weight for t in LEX.terms}
    assert frame.select("row", "term", "start", "end").is_duplicated().sum() == 0
    for row, term, family, _cat, form, s, e, w, _amb, _src, ctx in frame.iter_rows():
        # a hit never lies strictly inside a longer hit of its family in the same text
        same = frame.filter((frame["row"] == row) & (frame["family"] == family))
        assert not any(s2 <= s and e <= e2 and e2 - s2 > e - s for s2, e2 in same.select("start", "end").iter_rows())
        # context only ever lowers a weight, and is named exactly when it did
        assert w <= weight[term, family]
        assert (ctx is not None) == (w < weight[term, family])
        assert form in ("raw", "normalised")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", "B", " ", "é", "\u0301", "\u200b", "\ufe0f", "🍕", "🧀", "ﬁ", "Ⅻ", "①", "\x00", "ß", "İ"]), max_size=40))
def test_sparse_expansion_equals_the_full_one(text: str) -> None:
    import numpy as np

    from firebreak.detect.normalize import _expand, _expand_sparse, tables

    t = tables()
    a = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    for lengths in (t.length[a], t.length_sep[a]):
        assert np.array_equal(_expand_sparse(a, lengths, t), _expand(a, lengths, t, with_src=True)[0])
