"""The hash index of account ids: the same dense indices as the Enum cast, for any ids and any queries."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import firebreak.hash_index as hash_index
from firebreak.graph.ids import IdMap
from firebreak.hash_index import HashIndex

keys_strategy = st.lists(st.text(max_size=8), min_size=1, max_size=300, unique=True)


def enum_codes(keys: list[str], queries: list[str | None]) -> np.ndarray:
    """The reference: Polars' cast to an Enum of the keys (null for anything else)."""
    codes = pl.Series(queries, dtype=pl.String).cast(pl.Enum(keys), strict=False).to_physical().cast(pl.Int32)
    return codes.fill_null(-1).to_numpy()


@settings(max_examples=200, deadline=None)
@given(keys_strategy, st.data())
def test_lookup_equals_the_enum_cast(keys: list[str], data: st.DataObject) -> None:
    index = HashIndex.build(pl.Series(keys, dtype=pl.String))
    assert index is not None
    queries = data.draw(st.lists(st.one_of(st.sampled_from(keys), st.text(max_size=8), st.none()), max_size=200))
    found = index.lookup(pl.Series(queries, dtype=pl.String))
    assert found.dtype == np.int32
    assert np.array_equal(found, enum_codes(keys, queries))


@pytest.mark.parametrize("n", [1, 2, 1000, 50_000])
def test_every_key_finds_itself_whatever_its_slot(n: int) -> None:
    keys = pl.Series([f"acct-{i:07d}" for i in range(n)])
    index = HashIndex.build(keys)
    assert index is not None
    if n >= 1000:  # a few keys collide in the first table and are found in a later one
        assert len(index.tables) > 1
    assert sum(int((t >= 0).sum()) for t in index.tables) == n
    assert np.array_equal(index.lookup(keys), np.arange(n))
    assert np.array_equal(index.lookup(keys.reverse()), np.arange(n)[::-1])


def test_chunks_and_missing_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hash_index, "CHUNK", 7)  # many chunks, the last one partial
    keys = [f"k{i}" for i in range(40)]
    queries = ["k3", None, "nobody", "k39", "", "k0"] * 9 + ["k12"]
    found = HashIndex.build(pl.Series(keys)).lookup(pl.Series(queries, dtype=pl.String))  # type: ignore[union-attr]
    assert np.array_equal(found, enum_codes(keys, queries))


def test_a_string_matching_only_the_slot_hash_is_not_found() -> None:
    """A false match needs the check hash to agree too: a key whose check hash is changed is no longer found."""
    keys = pl.Series(["alpha", "beta", "gamma"])
    index = HashIndex.build(keys)
    assert index is not None
    checks = index.checks.copy()
    checks[1] ^= np.uint64(1)
    tampered = HashIndex(index.hashes, checks, index.tables, index.multipliers, index.shift)
    assert tampered.lookup(keys).tolist() == [0, -1, 2]


def test_keys_sharing_a_hash_give_no_index() -> None:
    assert HashIndex.build(pl.Series(["same", "same"])) is None


def test_no_keys_find_nothing() -> None:
    index = HashIndex.build(pl.Series([], dtype=pl.String))
    assert index is not None
    assert index.lookup(pl.Series(["a", None, ""], dtype=pl.String)).tolist() == [-1, -1, -1]


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_id_map_uses_the_index_and_agrees_with_the_cast(dtype: type) -> None:
    rng = np.random.default_rng(3)
    ids = IdMap.from_ids([f"user{i}" for i in range(5000)])
    picks = rng.integers(0, 6000, size=70_000)  # ids above 4999 are unknown
    column = pl.Series([f"user{i}" for i in picks])
    via_index = ids.encode(column, dtype=dtype, missing=-7)
    assert ids.hash_index() is not None
    ids._index["ids"] = None  # as when two ids share a hash: the Enum cast
    via_cast = ids.encode(column, dtype=dtype, missing=-7)
    assert via_index.dtype == via_cast.dtype == dtype
    assert np.array_equal(via_index, via_cast)
    assert np.array_equal(via_index, np.where(picks < 5000, picks, -7))
