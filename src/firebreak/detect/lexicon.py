"""The lexicon: versioned term files, loaded and validated, matched with Aho-Corasick.

Terms are data (``firebreak/detect/terms/*.toml``, schema in ``codes.toml``'s
header); operators add their own files with ``--lexicon PATH`` or the
``FIREBREAK_LEXICON`` environment variable (files or directories, separated by
``os.pathsep``) without touching code.

Matching uses ``pyahocorasick`` automatons, built once per lexicon, over whole
batches (texts joined into one string, one scan each):

- **screen**: every normalised key against a cheap, offset-free normalisation of
  the batch (:func:`~firebreak.detect.normalize.screen_batch_utf8`); only rows it
  flags (usually a few percent) go through the exact passes below. Tests check
  that screening never changes the result;
- **raw**: each term as written (lower-cased) against the lower-cased text;
- **normalised**: each term's normalised key (see :mod:`firebreak.detect.normalize`),
  plus its no-space and one-space variants for multi-token terms, against the
  normalised text; the offset map turns a hit back into the original span.

A hit needs a word boundary at each end of the term that is a letter or digit
(``cp`` never fires inside ``cpu``); in the normalised text, a place where spaced-out
letters were joined (``p e d o bait`` -> ``pedobait``) is also a boundary. A normalised hit that repeats a raw hit of the
same family at the same original span is dropped; so a hit's ``form`` says
whether the term was written plainly (``raw``) or only found after
normalisation (``normalised``). Context rules (news, advocacy wording in the same
text) multiply a hit's weight by their factor.

:meth:`Lexicon.reference_match` is the brute-force reference (plain substring
search over the same texts); tests check the automatons agree with it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from firebreak.detect.lexicon_hits import (
    HIT_SCHEMA,
    NORMALISED,
    RAW,
    HitArrays,
    KeyTable,
    TermTable,
    automaton_matches,
    bounded,
    code_points,
    finish,
    word_mask,
)
from firebreak.detect.normalize import normalize, normalize_batch, normalize_text
from firebreak.detect.screen import Screen
from firebreak.errors import LexiconError

__all__ = ["CATEGORIES", "HIT_SCHEMA", "ContextRule", "Hit", "Lexicon", "Term", "load_lexicon", "normalize"]

CATEGORIES = ("explicit_hashtag", "coded_term", "emoji_code", "menu_price", "offplatform_invite", "age_claim")
BOUNDARIES = ("word", "start", "none")
ENV_VAR = "FIREBREAK_LEXICON"
_FAMILY_KEYS = {"name", "category", "weight", "ambiguous", "source", "context", "boundary", "terms"}
_TERM_KEYS = {"text", "weight", "ambiguous", "source"}
_CONTEXT_KEYS = {"name", "factor", "source", "patterns"}
#: code points for which ``str.isspace`` holds (a joined spaced-out letter leaves one of these).
_WHITESPACE = np.asarray([c for c in range(0x3100) if chr(c).isspace()], dtype=np.uint32)

#: texts matched at once by :meth:`Lexicon.match_batch_with_context` (a Polars series is sliced).
TEXT_BATCH = 500_000


@dataclass(frozen=True, slots=True)
class Term:
    """One lexicon term with its family's attributes (per-term overrides applied)."""

    text: str
    family: str
    category: str
    weight: float
    ambiguous: bool
    source: str
    context: tuple[str, ...]
    boundary: str
    file: str


@dataclass(frozen=True, slots=True)
class ContextRule:
    """Wording that lowers a hit in the same text by ``factor``."""

    name: str
    factor: float
    source: str
    patterns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Hit:
    """One term found in one text. ``span`` is ``(start, end)``, end exclusive, in code points."""

    term: str
    family: str
    category: str
    form: str  # "raw" | "normalised"
    span: tuple[int, int]
    weight: float
    ambiguous: bool
    source: str = ""
    context: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The CLI's JSON form: ``term, family, category, form, span, weight, ambiguous``."""
        return {
            "term": self.term,
            "family": self.family,
            "category": self.category,
            "form": self.form,
            "span": [self.span[0], self.span[1]],
            "weight": self.weight,
            "ambiguous": self.ambiguous,
        }


