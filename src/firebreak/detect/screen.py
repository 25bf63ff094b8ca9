"""The lexicon's first pass: which rows of a batch may hold a hit at all.

:func:`~firebreak.detect.normalize.screen_batch_utf8` gives a cheap, offset-free
normalisation of the whole batch; a multi-literal matcher of the lexicon's
normalised keys scans it once, and every row with a match (or with spaced-out
letters, which the screen does not join) is a candidate for the exact passes.

The matcher is Hyperscan (Intel's SIMD multi-pattern engine, the ``hyperscan``
package) where it is installed, else a ``pyahocorasick`` automaton; both report
the same rows (tests check it), Hyperscan many times faster on large lexicons.
"""

from __future__ import annotations

from itertools import compress
from typing import Any

import numpy as np

from firebreak.detect.lexicon_hits import automaton_matches
from firebreak.detect.normalize import screen_batch_utf8

__all__ = ["Screen", "hyperscan_available"]


def _hyperscan() -> Any:
    try:
        import hyperscan
    except ImportError:  # pragma: no cover - a platform without the wheel
        return None
    return hyperscan


def hyperscan_available() -> bool:
    """Whether the Hyperscan matcher can be used here."""
    return _hyperscan() is not None


class Screen:
    """A multi-literal matcher of ``keys`` over screened batches.

    ``engine``: ``"auto"`` (Hyperscan if installed), ``"hyperscan"`` or ``"aho"``.
    The matcher is compiled on first use.
    """

    def __init__(self, keys: list[str], engine: str = "auto") -> None:
        if engine not in ("auto", "hyperscan", "aho"):
            raise ValueError(f"unknown screen engine {engine!r}")
        if engine == "hyperscan" and not hyperscan_available():
            raise ValueError("the hyperscan package is not installed")
        self.keys = sorted(set(k for k in keys if k))
        self.engine = "hyperscan" if engine == "hyperscan" or (engine == "auto" and hyperscan_available()) else "aho"
        self._matcher: Any = None

    def __len__(self) -> int:
        return len(self.keys)

    def _compiled(self) -> Any:
        if self._matcher is None:
            if self.engine == "hyperscan":
                hs = _hyperscan()
                db = hs.Database(mode=hs.HS_MODE_BLOCK)
                db.compile(expressions=[k.encode("utf-8") for k in self.keys], ids=list(range(len(self.keys))), flags=0, literal=True)
                self._matcher = (db, hs.Scratch(db))
            else:
                import ahocorasick

                auto = ahocorasick.Automaton(ahocorasick.STORE_INTS)
                for k in self.keys:
                    auto.add_word(k.encode("utf-8").decode("latin-1"), 0)
                auto.make_automaton()
                self._matcher = auto
        return self._matcher

    def match_ends(self, data: bytes) -> np.ndarray:
        """Byte offsets just past every key occurrence in ``data`` (UTF-8)."""
        if not self.keys:
            return np.zeros(0, dtype=np.int64)
        m = self._compiled()
        if self.engine == "hyperscan":
            ends: list[int] = []
            push = ends.append

            def on_match(_id: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
                push(end)

            m[0].scan(data, match_event_handler=on_match, scratch=m[1])
            return np.asarray(ends, dtype=np.int64)
        # pyahocorasick matches str: latin-1 maps each byte to one character
        return automaton_matches(m, data.decode("latin-1"))[0] + 1

    def rows(self, texts: list[str]) -> np.ndarray:
        """Sorted indices of the rows of ``texts`` that may hold a key."""
        n = len(texts)
        if not n or not self.keys:
            return np.zeros(0, dtype=np.int64)
        # ASCII rows apart: they take the screen's byte-level path
        isascii = np.fromiter(map(str.isascii, texts), dtype=bool, count=n)
        out = []
        for mask in (isascii, ~isascii):
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            sub = texts if len(idx) == n else list(compress(texts, mask.tolist()))
            data, seps, spaced = screen_batch_utf8(sub)
            ends = self.match_ends(data)
            rows = np.searchsorted(seps, ends - 1) - 1 if len(ends) else ends
            out.append(idx[np.unique(np.concatenate([rows, spaced]).astype(np.int64))])
        return np.unique(np.concatenate(out))
