"""Text normalisation before matching, vectorised over whole batches, with offset maps.

A seller writes ``p3d0`` or ``Ρ.Е.Ɗ.Ο`` (Greek, Cyrillic and Latin mixed) or
``p\u200bedo`` to slip past a word list. Both the lexicon's terms and every
text are put through the same pipeline, so that all those spellings meet the
term's normalised key. The pipeline, in order:

1. **Per character** (one lookup table ``F``, built once, lazily):
   Unicode compatibility decomposition (NFKD: the compatibility half of NFKC,
   so fullwidth, mathematical and circled letters become plain ones), full case
   folding, combining marks dropped (accents, variation selectors, keycaps),
   format characters dropped (zero-width space/joiners, bidi controls, soft
   hyphen, tag characters) and a few invisible letters (Hangul fillers, braille
   blank); skin-tone modifiers dropped; **homoglyphs folded** to their ASCII
   look-alike from the Unicode confusables data shipped by the
   ``confusable_homoglyphs`` library (``Ρ``, ``р``, ``𝗉`` -> ``p``); regional
   indicator symbols to their letter; **emoji** to ``:name:`` tokens from the
   ``emoji`` library's names (letters and digits only: ``🧀`` -> ``:cheesewedge:``);
   **leetspeak digits** to letters (:data:`LEET_DIGITS`); whitespace to a space;
   punctuation and symbols deleted (joining ``p.e.d.o``, ``c*p``, ``#tag``),
   except ``:`` (emoji-token delimiter) and the leet symbols ``@ $ ! |``.
2. **Leet symbols** (:data:`LEET_SYMBOLS`) between two letters or digits become
   letters (``p!zza`` -> ``pizza``); anywhere else they are deleted (``@user``).
3. **Runs** of one repeated ASCII letter, digit or space collapse to one
   (``peeedooo`` -> ``pedo``); spaces are stripped at both ends.
4. **Spaced letters** join: a run of two or more single-character tokens loses its
   spaces (``p e d o`` -> ``pedo``), and a run of three or more also joins the word
   right after it (``p e d o bait`` -> ``pedobait``) unless that word starts with the
   run's last letter; step 3 then runs again. (The lexicon counts such a join as a
   word boundary, so a spelled-out term followed by a word is still found.)

**Numerals.** Digits written as keycap emoji (``1️⃣5️⃣``), the keycap ten ``🔟``,
circled, negative-circled, parenthesised, fullwidth, superscript and mathematical
digits fold to ASCII digits in step 1 (then to leet letters like any digit, in the
matching key). :func:`fold_numerals` / :func:`fold_numerals_batch` do only that fold,
leaving every other character as it is, with the same offset map, so that age
patterns written for ASCII digits read ``on chapter 1️⃣4️⃣`` as ``on chapter 14``;
:func:`fold_numerals_expr` is the same fold as a Polars expression.

The normalised text is a matching key, not for display. Every normalised
character keeps the span ``[start, end)`` of the original characters it came
from (code-point indices into the original string; a kept character's span also
covers invisible characters deleted right after it, such as a variation
selector), so a hit in the normalised text is reported at its original place.
The whole batch is processed as NumPy arrays of code points (one concatenation,
no per-character Python).

:func:`screen_batch_utf8` is the cheap first pass for large batches: steps 1-3 only,
no offsets, ASCII rows through ``bytes.translate``; every normalised key of a row
is a substring of its screen text (step 4 aside, whose rows it lists), so only
rows the screen flags need :func:`normalize_batch`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: leetspeak digits (always mapped; pure numbers become letter strings, harmless in a matching key).
LEET_DIGITS: dict[str, str] = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b"}
#: leetspeak symbols, mapped only between two letters/digits (``p!zza``), else deleted.
LEET_SYMBOLS: dict[str, str] = {"@": "a", "$": "s", "!": "i", "|": "i"}
#: characters kept by step 1 although they are punctuation.
KEPT_PUNCT = ":"
_SPACE = 0x20
_MAXCP = 0x110000
#: invisible characters that Unicode classes as letters or symbols.
_INVISIBLE = "\u115f\u1160\u3164\uffa0\u2800\u180e"


@dataclass(frozen=True, slots=True)
class Normalized:
    """One normalised text: ``text`` and, per character, the original ``[start, end)``."""

    text: str
    starts: np.ndarray
    ends: np.ndarray

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Original span of normalised characters ``i .. j-1`` (``j > i``)."""
        return int(self.starts[i]), int(self.ends[j - 1])


