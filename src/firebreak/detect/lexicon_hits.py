"""Vectorised assembly of lexicon hits, from automaton matches to the hits frame.

The automatons (:mod:`firebreak.detect.lexicon`) report each match as ``(end, key
index)``; everything after that is whole-array work here, so the per-hit cost is
a few NumPy and Polars operations over all the batch's hits at once:

- :class:`KeyTable` expands key matches into term matches (one key can stand
  for several terms) and context matches;
- :func:`word_mask` / :func:`bounded` check word boundaries;
- :func:`finish` de-duplicates (a normalised hit repeating a raw hit of the same
  family at the same span is dropped), drops hits inside a longer hit of the same
  family, applies context rules and returns the rows of ``HIT_SCHEMA``.

A batch of hits is a :class:`HitArrays` (columns ``row, term, form, start,
end``; ``form`` 0 = raw, 1 = normalised); context found in a row is a pair of
arrays ``(row, rule)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import polars as pl

from firebreak.detect.normalize import tables

__all__ = ["HIT_SCHEMA", "RAW", "NORMALISED", "BOUNDARY_CODES", "HitArrays", "KeyTable", "TermTable", "WordMask", "automaton_matches", "bounded", "code_points", "finish", "word_mask"]

RAW, NORMALISED = 0, 1
#: a term family's ``boundary`` as an integer code.
BOUNDARY_CODES = {"word": 0, "start": 1, "none": 2}
_I64 = np.int64

#: columns of :meth:`~firebreak.detect.lexicon.Lexicon.match_batch`'s frame.
HIT_SCHEMA = pl.Schema(
    {
        "row": pl.Int64,
        "term": pl.String,
        "family": pl.String,
        "category": pl.String,
        "form": pl.String,
        "start": pl.Int64,
        "end": pl.Int64,
        "weight": pl.Float64,
        "ambiguous": pl.Boolean,
        "source": pl.String,
        "context": pl.String,
    }
)


@dataclass(frozen=True, slots=True)
class HitArrays:
    """Term occurrences before de-duplication, one entry per occurrence."""

    row: np.ndarray
    term: np.ndarray
    form: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @staticmethod
    def empty() -> HitArrays:
        """No hits."""
        z = np.zeros(0, dtype=_I64)
        return HitArrays(z, z, z, z, z)

    @staticmethod
    def concat(parts: list[HitArrays]) -> HitArrays:
        """The hits of every part, in order."""
        parts = [p for p in parts if len(p.row)]
        if not parts:
            return HitArrays.empty()
        return HitArrays(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("row", "term", "form", "start", "end")))

    def remap_rows(self, rows: np.ndarray) -> HitArrays:
        """The same hits with ``row`` replaced by ``rows[row]`` (a screened batch's rows back to the caller's)."""
        return HitArrays(rows[self.row], self.term, self.form, self.start, self.end)


def _csr(lists: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=_I64)
    np.cumsum([len(x) for x in lists], out=ptr[1:])
    flat = np.fromiter(chain.from_iterable(lists), dtype=_I64, count=int(ptr[-1]))
    return ptr, flat


def _expand(ptr: np.ndarray, flat: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each entry of ``keys``, one pair per item of its list: ``(entry index, item)``."""
    counts = ptr[keys + 1] - ptr[keys]
    which = np.repeat(np.arange(len(keys), dtype=_I64), counts)
    first = np.repeat(ptr[keys] - (np.cumsum(counts) - counts), counts)
    return which, flat[first + np.arange(len(which), dtype=_I64)]


