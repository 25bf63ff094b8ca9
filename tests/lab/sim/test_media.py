"""Synthetic hashes: bit flips land at the asked distance, hex round-trips."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from firebreak.detect.media.hamming import hamming
from firebreak.lab.sim.media import flip_bits, random_hashes, to_hex


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), nbytes=st.sampled_from([16, 32]))
def test_flip_bits_moves_each_hash_exactly_the_asked_distance(seed, n, nbytes):
    rng = np.random.default_rng(seed)
    hashes = random_hashes(rng, n, nbytes)
    flips = rng.integers(0, nbytes * 8 + 1, n)
    flipped = flip_bits(rng, hashes, flips)
    assert (hamming(hashes, flipped) == flips).all()


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), nbytes=st.sampled_from([16, 32]))
def test_hex_round_trips(seed, n, nbytes):
    hashes = random_hashes(np.random.default_rng(seed), n, nbytes)
    text = to_hex(hashes)
    assert text.str.len_chars().to_list() == [2 * nbytes] * n
    assert text.str.contains("^[0-9a-f]+$").all()
    decoded = np.frombuffer(bytes.fromhex("".join(text.to_list())), dtype=np.uint8).reshape(n, nbytes)
    assert (decoded == hashes).all()
    assert text[0] == hashes[0].tobytes().hex()


def test_random_hashes_sit_far_from_each_other():
    rng = np.random.default_rng(0)
    a, b = random_hashes(rng, 2_000, 32), random_hashes(rng, 2_000, 32)
    assert hamming(a, b).min() > 31  # random PDQs never match by accident