@dataclass(frozen=True, slots=True)
class NormalizedBatch:
    """A normalised batch: texts joined by ``"\\n"`` in ``text``.

    ``row_start[r]`` is where row ``r`` begins in ``text`` (its end is
    ``row_start[r+1] - 1``); ``starts``/``ends`` give each character's original
    span *within its own row*; a separator's span is ``(0, 0)``.
    """

    text: str
    row_start: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    def row(self, r: int) -> Normalized:
        """Row ``r`` as a :class:`Normalized`."""
        a, b = int(self.row_start[r]), int(self.row_start[r + 1]) - 1
        return Normalized(self.text[a:b], self.starts[a:b], self.ends[a:b])

    def rows(self) -> list[str]:
        """The normalised texts, one per input row."""
        return self.text.split("\n")


@dataclass(frozen=True, slots=True)
class _Tables:
    length: np.ndarray  # int8 per code point: how many output chars
    first: np.ndarray  # uint32 per code point: first output char
    extra_start: np.ndarray  # int32 per code point: where its 2nd.. chars start in extra
    extra: np.ndarray  # uint32 flat
    alnum: np.ndarray  # bool per code point (str.isalnum)
    leet_sym: np.ndarray  # uint32 per code point: letter for a leet symbol, else 0
    collapsible: np.ndarray  # bool per code point
    attach: np.ndarray  # bool per code point: deleted invisible characters (join the span before them)
    length_sep: np.ndarray  # ``length`` but NUL kept (the screen's row separator)
    ascii_table: bytes  # bytes.translate table for ASCII code points (all map to 0 or 1 char)
    ascii_delete: bytes  # ASCII code points step 1 deletes
    fmap: dict[int, str]  # the same per-character map, for reference implementations


def _confusable_fold() -> dict[str, str]:
    """Non-ASCII character -> its one ASCII letter/digit look-alike, from the confusables data."""
    from confusable_homoglyphs.confusables import confusables_data

    fold: dict[str, str] = {}
    for ch, glyphs in confusables_data.items():
        if len(ch) != 1 or ch.isascii():
            continue
        cands = {g["c"].casefold() for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()}
        if len(cands) == 1:
            fold[ch] = cands.pop()
    return fold


def _emoji_names() -> dict[str, str]:
    """Single-code-point emoji -> ``:name:`` token (letters and digits of its English name)."""
    import emoji

    out: dict[str, str] = {}
    for seq, data in emoji.EMOJI_DATA.items():
        base = seq.replace("\ufe0f", "")
        if len(base) != 1:
            continue
        name = "".join(c for c in data["en"].casefold() if c.isascii() and c.isalnum())
        out.setdefault(base, f":{name}:")
    return out


#: the keycap combining mark, and the variation selector that precedes it in emoji keycaps.
_KEYCAP = "\u20e3"
_VS16 = "\ufe0f"
#: emoji numerals that Unicode gives no numeric value.
_EMOJI_NUMERALS = {"\U0001f51f": "10", "\U0001f4af": "100"}


@lru_cache(maxsize=1)
def numeral_map() -> dict[str, str]:
    """Non-ASCII character -> ASCII digits, for every character Unicode gives a whole
    numeric value from 0 to 50 (circled ``⑮``, negative circled ``⓮``, dingbat ``➓``,
    fullwidth, superscript, mathematical and other scripts' digits), plus the emoji
    numerals ``🔟`` and ``💯``. Fractions and letters (Roman numerals) are left out."""
    out: dict[str, str] = dict(_EMOJI_NUMERALS)
    for cp in range(0x80, 0x30000):
        c = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or unicodedata.category(c) not in ("Nd", "No"):
            continue
        v = unicodedata.numeric(c, None)
        if v is not None and float(v).is_integer() and 0 <= v <= 50:
            out[c] = str(int(v))
    return out


def _ascii_char(c: str) -> str:
    if c.isspace():
        return " "
    if c in LEET_DIGITS:
        return LEET_DIGITS[c]
    if c in LEET_SYMBOLS or c in KEPT_PUNCT:
        return c
    cat = unicodedata.category(c)
    if cat[0] in "PSCMZ":
        return ""
    return c.casefold()


