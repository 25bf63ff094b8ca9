import numpy as np
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from firebreak.graph.ids import IdMap

ids_strategy = st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=60, unique=True)


@given(ids_strategy, st.data())
def test_encode_decode_round_trip(ids: list[str], data: st.DataObject) -> None:
    m = IdMap.from_ids(ids)
    assert m.n == len(ids)
    picks = data.draw(st.lists(st.sampled_from(ids), max_size=100))
    enc = m.encode(pl.Series(picks, dtype=pl.String))
    assert enc.dtype == np.int64
    assert m.decode(enc).to_list() == picks
    assert np.array_equal(m.encode(m.ids), np.arange(len(ids)))


@given(ids_strategy, st.lists(st.text(min_size=1, max_size=6), max_size=20))
def test_unknown_ids_get_missing(ids: list[str], others: list[str]) -> None:
    m = IdMap.from_ids(ids)
    enc = m.encode(pl.Series(others, dtype=pl.String))
    known = set(ids)
    assert [e == -1 for e in enc] == [o not in known for o in others]


def test_duplicates_keep_first_position() -> None:
    m = IdMap.from_ids(["x", "y", "x", "z"])
    assert m.ids.to_list() == ["x", "y", "z"]
    assert m.encode(["z", "x"]).tolist() == [2, 0]
