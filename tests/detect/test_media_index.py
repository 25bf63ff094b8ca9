"""The fast PDQ index against the brute-force reference (generated inputs and Meta's vectors)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firebreak.detect.media.hamming import (
    brute_force_range_search,
    codes_to_hex,
    hamming,
    hex_to_codes,
)
from firebreak.detect.media.index import (
    PDQIndex,
    balanced_permutation,
    bit_probabilities,
    choose_bits,
    radii,
)
from firebreak.errors import BankError
from tests.shared_data import shared_path

TESTDATA = shared_path("testdata", "pdq")


def _flip(codes: np.ndarray, flips: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Copies of ``codes`` with ``flips[i]`` distinct random bits flipped in row i."""
    bits = np.unpackbits(codes, axis=1)
    for row, k in enumerate(flips):
        bits[row, rng.choice(256, size=int(k), replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def _same(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_brute_force_matches_python_integer_popcount() -> None:
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 256, size=(40, 32), dtype=np.uint8)
    queries = _flip(codes[:10], rng.integers(0, 60, size=10), rng)
    q, i, d = brute_force_range_search(codes, queries, 40)
    expected = [
        (qi, ci, bin(int(queries[qi].tobytes().hex(), 16) ^ int(codes[ci].tobytes().hex(), 16)).count("1"))
        for qi in range(10)
        for ci in range(40)
    ]
    expected = [e for e in expected if e[2] <= 40]
    assert list(zip(q.tolist(), i.tolist(), d.tolist())) == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 400),
    threshold=st.integers(0, 48),
    bits=st.sampled_from([None, 6, 8, 11, 16, 20]),
)
def test_index_agrees_with_brute_force(seed: int, n: int, threshold: int, bits: int | None) -> None:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    if n:
        # near-duplicates inside the bank too, so one query matches several entries
        codes[n // 2 :] = _flip(codes[: n - n // 2], rng.integers(0, 40, size=n - n // 2), rng)
        near = _flip(codes[rng.integers(0, n, size=30)], rng.integers(0, 48, size=30), rng)
    else:
        near = np.zeros((0, 32), np.uint8)
    queries = np.vstack([near, rng.integers(0, 256, size=(10, 32), dtype=np.uint8)])
    index = PDQIndex.build(codes, bits=bits)
    assert _same(index.search(queries, threshold, batch=7), brute_force_range_search(codes, queries, threshold))


def test_exact_at_every_distance_up_to_31_on_flipped_bits() -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 256, size=(5000, 32), dtype=np.uint8)
    picks = np.repeat(np.arange(32), 4)
    queries = _flip(codes[picks], np.tile(np.arange(32), 4), rng)  # 0..31 flips of a bank entry
    q, i, d = PDQIndex.build(codes).search(queries, 31)
    found = set(zip(q.tolist(), i.tolist()))
    assert all((row, int(picks[row])) in found for row in range(len(picks)))
    assert np.array_equal(d, hamming(queries[q], codes[i]))


@given(st.integers(1, 40), st.integers(0, 80))
def test_radii_satisfy_the_pigeonhole_bound(tables: int, threshold: int) -> None:
    r = radii(tables, threshold)
    assert len(r) == tables
    assert sum(x + 1 for x in r) == threshold + 1
    assert max(r) - min(r) <= 1


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=50))
def test_hex_round_trip(raw: list[bytes]) -> None:
    hexes = pl.Series([b.hex() for b in raw], dtype=pl.String)
    codes = hex_to_codes(hexes)
    assert codes.shape == (len(raw), 32)
    assert codes_to_hex(codes).to_list() == hexes.to_list()


def test_choose_bits_grows_with_bank_size() -> None:
    sizes = [10, 1_000, 100_000, 10_000_000]
    chosen = [choose_bits(n) for n in sizes]
    assert chosen == sorted(chosen)
    assert all(8 <= b <= 24 for b in chosen)


def test_save_and_reload_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    codes = rng.integers(0, 256, size=(3000, 32), dtype=np.uint8)
    queries = _flip(codes[:50], rng.integers(0, 32, size=50), rng)
    index = PDQIndex.build(codes)
    assert index.perm is None  # uniformly random bits are balanced in order: no permutation
    index.save(tmp_path / "idx")
    reloaded = PDQIndex.load(tmp_path / "idx")
    assert isinstance(reloaded.codes, np.memmap)
    assert len(reloaded) == 3000
    assert _same(reloaded.search(queries), index.search(queries))
    assert _same(PDQIndex.load(tmp_path / "idx", mmap=False).search(queries), index.search(queries))