@lru_cache(maxsize=1)
def tables() -> _Tables:
    """Build the per-character tables once (about half a second, then cached)."""
    fold = _confusable_fold()
    emojis = _emoji_names()
    numerals = numeral_map()

    def f(c: str) -> str:
        if c in numerals and c not in fold:  # a digit that looks like a letter ("۱" ~ "l") stays a letter
            return "".join(_ascii_char(d) for d in numerals[c])
        if c in fold and unicodedata.category(c)[0] == "L":  # "ℹ" is a letter first, an emoji second
            return _ascii_char(fold[c])
        if c in emojis:
            return emojis[c]
        if c.isascii():
            return _ascii_char(c)
        if c in _INVISIBLE or 0x1F3FB <= ord(c) <= 0x1F3FF:
            return ""
        if 0x1F1E6 <= ord(c) <= 0x1F1FF:  # regional indicator A..Z
            return chr(ord("a") + ord(c) - 0x1F1E6)
        if c.isspace():
            return " "
        if c in fold:  # look-alike first: "˛" decomposes to a space, but looks like "i"
            return _ascii_char(fold[c])
        out = []
        for d in unicodedata.normalize("NFKD", c).casefold():
            if d.isascii():
                out.append(_ascii_char(d))
                continue
            cat = unicodedata.category(d)
            if cat == "Mc" and d in fold:  # spacing marks that look like letters (Telugu "ం" ~ "o")
                out.append(_ascii_char(fold[d]))
                continue
            if cat[0] in "MC" or d in _INVISIBLE:
                continue
            if d in fold:
                out.append(_ascii_char(fold[d]))
            elif d.isspace():
                out.append(" ")
            elif cat[0] in "PSZ" and d not in emojis:
                continue
            else:
                out.append(emojis.get(d, d))
        return "".join(out)

    fmap: dict[int, str] = {}
    ranges = [range(0x40000), range(0xE0000, 0xE0200)]
    for rng in ranges:
        for cp in rng:
            c = chr(cp)
            if 0xD800 <= cp <= 0xDFFF:
                continue
            if cp >= 0x80 and unicodedata.category(c) == "Cn":
                continue
            v = f(c)
            if v != c:
                fmap[cp] = v
    # close the map under itself so normalising twice changes nothing
    for _ in range(3):
        changed = False
        for cp, v in fmap.items():
            w = "".join(fmap.get(ord(ch), ch) for ch in v)
            if w != v:
                fmap[cp], changed = w, True
        if not changed:
            break

    length = np.ones(_MAXCP, dtype=np.int8)
    first = np.arange(_MAXCP, dtype=np.uint32)
    extra_start = np.zeros(_MAXCP, dtype=np.int32)
    extra: list[int] = []
    for cp, v in fmap.items():
        length[cp] = len(v)
        if v:
            first[cp] = ord(v[0])
        if len(v) > 1:
            extra_start[cp] = len(extra)
            extra.extend(ord(ch) for ch in v[1:])
    alnum = np.zeros(_MAXCP, dtype=bool)
    for cp in range(0x40000):
        if not 0xD800 <= cp <= 0xDFFF and chr(cp).isalnum():
            alnum[cp] = True
    leet_sym = np.zeros(_MAXCP, dtype=np.uint32)
    for k, v in LEET_SYMBOLS.items():
        leet_sym[ord(k)] = ord(v)
    collapsible = np.zeros(_MAXCP, dtype=bool)
    for ch in "abcdefghijklmnopqrstuvwxyz0123456789 ":
        collapsible[ord(ch)] = True
    attach = np.zeros(_MAXCP, dtype=bool)
    for cp, v in fmap.items():
        if v == "" and (unicodedata.category(chr(cp))[0] in "MC" or chr(cp) in _INVISIBLE or 0x1F3FB <= cp <= 0x1F3FF) and cp >= 0x80:
            attach[cp] = True
    trans = bytearray(range(256))
    delete = bytearray()
    for cp in range(128):
        v = fmap.get(cp, chr(cp))
        if v == "":
            delete.append(cp)
        else:
            trans[cp] = ord(v)
    length_sep = length.copy()
    length_sep[0] = 1
    return _Tables(
        length, first, extra_start, np.asarray(extra, dtype=np.uint32), alnum, leet_sym, collapsible, attach, length_sep,
        bytes(trans), bytes(delete), fmap,
    )


