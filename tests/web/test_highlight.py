"""Highlighting matched spans: the segments always rebuild the text and mark exactly the matched characters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from firebreak.web.highlight import segments


@st.composite
def text_and_spans(draw: st.DrawFn) -> tuple[str, list[dict[str, object]]]:
    text = draw(st.text(min_size=0, max_size=60))
    n = len(text)
    spans = []
    for _ in range(draw(st.integers(0, 6))):
        a = draw(st.integers(-3, n + 3))
        b = draw(st.integers(-3, n + 3))
        spans.append({"start": a, "end": b, "term": "t", "category": "c"})
    return text, spans


@given(text_and_spans())
def test_segments_rebuild_the_text_and_mark_the_spans(case: tuple[str, list[dict[str, object]]]) -> None:
    text, spans = case
    segs = segments(text, spans)
    assert "".join(s.text for s in segs) == text
    marked = set()
    pos = 0
    for s in segs:
        if s.term is not None:
            marked |= set(range(pos, pos + len(s.text)))
        pos += len(s.text)
    expected = {i for sp in spans for i in range(max(0, int(sp["start"])), min(len(text), int(sp["end"])))}  # type: ignore[call-overload]
    assert marked == expected
    # no empty segments, and no two highlighted segments touch without a plain one between... unless merged
    assert all(s.text for s in segs)


def test_example() -> None:
    segs = segments("menu and cheesepizza", [{"start": 0, "end": 4, "term": "menu", "category": "menu_price"},
                                             {"start": 9, "end": 20, "term": "cheesepizza", "category": "coded_term"}])
    assert [(s.text, s.term) for s in segs] == [("menu", "menu"), (" and ", None), ("cheesepizza", "cheesepizza")]
