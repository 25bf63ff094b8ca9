"""The simulator's vocabulary: obfuscations, novel terms, vectorised picks."""

from __future__ import annotations

import unicodedata

import numpy as np
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from firebreak.lab.sim import vocabulary as V

_UNLEET = str.maketrans({"4": "a", "3": "e", "1": "i", "0": "o", "5": "s", "7": "t"})
_UNGLYPH = str.maketrans({"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "і": "i", "х": "x"})


def fold(text: str) -> str:
    """A minimal reference normaliser: NFKC, drop zero-width and separators, undo leet and glyphs."""
    text = unicodedata.normalize("NFKC", text).replace("\u200b", "")
    text = text.translate(_UNGLYPH).translate(_UNLEET)
    return "".join(ch for ch in text if ch not in "._-*")


def test_known_vocabulary_is_documented_and_non_empty():
    assert len(V.known_terms()) >= 10
    for table in (V.KNOWN_HASHTAGS, V.KNOWN_EMOJI, V.KNOWN_PHRASES):
        assert all(source.strip() for source in table.values())


def test_every_obfuscation_differs_and_most_fold_back():
    for term in V.KNOWN_HASHTAGS:
        variants = V.obfuscations(term)
        assert len(variants) >= 4 and term not in variants
        folded = [fold(v) for v in variants]
        # leetspeak, homoglyph, separator and zero-width forms fold back; mutations and emoji do not
        assert sum(f == term for f in folded) >= 3, (term, variants)


@given(word=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=14))
def test_obfuscations_of_any_word_fold_back_or_mutate(word):
    for v in V.obfuscations(word):
        f = fold(v)
        assert f == word or len(f) == len(word) + 1 or not f.isascii()


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30))
def test_novel_terms_are_distinct_pronounceable_and_new(seed, n):
    avoid = set(V.known_terms()) | {"banana"}
    terms = V.novel_terms(np.random.default_rng(seed), n, avoid)
    assert len(terms) == len(set(terms)) == n
    assert all(t.isascii() and t.isalpha() and t.islower() and len(t) >= 6 for t in terms)
    assert not set(terms) & avoid


def test_pick_and_gather_are_vectorised_lookups():
    rng = np.random.default_rng(1)
    picked = V.pick(rng, ("a", "b", "c"), 1_000)
    assert picked.dtype == pl.String and set(picked) == {"a", "b", "c"}
    assert V.gather(["x", "y"], np.array([1, 0, 1])).to_list() == ["y", "x", "y"]
    tokens = V.random_tokens(rng, 50, 10)
    assert tokens.str.contains("^[a-z0-9]{10}$").all()
    kept = V.maybe_list(pl.Series(["u", "v"]), np.array([True, False]))
    assert kept.to_list() == [["u"], []]
    assert V.maybe(pl.Series(["u", "v"]), np.array([False, True])).to_list() == [None, "v"]


def test_community_topics_give_each_community_its_own_hashtags():
    teen = np.zeros(150, bool)
    teen[:20] = True
    names, tags = V.community_topics(np.random.default_rng(0), 150, teen)
    assert len(set(names)) == 150
    assert all(len(t) == 4 and t[0] == n for n, t in zip(names, tags, strict=True))
    assert all(n.rstrip("0123456789") in V.TEEN_TOPICS for n in names[:20])