def _lower_same_length(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _as_list(texts: Sequence[str | None] | pl.Series) -> list[str]:
    if isinstance(texts, pl.Series):
        return texts.cast(pl.String).fill_null("").to_list()
    texts = list(texts)
    if None in texts:
        texts = [t if t is not None else "" for t in texts]
    return texts  # type: ignore[return-value]


def _is_word(c: str) -> bool:
    return c.isalnum()


@dataclass
class Lexicon:
    """Terms and context rules, with their automatons (built on construction)."""

    terms: list[Term]
    contexts: list[ContextRule] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    #: normalised keys of terms a reviewer rejected (discovery never reports them again).
    rejected: frozenset[str] = frozenset()
    #: the screen's matcher: "auto" (Hyperscan where installed), "hyperscan" or "aho".
    screen_engine: str = "auto"

    def __post_init__(self) -> None:
        import ahocorasick

        raw_keys: dict[str, list[int]] = {}
        norm_keys: dict[str, list[int]] = {}
        self._term_variants = [self._variants(t.text) for t in self.terms]
        for i, t in enumerate(self.terms):
            raw_keys.setdefault(t.text.lower(), []).append(i)
            for key in self._term_variants[i]:
                norm_keys.setdefault(key, []).append(i)
        self._ctx_keys: dict[str, list[int]] = {}
        for j, c in enumerate(self.contexts):
            for p in c.patterns:
                k = normalize_text(p)
                if k:
                    self._ctx_keys.setdefault(k, []).append(j)
        # automaton values are key indices into the key tables (see lexicon_hits)
        self._raw = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        raw_list = list(raw_keys)
        for idx, key in enumerate(raw_list):
            self._raw.add_word(key, idx)
        self._raw_table = KeyTable.build(raw_list, [tuple(raw_keys[k]) for k in raw_list])
        self._norm = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        norm_list = list(dict.fromkeys([*norm_keys, *self._ctx_keys]))
        for idx, key in enumerate(norm_list):
            self._norm.add_word(key, idx)
        self._norm_table = KeyTable.build(
            norm_list, [tuple(norm_keys.get(k, ())) for k in norm_list], [tuple(self._ctx_keys.get(k, ())) for k in norm_list]
        )
        self._screen_terms = Screen(list(norm_keys), self.screen_engine)
        self._screen_all = Screen([*norm_keys, *self._ctx_keys], self.screen_engine)
        self.norm_keys: list[str] = sorted(norm_keys)
        self._norm_key_set = frozenset(norm_keys)
        self.raw_keys = sorted(raw_keys)
        if raw_keys:
            self._raw.make_automaton()
        if norm_list:
            self._norm.make_automaton()
        self._has_raw = bool(raw_keys)
        self._has_norm = bool(norm_list)
        self._families = {t.family for t in self.terms}
        self._table = TermTable.build(self.terms, self.contexts)

    @staticmethod
    def _variants(text: str) -> list[str]:
        key = normalize_text(text)
        if not key:
            return []
        out = [key]
        if " " in key:
            out.append(normalize_text(key.replace(" ", "")))
        # multi-token emoji codes: also with a space between tokens ("🧀 🍕")
        if "::" in key:
            out.append(normalize_text(key.replace("::", ": :")))
        return list(dict.fromkeys(k for k in out if k))

    @property
    def version(self) -> str:
        """All loaded files' versions, ``file=version`` joined by ``;``."""
        return ";".join(f"{k}={v}" for k, v in sorted(self.versions.items()))

    def families(self) -> set[str]:
        """Names of the term families."""
        return set(self._families)

    def known(self, text: str) -> bool:
        """Whether ``text`` (a term or hashtag, any spelling) normalises to a known term key."""
        key = normalize_text(text)
        return bool(key) and key in self._norm_key_set

    # ------------------------------------------------------------------ matching
    def match(self, text: str) -> list[Hit]:
        """Hits of every term in ``text`` (raw and normalised forms), sorted by span."""
        return self.match_many([text])[0]

    def match_many(self, texts: Sequence[str | None]) -> list[list[Hit]]:
        """:meth:`match` for each text, batched (one normalisation, two automaton passes)."""
        out: list[list[Hit]] = [[] for _ in range(len(texts))]
        if not texts:
            return out
        for r, term, fam, cat, form, s, e, w, amb, src, ctx in self.match_batch(texts).iter_rows():
            out[r].append(Hit(term, fam, cat, form, (s, e), w, amb, src, ctx))
        return out

    def match_batch(self, texts: Sequence[str | None] | pl.Series) -> pl.DataFrame:
        """All hits in a batch of texts as a frame (:data:`HIT_SCHEMA`), ``row`` = index in ``texts``.

        Texts are processed in one concatenation: normalisation is vectorised
        (:func:`~firebreak.detect.normalize.normalize_batch`), each automaton
        scans the whole batch once, and hits are assembled by whole-array
        operations (:mod:`firebreak.detect.lexicon_hits`).
        """
        texts = _as_list(texts)
        if not texts:
            return pl.DataFrame(schema=HIT_SCHEMA)
        return self._finish(*self._collect_screened(texts, self._screen_terms))

    def candidates(self, texts: list[Any], screen: Screen | None = None) -> np.ndarray:
        """Rows of ``texts`` that may hold a hit (:class:`~firebreak.detect.screen.Screen`
        of the normalised keys, or of ``screen``'s keys)."""
        return (self._screen_terms if screen is None else screen).rows(texts)

    def _collect_screened(self, texts: list[Any], screen: Screen) -> tuple[HitArrays, np.ndarray, np.ndarray]:
        cand = self.candidates(texts, screen)
        if len(cand) == 0:
            z = np.zeros(0, dtype=np.int64)
            return HitArrays.empty(), z, z
        if len(cand) == len(texts):
            return self._collect(texts)
        hits, crow, crule = self._collect([texts[i] for i in cand.tolist()])
        return hits.remap_rows(cand), cand[crow], crule

    def match_batch_with_context(self, texts: Sequence[str | None] | pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
        """:meth:`match_batch` plus every text's context wording: ``(hits, contexts)``
        where ``contexts`` has columns ``row, context, factor`` (texts with no hit too).

        A Polars series longer than :data:`TEXT_BATCH` is matched a slice at a time (each
        text's hits depend on that text alone): only one slice is ever a Python list, and
        its normalised concatenation, at once.
        """
        if isinstance(texts, pl.Series) and texts.len() > TEXT_BATCH:
            parts = [self.match_batch_with_context(texts.slice(at, TEXT_BATCH)) for at in range(0, texts.len(), TEXT_BATCH)]
            offsets = range(0, texts.len(), TEXT_BATCH)
            return (
                pl.concat([h.with_columns(pl.col("row") + at) for (h, _), at in zip(parts, offsets, strict=True)]),
                pl.concat([c.with_columns(pl.col("row") + at) for (_, c), at in zip(parts, offsets, strict=True)]),
            )
        texts = _as_list(texts)
        schema = {"row": pl.Int64, "context": pl.String, "factor": pl.Float64}
        if not texts:
            return pl.DataFrame(schema=HIT_SCHEMA), pl.DataFrame(schema=schema)
        hits, crow, crule = self._collect_screened(texts, self._screen_all)
        pairs = np.unique(np.stack([crow, crule], axis=1), axis=0) if len(crow) else np.zeros((0, 2), dtype=np.int64)
        t = self._table
        ctx = pl.DataFrame(
            {
                "row": pairs[:, 0],
                "context": pl.Series(t.ctx_name, dtype=pl.String).gather(pairs[:, 1]),
                "factor": t.ctx_factor[pairs[:, 1]],
            },
            schema=schema,
        )
        return self._finish(hits, crow, crule), ctx

    def _collect(self, texts: list[Any]) -> tuple[HitArrays, np.ndarray, np.ndarray]:
        """Every term occurrence in ``texts`` (raw and normalised passes, boundaries
        checked), and the context rules found per row: ``(hits, ctx_rows, ctx_rules)``."""
        n = len(texts)
        # the original texts joined by "\n", and where each row starts in it
        raw = "\n".join(texts)
        rstart = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n) + 1, out=rstart[1:])
        parts: list[HitArrays] = []
        bnd = self._table.boundary
        ctx_row = ctx_rule = np.zeros(0, dtype=np.int64)
        if self._has_norm:
            nb = normalize_batch(texts)
            ends, keys = automaton_matches(self._norm, nb.text)
            if len(ends):
                word = word_mask(code_points(nb.text))
                cs, ce, rule = self._norm_table.ctx_matches(ends, keys)
                if len(rule):
                    ok = bounded(word, cs, ce, np.zeros(len(rule), dtype=np.int8))
                    ctx_row = np.searchsorted(nb.row_start, cs[ok], side="right") - 1
                    ctx_rule = rule[ok]
                s, e, term = self._norm_table.term_matches(ends, keys)
                if len(term):
                    r = np.searchsorted(nb.row_start, s, side="right") - 1
                    ok = bounded(word, s, e, bnd[term])
                    retry = np.flatnonzero(~ok)
                    if len(retry):  # an edge inside a word may be where spaced-out letters were joined
                        gaps = self._joined_gaps(raw, rstart, nb, r[retry], s[retry], e[retry])
                        ok[retry] = bounded(word, s[retry], e[retry], bnd[term[retry]], *gaps)
                    parts.append(HitArrays(r[ok], term[ok], np.full(int(ok.sum()), NORMALISED, dtype=np.int64), nb.starts[s[ok]], nb.ends[e[ok] - 1]))
        if self._has_raw:
            ends, keys = automaton_matches(self._raw, _lower_same_length(raw))
            if len(ends):
                s, e, term = self._raw_table.term_matches(ends, keys)
                ok = bounded(word_mask(code_points(raw)), s, e, bnd[term])
                s, e, term = s[ok], e[ok], term[ok]
                r = np.searchsorted(rstart, s, side="right") - 1
                parts.append(HitArrays(r, term, np.full(len(term), RAW, dtype=np.int64), s - rstart[r], e - rstart[r]))
        return HitArrays.concat(parts), ctx_row, ctx_rule

    @staticmethod
    def _joined_gaps(raw: str, rstart: np.ndarray, nb: Any, r: np.ndarray, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For normalised matches ``[s, e)`` in rows ``r`` of batch ``nb``: whether the
        original text (``raw``, the rows joined by ``"\n"``, row ``i`` starting at
        ``rstart[i]``) has whitespace between the normalised characters on either side of
        the start and of the end (spaced-out letters joined there)."""
        last = len(nb.starts) - 1
        edges = np.concatenate([s, e])
        lo, hi = nb.ends[np.maximum(edges - 1, 0)], nb.starts[np.minimum(edges, last)]
        out = np.zeros(len(edges), dtype=bool)
        need = np.flatnonzero(hi > lo)  # original characters lie between the two (deleted or joined)
        if len(need):
            base = rstart[np.concatenate([r, r])[need]]
            width = (hi - lo)[need]
            which = np.repeat(np.arange(len(need)), width)
            at = np.repeat(base + lo[need], width) + (np.arange(int(width.sum())) - np.repeat(np.cumsum(width) - width, width))
            out[need[np.unique(which[np.isin(code_points(raw)[at], _WHITESPACE)])]] = True
        return out[: len(s)], out[len(s) :]

    @staticmethod
    def _bounded(text: str, s: int, e: int, boundary: str) -> bool:
        if boundary == "none":
            return True
        if s > 0 and _is_word(text[s]) and _is_word(text[s - 1]):
            return False
        if boundary == "start":
            return True
        return not (e < len(text) and _is_word(text[e - 1]) and _is_word(text[e]))

    @classmethod
    def _bounded_norm(cls, ntext: str, s: int, e: int, boundary: str, orig: str, starts: np.ndarray, ends: np.ndarray) -> bool:
        """:meth:`_bounded` on normalised text, where a place at which spaced-out letters
        were joined (whitespace between the two characters in ``orig``) also counts as a
        word boundary: ``c h e e s e p i z z a see`` normalises to one word."""
        if cls._bounded(ntext, s, e, boundary):
            return True
        if boundary == "none":
            return True

        def gap(i: int) -> bool:  # whitespace in the original between normalised chars i-1 and i
            return any(c.isspace() for c in orig[int(ends[i - 1]) : int(starts[i])])

        if s > 0 and _is_word(ntext[s]) and _is_word(ntext[s - 1]) and not gap(s):
            return False
        if boundary == "start":
            return True
        return not (e < len(ntext) and _is_word(ntext[e - 1]) and _is_word(ntext[e]) and not gap(e))

    def _finish(self, hits: HitArrays, ctx_row: np.ndarray, ctx_rule: np.ndarray) -> pl.DataFrame:
        return finish(hits, ctx_row, ctx_rule, self._table)

    # ------------------------------------------------------------------ reference
    def reference_match(self, text: str) -> set[tuple[str, str, int, int]]:
        """Brute-force reference: ``(term, form, start, end)`` for every term occurrence,
        by plain ``str.find`` over the lower-cased and the normalised text, same boundary
        rules, before de-duplication. The automatons must agree with it."""
        out: set[tuple[str, str, int, int]] = set()
        low = _lower_same_length(text)
        nz = normalize(text)
        for t, variants in zip(self.terms, self._term_variants, strict=True):
            key = t.text.lower()
            k = low.find(key)
            while k >= 0:
                if self._bounded(text, k, k + len(key), t.boundary):
                    out.add((t.text, "raw", k, k + len(key)))
                k = low.find(key, k + 1)
            for v in variants:
                k = nz.text.find(v)
                while k >= 0:
                    if self._bounded_norm(nz.text, k, k + len(v), t.boundary, text, nz.starts, nz.ends):
                        out.add((t.text, "normalised", *nz.span(k, k + len(v))))
                    k = nz.text.find(v, k + 1)
        return out

    def occurrences(self, texts: Sequence[str]) -> set[tuple[int, str, str, int, int]]:
        """Every ``(row, term, form, start, end)`` the automatons find, before
        de-duplication (for agreement tests with :meth:`reference_match`)."""
        h, _, _ = self._collect(list(texts))
        forms = ("raw", "normalised")
        return {
            (r, self.terms[i].text, forms[f], s, e)
            for r, i, f, s, e in zip(h.row.tolist(), h.term.tolist(), h.form.tolist(), h.start.tolist(), h.end.tolist(), strict=True)
        }


def _packaged_files() -> list[Path]:
    root = resources.files("firebreak.detect.terms")
    return sorted((Path(str(p)) for p in root.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)


def _expand(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files = sorted(path.glob("*.toml"))
            if not files:
                raise LexiconError(f"lexicon directory {path} holds no *.toml term files")
            out.extend(files)
        elif path.is_file():
            out.append(path)
        else:
            raise LexiconError(f"lexicon path {path} does not exist")
    return out


def _num(v: object, where: str, lo: float, hi: float, lo_open: bool) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise LexiconError(f"{where}: must be a number, got {v!r}")
    if (v <= lo if lo_open else v < lo) or v > hi:
        raise LexiconError(f"{where}: {v!r} is out of range ({'(' if lo_open else '['}{lo}, {hi}])")
    return float(v)


def _str(v: object, where: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise LexiconError(f"{where}: must be a non-empty string, got {v!r}")
    return v


#: family of terms a reviewer promoted from discovery (``firebreak terms promote``).
PROMOTED_FAMILY = "reviewer-promoted"
PROMOTED_WEIGHT = 0.6
_REVIEW_KEYS = {"term", "reviewer", "date", "note", "weight"}


def _review_entries(path: Path, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list):
        raise LexiconError(f"lexicon file {path}: {key!r} must be an array of tables ([[{key}]])")
    for k, it in enumerate(items):
        where = f"lexicon file {path}: {key} #{k + 1}"
        if not isinstance(it, dict):
            raise LexiconError(f"{where}: must be a table")
        unknown = set(it) - _REVIEW_KEYS
        if unknown:
            raise LexiconError(f"{where}: unknown key(s) {sorted(unknown)}")
        term = _str(it.get("term"), f"{where}: 'term'")
        if not normalize_text(term):
            raise LexiconError(f"{where}: term {term!r} normalises to nothing")
        if "weight" in it:
            _num(it["weight"], f"{where}: 'weight'", 0.0, 1.0, True)
    return items


def _parse_file(path: Path) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]], tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise LexiconError(f"lexicon file {path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"lexicon file {path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise LexiconError(f"lexicon file {path}: cannot read ({exc.strerror})") from None
    unknown = set(data) - {"version", "family", "context", "promoted", "rejected"}
    if unknown:
        raise LexiconError(f"lexicon file {path}: unknown top-level key(s) {sorted(unknown)}")
    version = _str(data.get("version"), f"lexicon file {path}: 'version'")
    fams, ctxs = data.get("family", []), data.get("context", [])
    if not isinstance(fams, list) or not isinstance(ctxs, list):
        raise LexiconError(f"lexicon file {path}: 'family' and 'context' must be arrays of tables ([[family]])")
    return version, fams, ctxs, (_review_entries(path, data, "promoted"), _review_entries(path, data, "rejected"))


def load_lexicon(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None, *, packaged: bool = True) -> Lexicon:
    """Load the packaged term files, then operator files, into a :class:`Lexicon`.

    ``paths``: a file or directory (its ``*.toml``), or a list of them; ``None``
    means only the packaged files plus whatever ``FIREBREAK_LEXICON`` names.
    ``packaged=False`` skips the packaged files. Raises :class:`LexiconError`
    (one line, naming the file and family) on any malformed file.

    >>> [(h.term, h.category, h.form) for h in load_lexicon().match("new set #p3d0bait")]
    [('pedobait', 'explicit_hashtag', 'normalised')]
    """
    files = _packaged_files() if packaged else []
    env = os.environ.get(ENV_VAR, "")
    if env.strip():
        files += _expand(p for p in env.split(os.pathsep) if p.strip())
    if paths is not None:
        if isinstance(paths, str | os.PathLike):
            paths = [paths]
        files += _expand(paths)
    if not files:
        raise LexiconError("no lexicon files to load")
    versions: dict[str, str] = {}
    raw_fams: list[tuple[Path, int, dict[str, Any]]] = []
    contexts: dict[str, ContextRule] = {}
    reviews: list[tuple[Path, tuple[list[dict[str, Any]], list[dict[str, Any]]]]] = []
    for path in files:
        version, fams, ctxs, review = _parse_file(path)
        reviews.append((path, review))
        versions[path.name] = version
        for k, c in enumerate(ctxs):
            where = f"lexicon file {path}: context #{k + 1}"
            if not isinstance(c, dict):
                raise LexiconError(f"{where}: must be a table")
            unknown = set(c) - _CONTEXT_KEYS
            if unknown:
                raise LexiconError(f"{where}: unknown key(s) {sorted(unknown)}")
            name = _str(c.get("name"), f"{where}: 'name'")
            pats = c.get("patterns")
            if not isinstance(pats, list) or not pats:
                raise LexiconError(f"{where} ({name}): 'patterns' must be a non-empty list of strings")
            rule = ContextRule(
                name,
                _num(c.get("factor"), f"{where} ({name}): 'factor'", 0.0, 1.0, False),
                _str(c.get("source"), f"{where} ({name}): 'source'"),
                tuple(_str(p, f"{where} ({name}): pattern") for p in pats),
            )
            if name in contexts:  # a later file extends a rule's patterns
                old = contexts[name]
                rule = ContextRule(name, min(old.factor, rule.factor), old.source, old.patterns + rule.patterns)
            contexts[name] = rule
        raw_fams.extend((path, k, f) for k, f in enumerate(fams))
    terms: list[Term] = []
    names: dict[str, Path] = {}
    for path, k, f in raw_fams:
        where = f"lexicon file {path}: family #{k + 1}"
        if not isinstance(f, dict):
            raise LexiconError(f"{where}: must be a table")
        name = _str(f.get("name"), f"{where}: 'name'")
        where = f"lexicon file {path}: family {name!r}"
        unknown = set(f) - _FAMILY_KEYS
        if unknown:
            raise LexiconError(f"{where}: unknown key(s) {sorted(unknown)}")
        if name in names:
            raise LexiconError(f"{where}: duplicate family name (already in {names[name]})")
        names[name] = path
        category = f.get("category")
        if category not in CATEGORIES:
            raise LexiconError(f"{where}: 'category' must be one of {', '.join(CATEGORIES)}, got {category!r}")
        weight = _num(f.get("weight"), f"{where}: 'weight'", 0.0, 1.0, True)
        ambiguous = f.get("ambiguous", False)
        if not isinstance(ambiguous, bool):
            raise LexiconError(f"{where}: 'ambiguous' must be true or false")
        source = _str(f.get("source"), f"{where}: 'source'")
        boundary = f.get("boundary", "word")
        if boundary not in BOUNDARIES:
            raise LexiconError(f"{where}: 'boundary' must be one of {', '.join(BOUNDARIES)}, got {boundary!r}")
        ctx = f.get("context", list(contexts))
        if not isinstance(ctx, list) or any(c not in contexts for c in ctx):
            raise LexiconError(f"{where}: 'context' must list defined context rules ({', '.join(contexts) or 'none defined'}), got {ctx!r}")
        items = f.get("terms")
        if not isinstance(items, list) or not items:
            raise LexiconError(f"{where}: 'terms' must be a non-empty list")
        for j, item in enumerate(items):
            tw, ta, ts = weight, ambiguous, source
            if isinstance(item, dict):
                unknown = set(item) - _TERM_KEYS
                if unknown:
                    raise LexiconError(f"{where}: term #{j + 1}: unknown key(s) {sorted(unknown)}")
                text = _str(item.get("text"), f"{where}: term #{j + 1}: 'text'")
                if "weight" in item:
                    tw = _num(item["weight"], f"{where}: term {text!r}: 'weight'", 0.0, 1.0, True)
                if "ambiguous" in item:
                    ta = item["ambiguous"]
                    if not isinstance(ta, bool):
                        raise LexiconError(f"{where}: term {text!r}: 'ambiguous' must be true or false")
                if "source" in item:
                    ts = _str(item["source"], f"{where}: term {text!r}: 'source'")
            else:
                text = _str(item, f"{where}: term #{j + 1}")
            if "\n" in text:
                raise LexiconError(f"{where}: term {text!r} spans lines")
            if not normalize_text(text):
                raise LexiconError(f"{where}: term {text!r} normalises to nothing (only punctuation or invisible characters)")
            terms.append(Term(text, name, category, tw, ta, ts, tuple(ctx), boundary, path.name))
    rejected: set[str] = set()
    promoted: dict[str, Term] = {}
    for path, (prom, rej) in reviews:
        for it in prom:
            src = "reviewer promotion" + "".join(f", {k} {it[k]}" for k in ("reviewer", "date", "note") if it.get(k))
            w = float(it.get("weight", PROMOTED_WEIGHT))
            promoted[normalize_text(it["term"])] = Term(it["term"], PROMOTED_FAMILY, "coded_term", w, False, src, tuple(contexts), "word", path.name)
        rejected.update(normalize_text(it["term"]) for it in rej)
    # a term both promoted and rejected (in any files) stays out of the lexicon
    terms.extend(t for k, t in promoted.items() if k not in rejected)
    return Lexicon(terms, list(contexts.values()), versions, frozenset(rejected))