def _skewed_bank(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes whose bit i is set with probability p_i ~ Beta(0.5, 0.5), a quarter of bits fixed, with near-duplicates."""
    p = rng.beta(0.5, 0.5, size=256)
    p[rng.choice(256, size=64, replace=False)] = rng.integers(0, 2, size=64)
    codes = np.packbits(rng.random((n, 256)) < p, axis=1)
    codes[n // 2 :] = _flip(codes[: n - n // 2], rng.integers(0, 21, size=n - n // 2), rng)
    return codes, p


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), threshold=st.integers(0, 40), bits=st.sampled_from([None, 8, 12, 16]))
def test_index_agrees_with_brute_force_on_unbalanced_bits(seed: int, threshold: int, bits: int | None) -> None:
    rng = np.random.default_rng(seed)
    codes, p = _skewed_bank(rng, 600)
    near = _flip(codes[rng.integers(0, 600, size=40)], rng.integers(0, 32, size=40), rng)
    queries = np.vstack([near, np.packbits(rng.random((20, 256)) < p, axis=1)])
    index = PDQIndex.build(codes, bits=bits)
    assert index.perm is not None
    assert _same(index.search(queries, threshold, batch=16), brute_force_range_search(codes, queries, threshold))


def test_balanced_permutation_evens_out_table_entropy() -> None:
    rng = np.random.default_rng(5)
    codes, _ = _skewed_bank(rng, 4000)
    words = codes.view(np.uint64)
    p = np.clip(bit_probabilities(words), 1e-12, 1 - 1e-12)
    entropy = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    perm = balanced_permutation(bit_probabilities(words), 16)
    assert sorted(perm.tolist()) == list(range(256))
    balanced = entropy[perm].reshape(16, 16).sum(axis=1)
    in_order = entropy.reshape(16, 16).sum(axis=1)
    assert balanced.max() - balanced.min() < 0.5 * (in_order.max() - in_order.min())
    assert balanced.min() > in_order.min()
    # the probabilities are per key position: bit 0 of a key is the top bit of the first uint64 word
    top = (words[:, 0] >> np.uint64(63)).mean()
    assert bit_probabilities(words)[0] == pytest.approx(top)


def test_saved_permutation_round_trips_and_version_1_folders_still_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(13)
    codes, _ = _skewed_bank(rng, 2000)
    queries = _flip(codes[:40], rng.integers(0, 32, size=40), rng)
    index = PDQIndex.build(codes)
    index.save(tmp_path / "v2")
    reloaded = PDQIndex.load(tmp_path / "v2")
    assert reloaded.perm is not None and index.perm is not None
    assert np.array_equal(reloaded.perm, index.perm)
    assert _same(reloaded.search(queries), index.search(queries))
    plain = PDQIndex.build(codes, balance=False)  # version 1 wrote no permutation: bits cut in order
    plain.save(tmp_path / "v1")
    meta = json.loads((tmp_path / "v1" / "index.json").read_text())
    (tmp_path / "v1" / "index.json").write_text(json.dumps({**meta, "version": 1}))
    (tmp_path / "v1" / "perm.npy").unlink()
    assert _same(PDQIndex.load(tmp_path / "v1").search(queries), brute_force_range_search(codes, queries, 31))
    np.save(tmp_path / "v2" / "perm.npy", np.zeros(256, np.int16))
    with pytest.raises(BankError, match="not a permutation"):
        PDQIndex.load(tmp_path / "v2")


def test_load_rejects_a_folder_that_is_not_an_index(tmp_path: Path) -> None:
    with pytest.raises(BankError, match="cannot read the saved PDQ index"):
        PDQIndex.load(tmp_path)
    (tmp_path / "index.json").write_text('{"format": "other", "version": 1}')
    with pytest.raises(BankError, match="not a firebreak PDQ index"):
        PDQIndex.load(tmp_path)


@pytest.mark.skipif(not (TESTDATA / "needles.txt").is_file(), reason="shared PDQ test vectors absent")
@pytest.mark.parametrize("threshold", [0, 10, 31, 45])
def test_needles_and_haystack_reference_vectors(threshold: int) -> None:
    def read(name: str) -> np.ndarray:
        lines = [ln.strip() for ln in (TESTDATA / name).read_text().splitlines() if ln.strip()]
        return hex_to_codes(pl.Series(lines))

    haystack, needles = read("haystack.txt"), read("needles.txt")
    expected = brute_force_range_search(haystack, needles, threshold)
    got = PDQIndex.build(haystack).search(needles, threshold)
    assert _same(got, expected)
    if threshold == 31:
        assert len(expected[0]) >= len(needles)  # every needle has a near-duplicate in the haystack