def _expand(a: np.ndarray, L: np.ndarray, t: _Tables, with_src: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Step 1's table applied to code points ``a`` (``L`` = output lengths): the output
    code points, and (``with_src``) each output's input index."""
    if not with_src:
        return _expand_sparse(a, L, t), None
    out = np.repeat(t.first[a], L)
    src = np.repeat(np.arange(len(a), dtype=np.int32 if len(a) < 2**31 else np.int64), L) if with_src else None
    multi = np.flatnonzero(L > 1)
    if len(multi):
        counts = L[multi].astype(np.int64) - 1
        ends = np.cumsum(L, dtype=np.int64)
        starts = ends[multi] - L[multi]  # output position of each multi's first char
        pos = np.repeat(starts + 1, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        base = np.repeat(t.extra_start[a[multi]].astype(np.int64), counts)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        out[pos] = t.extra[base + within]
    return out, src


def _expand_sparse(a: np.ndarray, L: np.ndarray, t: _Tables) -> np.ndarray:
    """:func:`_expand` without sources: every character repeated by its length, then
    the extra characters of the (few) expansions written in, with their output
    positions computed from the positions where ``L != 1`` alone."""
    out: np.ndarray = t.first[a]
    odd = np.flatnonzero(L != 1)
    if not len(odd):
        return out
    out = np.repeat(out, L)
    d = L[odd].astype(np.int64) - 1
    start = odd + (np.cumsum(d) - d)  # output position of each odd character
    multi = d > 0
    if multi.any():
        counts = d[multi]
        ends = np.cumsum(counts)
        within = np.arange(int(ends[-1])) - np.repeat(ends - counts, counts)
        base = np.repeat(t.extra_start[a[odd[multi]]].astype(np.int64), counts)
        out[np.repeat(start[multi] + 1, counts) + within] = t.extra[base + within]
    return out


def _compact(keep: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(a[keep] for a in arrays)


def _collapse(cps: np.ndarray, row: np.ndarray, st: np.ndarray, en: np.ndarray, coll: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Collapse runs of one collapsible character within a row; the kept one spans the run."""
    n = len(cps)
    if n < 2:
        return cps, row, st, en
    dup = np.zeros(n, dtype=bool)
    dup[1:] = (cps[1:] == cps[:-1]) & (row[1:] == row[:-1]) & coll[cps[1:]]
    if not dup.any():
        return cps, row, st, en
    keep = ~dup
    # run end: the original end of the last duplicate of each kept char
    idx = np.flatnonzero(keep)
    last = np.empty(len(idx), dtype=np.int64)
    last[:-1] = idx[1:] - 1
    last[-1] = n - 1
    return cps[idx], row[idx], st[idx], en[last]


def _strip(cps: np.ndarray, row: np.ndarray, st: np.ndarray, en: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Drop spaces at the start and end of each row (runs are already single)."""
    n = len(cps)
    if n == 0:
        return cps, row, st, en
    sp = cps == _SPACE
    edge = np.zeros(n, dtype=bool)
    edge[0] = True
    edge[1:] = row[1:] != row[:-1]
    edge_end = np.zeros(n, dtype=bool)
    edge_end[-1] = True
    edge_end[:-1] = row[1:] != row[:-1]
    bad = sp & (edge | edge_end)
    if not bad.any():
        return cps, row, st, en
    keep = ~bad
    return cps[keep], row[keep], st[keep], en[keep]


#: a run of at least this many spaced single characters also joins the word after it.
MIN_SPACED_RUN = 3


def _run_then_word(cps: np.ndarray, row: np.ndarray, single: np.ndarray, alnum: np.ndarray) -> np.ndarray:
    """Positions of the spaces after runs of >= :data:`MIN_SPACED_RUN` spaced single
    characters that are followed by a longer word in the same row (``p e d o bait``)."""
    pos = np.flatnonzero(single)
    n = len(cps)
    if len(pos) < MIN_SPACED_RUN:
        return np.zeros(0, dtype=np.int64)
    linked = np.zeros(len(pos), dtype=bool)  # pos[k] continues the run of pos[k-1]
    linked[1:] = (np.diff(pos) == 2) & (cps[pos[:-1] + 1] == _SPACE) & (row[pos[1:]] == row[pos[:-1]])
    run = np.cumsum(~linked) - 1
    size = np.bincount(run)
    last = np.flatnonzero(np.append(~linked[1:], True))  # index in pos of each run's last character
    p = pos[last]
    ok = (size[run[last]] >= MIN_SPACED_RUN) & (p + 2 < n)
    p = p[ok]
    nxt = np.minimum(p + 2, n - 1)
    ok = (cps[p + 1] == _SPACE) & (row[nxt] == row[p]) & alnum[cps[nxt]] & ~single[nxt]
    ok &= cps[nxt] != cps[p]  # never a run of one letter across the join (it would collapse)
    out: np.ndarray = (p[ok] + 1).astype(np.int64)
    return out


def normalize_batch(texts: list[str]) -> NormalizedBatch:
    """Normalise ``texts`` (a list of str; ``None`` counts as ``""``) as one batch.

    Returns the normalised rows joined by ``"\\n"`` with each character's original
    span; see the module docstring for the pipeline.
    """
    t = tables()
    if None in texts:
        texts = [x if x is not None else "" for x in texts]
    nrows = len(texts)
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=nrows)
    joined = "".join(texts)
    a = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    # rows and in-row positions as int32: half the memory traffic of the compactions below
    row = np.repeat(np.arange(nrows, dtype=np.int32), lens)
    rowstart_in = np.zeros(nrows + 1, dtype=np.int64)
    np.cumsum(lens, out=rowstart_in[1:])
    pos = (np.arange(len(a), dtype=np.int64) - rowstart_in[row]).astype(np.int32)

    # step 1: per-character table (with expansions for multi-character outputs)
    L = t.length[a]
    cps, src_opt = _expand(a, L, t, with_src=True)
    src: np.ndarray = src_opt if src_opt is not None else np.zeros(0, dtype=np.int64)
    row_o = row[src]
    st = pos[src]
    # a kept character's span runs over the invisible characters deleted right after it
    att = t.attach[a]
    if att.any():
        n_in = len(a)
        nxt = np.where(~att, np.arange(n_in, dtype=np.int64), n_in)
        nxt = np.minimum.accumulate(nxt[::-1])[::-1]
        nxt_after = np.append(nxt[1:], n_in)[src]
        row_end = rowstart_in[row_o + 1]
        en = (np.minimum(nxt_after, row_end) - rowstart_in[row_o]).astype(np.int32)
    else:
        en = st + 1

    # step 2: leet symbols between two alphanumerics become letters, else deleted
    sym = np.flatnonzero(t.leet_sym[cps] > 0)
    if len(sym):
        n = len(cps)
        prev_ok = (sym > 0) & t.alnum[cps[np.maximum(sym - 1, 0)]] & (row_o[np.maximum(sym - 1, 0)] == row_o[sym])
        nxt = np.minimum(sym + 1, n - 1)
        next_ok = (sym < n - 1) & t.alnum[cps[nxt]] & (row_o[nxt] == row_o[sym])
        conv = sym[prev_ok & next_ok]
        cps = cps.copy()
        cps[conv] = t.leet_sym[cps[conv]]
        drop = sym[~(prev_ok & next_ok)]
        if len(drop):
            keep = np.ones(n, dtype=bool)
            keep[drop] = False
            cps, row_o, st, en = _compact(keep, cps, row_o, st, en)

    # step 3: collapse runs (letters, digits, spaces) and strip row ends
    cps, row_o, st, en = _collapse(cps, row_o, st, en, t.collapsible)
    cps, row_o, st, en = _strip(cps, row_o, st, en)

    # step 4: join runs of single-character tokens, then collapse again
    n = len(cps)
    if n >= 3:
        left_sp = np.ones(n, dtype=bool)
        left_sp[1:] = (cps[:-1] == _SPACE) | (row_o[:-1] != row_o[1:])
        right_sp = np.ones(n, dtype=bool)
        right_sp[:-1] = (cps[1:] == _SPACE) | (row_o[1:] != row_o[:-1])
        single = t.alnum[cps] & left_sp & right_sp
        sp = np.flatnonzero(cps[1:-1] == _SPACE) + 1
        join = sp[single[sp - 1] & single[sp + 1]]
        join = np.union1d(join, _run_then_word(cps, row_o, single, t.alnum))
        if len(join):
            # only the characters on either side of a removed space become neighbours: the
            # second collapse has work only where two of them are one repeated character
            again = bool(((cps[join - 1] == cps[join + 1]) & t.collapsible[cps[join - 1]]).any())
            keep = np.ones(n, dtype=bool)
            keep[join] = False
            cps, row_o, st, en = _compact(keep, cps, row_o, st, en)
            if again:
                cps, row_o, st, en = _collapse(cps, row_o, st, en, t.collapsible)

    # assemble rows joined by "\n"
    counts = np.bincount(row_o, minlength=nrows) if len(row_o) else np.zeros(nrows, dtype=np.int64)
    row_start = np.zeros(nrows + 1, dtype=np.int64)
    np.cumsum(counts + 1, out=row_start[1:])
    row_start[1:] -= 0
    total = int(row_start[-1]) - 1 if nrows else 0
    final = np.full(max(total, 0), 10, dtype=np.uint32)
    fst = np.zeros(max(total, 0), dtype=np.int64)
    fen = np.zeros(max(total, 0), dtype=np.int64)
    if len(cps):
        rank = np.arange(len(cps), dtype=np.int64) - (np.cumsum(counts) - counts)[row_o]
        dest = row_start[row_o] + rank
        final[dest] = cps
        fst[dest] = st
        fen[dest] = en
    text = final.tobytes().decode("utf-32-le") if total > 0 else ""
    return NormalizedBatch(text, row_start, fst, fen)


def normalize(text: str) -> Normalized:
    """Normalise one text; ``.text`` is the matching key, ``.starts``/``.ends`` the offset map."""
    return normalize_batch([text]).row(0)


def normalize_text(text: str) -> str:
    """Just the normalised string of ``text``.

    >>> normalize_text("P3D0")
    'pedo'
    """
    return normalize(text).text


_SEP = 0  # row separator inside screening arrays (texts' own NULs are replaced first)


def _screen_codes(c: np.ndarray, t: _Tables) -> tuple[np.ndarray, np.ndarray]:
    """Steps 2-3 without offsets on code array ``c`` (rows separated by 0):
    returns (screen codes, positions where step 4 would join spaced letters)."""
    small = c.dtype == np.uint8
    alnum = t.alnum[:256] if small else t.alnum
    leet = t.leet_sym[:256].astype(np.uint8) if small else t.leet_sym
    coll = t.collapsible[:256] if small else t.collapsible
    n = len(c)
    sym = np.flatnonzero(leet[c])
    if len(sym):
        prev = c[np.maximum(sym - 1, 0)]
        nxt = c[np.minimum(sym + 1, n - 1)]
        ok = (sym > 0) & (sym < n - 1) & alnum[prev] & alnum[nxt]
        c = c.copy()
        c[sym[ok]] = leet[c[sym[ok]]].astype(c.dtype)
        if (~ok).any():
            keep = np.ones(n, dtype=bool)
            keep[sym[~ok]] = False
            c = c[keep]
            n = len(c)
    if n > 1:
        dup = np.empty(n, dtype=bool)
        dup[0] = False
        np.equal(c[1:], c[:-1], out=dup[1:])
        dup &= coll[c]
        if dup.any():
            c = c[~dup]
            n = len(c)
    # two single-character tokens side by side ("x y"): step 4 would join them
    return c, _spaced_pairs(c, n)


@lru_cache(maxsize=1)
def _byte_luts() -> tuple[bytes, bytes, bytes]:
    """``bytes.translate`` tables for the ASCII screen: leet-symbol letter (else 0),
    collapsible (1/0), alphanumeric (1/0)."""
    t = tables()
    leet = bytes(int(t.leet_sym[i]) for i in range(256))
    coll = bytes(int(t.collapsible[i]) for i in range(256))
    alnum = bytes(int(t.alnum[i]) for i in range(256))
    return leet, coll, alnum


def _screen_ascii(b: bytes) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_screen_codes` for ASCII bytes, with table lookups done by ``bytes.translate``."""
    leet_t, coll_t, alnum_t = _byte_luts()
    c = np.frombuffer(b, dtype=np.uint8)
    n = len(c)
    if any(ch in b for ch in (b"@", b"$", b"!", b"|")):
        lv = np.frombuffer(b.translate(leet_t), dtype=np.uint8)
        sym = np.flatnonzero(lv)
        al = np.frombuffer(alnum_t, dtype=np.uint8).astype(bool)
        prev = c[np.maximum(sym - 1, 0)]
        nxt = c[np.minimum(sym + 1, n - 1)]
        ok = (sym > 0) & (sym < n - 1) & al[prev] & al[nxt]
        c = c.copy()
        c[sym[ok]] = lv[sym[ok]]
        if (~ok).any():
            keep = np.ones(n, dtype=bool)
            keep[sym[~ok]] = False
            c = c[keep]
            n = len(c)
        b = c.tobytes()
    if n > 1:
        dup = np.frombuffer(b.translate(coll_t), dtype=np.bool_).copy()
        dup[0] = False
        dup[1:] &= c[1:] == c[:-1]
        if dup.any():
            c = c[~dup]
            n = len(c)
    return c, _spaced_pairs(c, n)


def _spaced_pairs(c: np.ndarray, n: int) -> np.ndarray:
    """Positions of spaces between two single-character tokens (``x y``), by whole-array
    comparisons (a single-character token has a space or separator on both sides)."""
    if n < 5:
        return np.zeros(0, dtype=np.int64)
    gap = (c == _SPACE) | (c == _SEP)
    single = gap[:-2] & gap[2:]  # single[i]: position i+1 is flanked by gaps
    pair = single[:-2] & single[2:] & (c[2:-2] == _SPACE)  # tokens at i+1 and i+3, space at i+2
    cand = np.flatnonzero(pair) + 2
    if len(cand):
        al = tables().alnum
        cand = cand[al[c[cand - 1]] & al[c[cand + 1]]]
    return cand


def _screen_codes_batch(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1-3 of ``texts`` joined with NUL separators (and a NUL at each end), as
    code points (``uint8`` when all ASCII, else ``uint32``), and the rows step 4
    would change."""
    t = tables()
    joined = "\x00" + "\x00".join(texts) + "\x00"
    if joined.count("\x00") != len(texts) + 1:
        joined = "\x00" + "\x00".join(x.replace("\x00", " ") for x in texts) + "\x00"
    if joined.isascii():
        codes, spaced_pos = _screen_ascii(joined.encode("ascii").translate(t.ascii_table, t.ascii_delete.replace(b"\x00", b"")))
    else:
        a = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        out = _expand(a, t.length_sep[a], t)[0]
        if len(out) and int(out.max()) < 128:  # step 1 made it ASCII (emoji names, accents, homoglyphs)
            codes, spaced_pos = _screen_ascii(out.astype(np.uint8).tobytes())
        else:
            codes, spaced_pos = _screen_codes(out, t)
    if not len(spaced_pos):
        return codes, np.zeros(0, dtype=np.int64)
    seps = np.flatnonzero(codes == _SEP)
    return codes, np.unique(np.searchsorted(seps, spaced_pos) - 1)


def screen_batch_utf8(texts: list[str]) -> tuple[bytes, np.ndarray, np.ndarray]:
    """A cheap superset screen for a batch: returns ``(screen, seps, spaced_rows)``.

    ``screen`` is the texts after steps 1-3 (no offsets, no stripping, no step 4) as
    UTF-8 bytes, each row between two NUL bytes; every key the exact pipeline finds in a
    row also occurs (as a plain substring) in that row's screen text, except where step
    4 joins spaced letters: those rows are listed in ``spaced_rows``. Row ``r`` lies
    between byte offsets ``seps[r]`` and ``seps[r + 1]``.
    """
    codes, spaced_rows = _screen_codes_batch(texts)
    if codes.dtype == np.uint8:
        return codes.tobytes(), np.flatnonzero(codes == _SEP), spaced_rows
    data = codes.tobytes().decode("utf-32-le").encode("utf-8")
    return data, np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == _SEP), spaced_rows


# ---------------------------------------------------------------------- numerals only
def _numeral_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(length, first, extra_start, extra) of the numerals-only fold (identity elsewhere)."""
    return _numeral_tables_cached()


@lru_cache(maxsize=1)
def _numeral_tables_cached() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    length = np.ones(_MAXCP, dtype=np.int8)
    first = np.arange(_MAXCP, dtype=np.uint32)
    extra_start = np.zeros(_MAXCP, dtype=np.int32)
    extra: list[int] = []
    for c, v in numeral_map().items():
        cp = ord(c)
        length[cp] = len(v)
        first[cp] = ord(v[0])
        if len(v) > 1:
            extra_start[cp] = len(extra)
            extra.extend(ord(ch) for ch in v[1:])
    return length, first, extra_start, np.asarray(extra, dtype=np.uint32)


@lru_cache(maxsize=1)
def _numeral_base() -> np.ndarray:
    """Per code point: whether a keycap mark after it folds away (ASCII digits and numerals)."""
    base = np.zeros(_MAXCP, dtype=bool)
    base[ord("0") : ord("9") + 1] = True
    for c in numeral_map():
        base[ord(c)] = True
    return base


def fold_numerals_batch(texts: list[str]) -> NormalizedBatch:
    """Fold only numerals in ``texts`` (see the module docstring), keeping every other
    character: keycap sequences (digit, optional U+FE0F, U+20E3) become their digit, and
    every character of :func:`numeral_map` its ASCII digits. Precisely: after a digit
    or numeral, a run of U+FE0F/U+20E3 marks is dropped up to its last U+20E3. Returns the folded rows
    joined by ``"\\n"`` with each character's original ``[start, end)`` span (a keycap
    digit spans its whole sequence)."""
    texts = [x if x is not None else "" for x in texts]
    nrows = len(texts)
    lens = np.fromiter((len(x) for x in texts), dtype=np.int64, count=nrows)
    a = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    row = np.repeat(np.arange(nrows, dtype=np.int64), lens)
    rowstart_in = np.zeros(nrows + 1, dtype=np.int64)
    np.cumsum(lens, out=rowstart_in[1:])
    n = len(a)
    idx = np.arange(n, dtype=np.int64)
    pos = idx - rowstart_in[row]
    end = pos + 1
    keep = np.ones(n, dtype=bool)
    # keycap marks (and a variation selector right before one) join the character before them
    mark = (a == ord(_KEYCAP)) | (a == ord(_VS16))
    if (a == ord(_KEYCAP)).any():
        base = _numeral_base()
        anchor = np.maximum.accumulate(np.where(~mark, idx, -1))
        # a run of marks ends at the next plain character or where the next row starts
        brk = ~mark
        brk[rowstart_in[:-1][lens > 0]] = True
        nxt_plain = np.minimum.accumulate(np.where(brk, idx, n)[::-1])[::-1]
        last_kc = np.maximum.accumulate(np.where(a == ord(_KEYCAP), idx, -1))
        run_kc = last_kc[np.maximum(nxt_plain - 1, 0)]  # the last keycap mark of each mark run
        anc = np.maximum(anchor, 0)
        kc_row = row[np.maximum(run_kc, 0)]
        drop = mark & (anchor >= 0) & (row[anc] == row) & base[a[anc]] & (run_kc >= idx) & (kc_row == row)
        keep[drop] = False
        owner = np.where(keep, idx, -1)
        owner = np.maximum.accumulate(owner)
        gone = np.flatnonzero(~keep)
        np.maximum.at(end, owner[gone], pos[gone] + 1)
    a, row, pos, end = a[keep], row[keep], pos[keep], end[keep]
    length, first, extra_start, extra = _numeral_tables()
    L = length[a]
    out = np.repeat(first[a], L)
    src = np.repeat(np.arange(len(a), dtype=np.int64), L)
    multi = np.flatnonzero(L > 1)
    if len(multi):
        counts = L[multi].astype(np.int64) - 1
        ends = np.cumsum(L, dtype=np.int64)
        starts = ends[multi] - L[multi]
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        out[np.repeat(starts + 1, counts) + within] = extra[np.repeat(extra_start[a[multi]].astype(np.int64), counts) + within]
    row_o, st, en = row[src], pos[src], end[src]
    counts_r = np.bincount(row_o, minlength=nrows) if len(row_o) else np.zeros(nrows, dtype=np.int64)
    row_start = np.zeros(nrows + 1, dtype=np.int64)
    np.cumsum(counts_r + 1, out=row_start[1:])
    total = max(int(row_start[-1]) - 1, 0) if nrows else 0
    final = np.full(total, 10, dtype=np.uint32)
    fst = np.zeros(total, dtype=np.int64)
    fen = np.zeros(total, dtype=np.int64)
    if len(out):
        dest = row_start[row_o] + np.arange(len(out), dtype=np.int64) - (np.cumsum(counts_r) - counts_r)[row_o]
        final[dest], fst[dest], fen[dest] = out, st, en
    text = final.tobytes().decode("utf-32-le", "surrogatepass") if total > 0 else ""
    return NormalizedBatch(text, row_start, fst, fen)


def fold_numerals(text: str) -> Normalized:
    """:func:`fold_numerals_batch` for one text (``"on chapter 1️⃣4️⃣"`` -> ``"on chapter 14"``)."""
    return fold_numerals_batch([text]).row(0)


def fold_numerals_expr(expr: object) -> object:
    """The numerals fold as a Polars expression on a string column (Aho-Corasick
    ``str.replace_many``): ``df.with_columns(text=fold_numerals_expr(pl.col("text")))``
    gives what :func:`fold_numerals` gives, row by row, without offsets."""
    import polars as pl

    if not isinstance(expr, pl.Expr):
        raise TypeError("fold_numerals_expr takes a polars expression")
    chars = "0-9" + "".join(f"\\x{{{ord(c):X}}}" for c in numeral_map())
    keycaps = rf"([{chars}])[\x{{FE0F}}\x{{20E3}}]*\x{{20E3}}"
    table = numeral_map()
    return expr.str.replace_all(keycaps, "${1}").str.replace_many(list(table), list(table.values()))
