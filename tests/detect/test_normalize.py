"""Normaliser properties: idempotence, offset maps, batch = single, documented folds."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from firebreak.detect.normalize import (
    fold_numerals,
    fold_numerals_batch,
    fold_numerals_expr,
    normalize,
    normalize_batch,
    normalize_text,
)

TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(list("pedo PEDO.*_-@$!|0134 \u200b\u200d\ufe0f\u20e3🧀🍕🗺️🔟⑮аеорсΡ𝗽ｐ")),
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


# ---------------------------------------------------------------- spaced letters, numerals

KEYCAPS = [f"{d}\ufe0f\u20e3" for d in "0123456789"] + [f"{d}\u20e3" for d in "0123456789"]
NUMERAL_TEXT = st.lists(
    st.one_of(
        st.sampled_from(KEYCAPS + ["🔟", "⑮", "⓮", "➓", "¹", "⁵", "𝟭", "𝟱", "１", "٣", "\ufe0f", "\u20e3", "↩️"]),
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4),
        st.sampled_from(["on chapter ", "age ", " ", "p e d o ", "bait", "x"]),
    ),
    max_size=10,
).map("".join)


def test_spaced_letters_join_the_word_after_a_run() -> None:
    assert normalize_text("p e d o bait") == "pedobait"
    assert normalize_text("P.E.D.O bait") == "pedo bait"  # dotted letters already form one word
    assert normalize_text("p e d o  bait!") == "pedobait"
    assert normalize_text("a b word") == "ab word"  # a run of two stays on its own
    assert normalize_text("i am fine") == "i am fine"
    n = normalize("see p e d o bait now")
    i = n.text.index("pedobait")
    s, e = n.span(i, i + len("pedobait"))
    assert "see p e d o bait now"[s:e] == "p e d o bait"


def test_keycap_and_emoji_numerals() -> None:
    assert normalize_text("1️⃣5️⃣") == normalize_text("15")
    assert normalize_text("🔟") == normalize_text("10")
    assert fold_numerals("on chapter 1️⃣4️⃣").text == "on chapter 14"
    assert fold_numerals("age ⑮, 𝟭𝟯 or ¹²").text == "age 15, 13 or 12"
    assert fold_numerals("🔟 and 1⃣3⃣").text == "10 and 13"
    assert fold_numerals("31↩️ 🍕").text == "31↩️ 🍕"  # everything else kept
    f = fold_numerals("x 1️⃣4️⃣")
    assert f.span(2, 4) == (2, 8)


@settings(max_examples=200, deadline=None)
@given(NUMERAL_TEXT)
def test_fold_numerals_properties(text: str) -> None:
    f = fold_numerals(text)
    assert len(f.starts) == len(f.ends) == len(f.text)
    if len(f.text):
        assert (f.starts >= 0).all() and (f.ends <= len(text)).all() and (f.starts < f.ends).all()
        assert (np.diff(f.starts) >= 0).all()
    assert fold_numerals(f.text).text == f.text  # idempotent
    import polars as pl

    via_expr = pl.DataFrame({"t": [text]}, schema={"t": pl.String}).select(fold_numerals_expr(pl.col("t"))).item()
    assert via_expr == f.text


@settings(max_examples=100, deadline=None)
@given(st.lists(NUMERAL_TEXT, max_size=5))
@example(["0\u20e3", "\u20e3"])  # a keycap mark starting a row is not the end of the previous row's run
def test_fold_numerals_batch_equals_single(texts: list[str]) -> None:
    b = fold_numerals_batch(texts)
    for r, t in enumerate(texts):
        one = fold_numerals(t)
        assert b.row(r).text == one.text and b.row(r).starts.tolist() == one.starts.tolist()


@settings(max_examples=300, deadline=None)
@given(NUMERAL_TEXT)
def test_idempotent_and_in_range_with_spaced_runs_and_keycaps(text: str) -> None:
    n = normalize(text)
    assert normalize_text(n.text) == n.text
    if len(n.text):
        assert (n.starts >= 0).all() and (n.ends <= len(text)).all() and (n.starts < n.ends).all()
