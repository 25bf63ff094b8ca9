"""Synthetic media: random hashes only, never images of anything.

The *bank* stands in for a list of known-material hashes (PDQ, 256 bits, and MD5,
128 bits), drawn at random. Sellers post hashes *near* bank PDQ entries (a few
bits flipped, within the industry match threshold of 31) or exact bank MD5s;
everyone else posts random hashes, which sit about 128 bits from any bank entry.
"""

from __future__ import annotations

import binascii

import numpy as np
import polars as pl


def to_hex(bits: np.ndarray) -> pl.Series:
    """Rows of a ``(n, bytes)`` uint8 array as lowercase hex strings."""
    n, width = bits.shape
    raw = binascii.hexlify(np.ascontiguousarray(bits, dtype=np.uint8).tobytes())
    return pl.Series(np.frombuffer(raw, dtype=f"S{2 * width}").astype(f"U{2 * width}"), dtype=pl.String)


def random_hashes(rng: np.random.Generator, n: int, nbytes: int) -> np.ndarray:
    """``n`` uniformly random hashes of ``nbytes`` bytes, as a uint8 array."""
    return rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)


def flip_bits(rng: np.random.Generator, hashes: np.ndarray, flips: np.ndarray) -> np.ndarray:
    """Copies of ``hashes`` with ``flips[i]`` distinct random bits flipped in row i."""
    n, nbytes = hashes.shape
    nbits = nbytes * 8
    # a random permutation of bit positions per row, flip the first flips[i]
    order = np.argsort(rng.random((n, nbits)), axis=1)
    take = np.arange(nbits)[None, :] < flips[:, None]
    bitmask = np.zeros((n, nbits), dtype=np.uint8)
    np.put_along_axis(bitmask, order, take.astype(np.uint8), axis=1)
    return hashes ^ np.packbits(bitmask, axis=1)