@dataclass(frozen=True, slots=True)
class KeyTable:
    """An automaton's keys: each key's length, terms and context rules (as CSR lists)."""

    length: np.ndarray
    term_ptr: np.ndarray
    terms: np.ndarray
    ctx_ptr: np.ndarray
    ctx: np.ndarray

    @staticmethod
    def build(keys: list[str], terms: list[tuple[int, ...]], ctx: list[tuple[int, ...]] | None = None) -> KeyTable:
        """``keys[k]`` stands for terms ``terms[k]`` and context rules ``ctx[k]``."""
        tp, tf = _csr(terms)
        cp, cf = _csr(ctx if ctx is not None else [()] * len(keys))
        return KeyTable(np.fromiter(map(len, keys), dtype=_I64, count=len(keys)), tp, tf, cp, cf)

    def term_matches(self, end: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Key matches (inclusive ``end``, key index) -> ``(start, end exclusive, term)`` per term."""
        which, term = _expand(self.term_ptr, self.terms, key)
        e = end[which] + 1
        return e - self.length[key[which]], e, term

    def ctx_matches(self, end: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Key matches -> ``(start, end exclusive, context rule)`` per context rule."""
        which, rule = _expand(self.ctx_ptr, self.ctx, key)
        e = end[which] + 1
        return e - self.length[key[which]], e, rule


@dataclass(frozen=True, slots=True)
class TermTable:
    """Per-term attributes as arrays, for whole-batch finishing."""

    #: ``term, family, category, ambiguous, source`` per term (row = term index).
    strings: pl.DataFrame
    weight: np.ndarray
    boundary: np.ndarray
    #: each term's text's rank in sorted order of all term texts: equal texts, equal ranks
    #: (the raw de-duplication's key and the output sort's).
    text_rank: np.ndarray
    family_id: np.ndarray
    #: ``allowed[term, rule]``: whether context rule ``rule`` applies to the term.
    allowed: np.ndarray
    ctx_name: list[str]
    ctx_factor: np.ndarray

    @staticmethod
    def build(terms: list[Any], contexts: list[Any]) -> TermTable:
        """From :class:`~firebreak.detect.lexicon.Term` and ``ContextRule`` lists."""
        fam_ids: dict[str, int] = {}
        allowed = np.zeros((len(terms), len(contexts)), dtype=bool)
        for i, t in enumerate(terms):
            for j, c in enumerate(contexts):
                allowed[i, j] = c.name in t.context
        strings = pl.DataFrame(
            [(t.text, t.family, t.category, t.ambiguous, t.source) for t in terms],
            schema={"term": pl.String, "family": pl.String, "category": pl.String, "ambiguous": pl.Boolean, "source": pl.String},
            orient="row",
        )
        return TermTable(
            strings,
            np.asarray([t.weight for t in terms], dtype=np.float64),
            np.asarray([BOUNDARY_CODES[t.boundary] for t in terms], dtype=np.int8),
            np.searchsorted(np.asarray(sorted({t.text for t in terms}), dtype=object), np.asarray([t.text for t in terms], dtype=object)).astype(_I64),
            np.asarray([fam_ids.setdefault(t.family, len(fam_ids)) for t in terms], dtype=_I64),
            allowed,
            [c.name for c in contexts],
            np.asarray([c.factor for c in contexts], dtype=np.float64),
        )


def automaton_matches(automaton: Any, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Every match of a ``pyahocorasick`` automaton whose values are key indices:
    ``(inclusive end positions, key indices)``."""
    flat = np.fromiter(chain.from_iterable(automaton.iter(text)), dtype=_I64)
    return flat[0::2], flat[1::2]


def code_points(text: str) -> np.ndarray:
    """``text`` as an array of code points (one entry per Python character)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


class WordMask:
    """Whether characters of a text are letters or digits (``str.isalnum``), looked up
    only where asked: ``mask[positions]``; ``len(text)`` reads as "no character"."""

    def __init__(self, cps: np.ndarray) -> None:
        self.cps = cps
        self._alnum = tables().alnum

    def __getitem__(self, positions: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions)
        out = np.zeros(positions.shape, dtype=bool)
        inside = positions < len(self.cps)
        out[inside] = self._alnum[self.cps[positions[inside]]]
        return out


def word_mask(cps: np.ndarray) -> WordMask:
    """A :class:`WordMask` of the text whose code points are ``cps``."""
    return WordMask(cps)


def bounded(word: WordMask, start: np.ndarray, end: np.ndarray, boundary: np.ndarray, gap_left: np.ndarray | None = None, gap_right: np.ndarray | None = None) -> np.ndarray:
    """Whether each match ``[start, end)`` has a word boundary where its term needs one.

    ``word`` is :func:`word_mask` of the text; ``boundary`` the terms' codes
    (:data:`BOUNDARY_CODES`). A letter or digit on both sides of an edge is not a
    boundary, unless ``gap_left``/``gap_right`` (optional, per match) say that
    spaced-out letters were joined there.
    """
    left_bad = (start > 0) & word[start] & word[np.maximum(start - 1, 0)]
    right_bad = (end > 0) & word[end - 1] & word[end]
    if gap_left is not None:
        left_bad &= ~gap_left
    if gap_right is not None:
        right_bad &= ~gap_right
    ok: np.ndarray = (boundary == BOUNDARY_CODES["none"]) | (~left_bad & ((boundary == BOUNDARY_CODES["start"]) | ~right_bad))
    return ok


def _first_of_group(order_keys: tuple[np.ndarray, ...], group_keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """Whether each entry is the first of its group (equal ``group_keys``) when entries
    are ordered by ``order_keys`` (primary key last, as :func:`numpy.lexsort` takes them)."""
    n = len(order_keys[0])
    idx = np.lexsort(order_keys)
    idx = idx[np.lexsort(tuple(k[idx] for k in group_keys))]  # stable: order_keys order within a group
    same_as_previous = np.zeros(n, dtype=bool)
    same_as_previous[1:] = True
    for k in group_keys:
        ks = k[idx]
        same_as_previous[1:] &= ks[1:] == ks[:-1]
    first = np.empty(n, dtype=bool)
    first[idx] = ~same_as_previous
    return first


def _pairs_within(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair ``(i, j)`` of entries with the same value in ``groups`` (sorted)."""
    n = len(groups)
    start = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    size = np.diff(np.r_[start, n])
    gid = np.repeat(np.arange(len(start)), size)
    sz = size[gid]
    i = np.repeat(np.arange(n), sz)
    offset = np.arange(len(i)) - np.repeat(np.cumsum(sz) - sz, sz)
    return i, start[gid][i] + offset


def finish(hits: HitArrays, ctx_row: np.ndarray, ctx_rule: np.ndarray, table: TermTable) -> pl.DataFrame:
    """De-duplicated, context-weighted hits as a frame of ``HIT_SCHEMA``'s columns,
    sorted by (row, start, end, term).

    Rules: a raw hit repeating one of the same term text and span is dropped; a
    normalised hit is dropped where a raw or earlier normalised hit of its family has
    the same span; a hit strictly inside a longer one of its family in the same text
    is dropped; a context rule found in the text that applies to the term lowers its
    weight to ``weight * factor`` (the lowest such, the first rule on a tie).
    """
    if not len(hits.row):
        return pl.DataFrame(schema=HIT_SCHEMA)
    order = np.lexsort((hits.term, hits.end, hits.start, hits.form, hits.row))
    row, term, form, s, e = (a[order] for a in (hits.row, hits.term, hits.form, hits.start, hits.end))
    fam, tid = table.family_id[term], table.text_rank[term]
    n = len(row)
    pos = np.arange(n)
    is_raw = form == RAW
    keep = np.zeros(n, dtype=bool)
    if is_raw.any():
        r = np.flatnonzero(is_raw)
        keep[r[_first_of_group((pos[r],), (e[r], s[r], tid[r], row[r]))]] = True
    # normalised: first of its (row, family, span), where kept raw hits come first
    cand = np.flatnonzero(keep | ~is_raw)
    first = _first_of_group((pos[cand],), (e[cand], s[cand], fam[cand], row[cand]))
    keep[cand[first & ~is_raw[cand]]] = True
    k = np.flatnonzero(keep)
    # a hit inside a longer hit of the same family ("menu" in "menu in bio") adds nothing
    by = k[np.lexsort((fam[k], row[k]))]
    gkey = row[by] * (int(fam.max()) + 1) + fam[by]
    i, j = _pairs_within(gkey)
    si, ei, sj, ej = s[by][i], e[by][i], s[by][j], e[by][j]
    inside = np.zeros(len(by), dtype=bool)
    inside[i[(sj <= si) & (ei <= ej) & ((ej - sj) > (ei - si))]] = True
    k = np.sort(by[~inside])
    k_term = term[k]
    weight = table.weight[k_term].copy()
    ctx_idx = np.full(len(k), len(table.ctx_name), dtype=_I64)
    if len(ctx_row) and len(k):
        pr = np.unique(np.stack([ctx_row.astype(_I64), ctx_rule.astype(_I64)], axis=1), axis=0)
        lo = np.searchsorted(pr[:, 0], row[k], side="left")
        cnt = np.searchsorted(pr[:, 0], row[k], side="right") - lo
        h = np.repeat(np.arange(len(k)), cnt)
        rule = pr[np.repeat(lo, cnt) + (np.arange(len(h)) - np.repeat(np.cumsum(cnt) - cnt, cnt)), 1]
        t = k_term[h]
        w = table.weight[t] * table.ctx_factor[rule]
        ok = table.allowed[t, rule] & (w < table.weight[t])
        h, rule, w = h[ok], rule[ok], w[ok]
        if len(h):
            best = np.lexsort((rule, w, h))
            h, rule, w = h[best], rule[best], w[best]
            firsts = np.r_[True, h[1:] != h[:-1]]
            weight[h[firsts]] = w[firsts]
            ctx_idx[h[firsts]] = rule[firsts]
    uniq, inv = np.unique(weight, return_inverse=True)
    rounded = np.asarray([round(float(x), 6) for x in uniq], dtype=np.float64)[inv]
    final = np.lexsort((table.text_rank[k_term], e[k], s[k], row[k]))
    k, k_term, rounded, ctx_idx = k[final], k_term[final], rounded[final], ctx_idx[final]
    strings = table.strings[k_term]
    return pl.DataFrame(
        {
            "row": row[k],
            "term": strings["term"],
            "family": strings["family"],
            "category": strings["category"],
            "form": pl.Series(["raw", "normalised"], dtype=pl.String).gather(form[k]),
            "start": s[k],
            "end": e[k],
            "weight": rounded,
            "ambiguous": strings["ambiguous"],
            "source": strings["source"],
            "context": pl.Series([*table.ctx_name, None], dtype=pl.String).gather(ctx_idx),
        },
        schema=HIT_SCHEMA,
    )
