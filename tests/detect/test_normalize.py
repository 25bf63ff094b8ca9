"""Normaliser properties: idempotence, offset maps, batch = single, documented folds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.detect.normalize import normalize, normalize_batch, normalize_text

TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(list("pedo PEDO.*_-@$!|0134 \u200b\u200d\ufe0f🧀🍕🗺️аеорсΡ𝗽ｐ")),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_offset_map_monotone_and_in_range(text: str) -> None:
    n = normalize(text)
    assert len(n.starts) == len(n.ends) == len(n.text)
    if len(n.text):
        assert (n.starts >= 0).all() and (n.ends <= len(text)).all()
        assert (n.starts < n.ends).all()
        assert (np.diff(n.starts) >= 0).all() and (np.diff(n.ends) >= 0).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, max_size=6))
def test_batch_equals_single(texts: list[str]) -> None:
    b = normalize_batch(texts)
    assert b.rows() == [normalize_text(t) for t in texts] if texts else b.text == ""
    for r, t in enumerate(texts):
        single = normalize(t)
        row = b.row(r)
        assert row.text == single.text
        assert row.starts.tolist() == single.starts.tolist() and row.ends.tolist() == single.ends.tolist()


def test_documented_folds() -> None:
    assert normalize_text("P3D0") == "pedo"  # case + leet digits
    assert normalize_text("р.е.d.о") == "pedo"  # Cyrillic homoglyphs + separators
    assert normalize_text("ｐｅｄｏ") == "pedo"  # fullwidth (compatibility decomposition)
    assert normalize_text("𝗽𝗲𝗱𝗼") == "pedo"  # mathematical bold
    assert normalize_text("p\u200be\u200dd\u00ado") == "pedo"  # zero-width, joiner, soft hyphen
    assert normalize_text("p e d o") == "pedo"  # spaced letters
    assert normalize_text("peeedooo") == "pedo"  # repeated letters
    assert normalize_text("p!zza") == "piza"  # leet symbol between letters
    assert normalize_text("hi! @you") == "hi you"  # ... deleted elsewhere
    assert normalize_text("Café") == "cafe"  # accents dropped
    assert normalize_text("🧀🍕") == ":chesewedge::piza:"  # emoji names from the emoji library
    assert normalize_text("🗺️") == normalize_text("🗺")  # variation selector dropped


def test_spans_point_at_original() -> None:
    text = "xx р.е.d.о yy"
    n = normalize(text)
    i = n.text.index("pedo")
    s, e = n.span(i, i + 4)
    assert text[s:e] == "р.е.d.о"
