"""PDQ hashes as packed bits, and the brute-force reference matcher.

A PDQ hash is 256 bits, written as 64 hex digits (most significant bit first).
Inside Firebreak a set of N hashes is a ``uint8[N, 32]`` array ("codes"), the
hex digits decoded in one vectorised step. :func:`brute_force_range_search` is
the reference every fast index is tested against (the python-threatexchange
pattern: each signal type ships a brute-force matcher and the index must agree).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

PDQ_BITS = 256
PDQ_BYTES = 32
PDQ_HEX = 64
MD5_HEX = 32
#: PDQ's confident-match threshold: distance <= 31 of 256 bits.
DEFAULT_DISTANCE = 31
#: the reference discards hashes of quality below this (PdqSignal.QUALITY_THRESHOLD).
QUALITY_THRESHOLD = 50

Matches = tuple[np.ndarray, np.ndarray, np.ndarray]
"""``(query_row, index_id, distance)``: three equal-length int64/int64/int32 arrays."""


def hex_to_codes(hashes: pl.Series | Sequence[str]) -> np.ndarray:
    """Decode 64-hex PDQ strings (already validated) into ``uint8[N, 32]``.

    The column is joined into one string and decoded by one ``bytes.fromhex``
    call: no Python loop over rows.
    """
    series = hashes if isinstance(hashes, pl.Series) else pl.Series(list(hashes), dtype=pl.String)
    if series.len() == 0:
        return np.zeros((0, PDQ_BYTES), dtype=np.uint8)
    joined = series.str.join("").item()
    raw = bytes.fromhex(joined)
    if len(raw) != series.len() * PDQ_BYTES:
        raise ValueError("hex_to_codes expects 64-hex PDQ hashes only")
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, PDQ_BYTES)


def codes_to_hex(codes: np.ndarray) -> pl.Series:
    """Encode ``uint8[N, 32]`` codes back to a Series of 64-hex lower-case strings."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, PDQ_BYTES)
    text = np.frombuffer(codes.tobytes().hex().encode("ascii"), dtype=f"S{PDQ_HEX}")
    return pl.Series("pdq", text, dtype=pl.Binary).cast(pl.String)


def as_words(codes: np.ndarray) -> np.ndarray:
    """View ``uint8[N, 32]`` codes as ``uint64[N, 4]`` (no copy when contiguous)."""
    return np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, PDQ_BYTES).view(np.uint64)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Hamming distance between two broadcastable ``uint8[..., 32]`` arrays."""
    x = np.bitwise_xor(np.asarray(a, dtype=np.uint8), np.asarray(b, dtype=np.uint8))
    return np.asarray(np.bitwise_count(x).sum(axis=-1, dtype=np.int32))


def brute_force_range_search(
    codes: np.ndarray, queries: np.ndarray, threshold: int = DEFAULT_DISTANCE, *, pairs: int = 1 << 21
) -> Matches:
    """The reference matcher: every (query, hash) pair within ``threshold`` bits.

    Compares each query with every code (XOR + popcount over uint64 words),
    about ``pairs`` (query, code) pairs at a time so memory stays bounded. Returns
    ``(query_row, index_id, distance)`` sorted by query row, then id.
    """
    words = as_words(codes)
    qwords = as_words(queries)
    out_q: list[np.ndarray] = []
    out_i: list[np.ndarray] = []
    out_d: list[np.ndarray] = []
    chunk = max(1, pairs // max(1, qwords.shape[0]))
    for start in range(0, words.shape[0], chunk):
        block = words[start : start + chunk]
        dist = np.bitwise_count(qwords[:, None, :] ^ block[None, :, :]).sum(axis=-1, dtype=np.int32)
        qi, ci = np.nonzero(dist <= threshold)
        out_q.append(qi.astype(np.int64))
        out_i.append(ci.astype(np.int64) + start)
        out_d.append(dist[qi, ci])
    if not out_q:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
    q, i, d = np.concatenate(out_q), np.concatenate(out_i), np.concatenate(out_d)
    order = np.lexsort((i, q))
    return q[order], i[order], d[order]
