"""The guard: the safety layer any recommender or search calls on its candidates.

Rules (each decision is counted under its reason, see :data:`REASONS`):

* accounts the scan flagged (role seller or buyer), members of flagged
  networks and accounts whose risk reaches ``risk_threshold`` are never
  recommended and never returned by search; accounts under review are held
  back the same way;
* "similar to X" generation is suppressed when the seed X is itself blocked
  (``suppress_flagged_seeds``), as the safety filter must sit on the
  candidate source;
* a viewer with buyer-like signals is never shown minors' accounts, and
  minors are never shown an account with buyer-like signals;
* a search whose normalised query hits the lexicon, or a term the scan
  discovered, returns nothing but a help-resources notice: there is no way to
  see the results anyway.

Like a scikit-learn estimator, the constructor only stores parameters and
:meth:`Guard.fit` sets the fitted state (names ending in ``_``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from firebreak.evidence import BUYER_BEHAVIOUR
from firebreak.graph.ids import IdMap
from firebreak.guard.decisions import CODE, DecisionLog
from firebreak.guard.matrices import drop_entries, row_ids

_BUYER_VALUES = sorted(s.value for s in BUYER_BEHAVIOUR)
#: lexicon categories whose ambiguous terms still block a search that is the code itself.
_EXACT_CATEGORIES = frozenset({"coded_term", "emoji_code", "explicit_hashtag", "age_claim"})
_BLOCKED_BIT = np.uint8(1)
_MINOR_BIT = np.uint8(2)
_BUYER_BIT = np.uint8(4)

HELP_NOTICE = (
    "No results are shown for this search. It may be linked to the sexual abuse of children, "
    "which causes severe harm and is illegal. If you are worried about a child, or about your own "
    "thoughts or behaviour, confidential help is available: Stop It Now (stopitnow.org), "
    "the NCMEC CyberTipline (report.cybertip.org) and the Internet Watch Foundation (iwf.org.uk)."
)

_SEP = re.compile(r"[\W_]+", re.UNICODE)


class LexiconLike(Protocol):
    """What the guard needs of :class:`firebreak.detect.lexicon.Lexicon`."""

    def match(self, text: str) -> list[Any]: ...

    def match_many(self, texts: Sequence[str | None]) -> list[list[Any]]: ...


@dataclass(frozen=True, slots=True)
class SearchDecision:
    """The guard's verdict on a search query: ``blocked`` with its ``reason`` and the ``notice`` to show."""

    query: str
    blocked: bool
    reason: str | None = None
    term: str | None = None
    notice: str | None = None


class Guard(BaseEstimator):
    """Keeps flagged accounts out of recommendations and search, and coded searches empty.

    Parameters
    ----------
    risk_threshold: accounts whose scan risk is at least this are blocked whatever their role.
    suspicion_threshold: accounts whose risk is at least this count as buyer-like for the
        minors rule (kept apart from minors in both directions) even if not blocked.
    hold_under_review: hold back accounts passed as ``under_review`` to :meth:`fit`.
    protect_minors: apply the minors rule.
    suppress_flagged_seeds: drop blocked accounts from a recommender's seeds ("because you viewed X").
    block_search_terms: answer coded searches with the help notice only.
    ambiguous_search: how lexicon terms marked ambiguous (innocent uses abound: "cheese pizza",
        "menu") treat a search: ``"exact"`` blocks a search that is the code itself
        ("#cheesepizza", "c*p", an emoji code) but not one that merely contains it
        ("cheese pizza near me"), and never blocks on selling words alone; ``"any"`` blocks
        every hit; ``"never"`` blocks only unambiguous terms.

    The fitted guard never changes when used. To count (or record) its refusals, use
    :meth:`logged`, which returns a guard sharing the fitted state and writing into a
    :class:`~firebreak.guard.decisions.DecisionLog`.
    """

    def __init__(
        self,
        risk_threshold: float = 0.5,
        suspicion_threshold: float = 0.25,
        hold_under_review: bool = True,
        protect_minors: bool = True,
        suppress_flagged_seeds: bool = True,
        block_search_terms: bool = True,
        ambiguous_search: str = "exact",
    ) -> None:
        self.risk_threshold = risk_threshold
        self.suspicion_threshold = suspicion_threshold
        self.hold_under_review = hold_under_review
        self.protect_minors = protect_minors
        self.suppress_flagged_seeds = suppress_flagged_seeds
        self.block_search_terms = block_search_terms
        self.ambiguous_search = ambiguous_search

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        ids: IdMap,
        scores: pl.DataFrame | None = None,
        *,
        networks: pl.DataFrame | None = None,
        terms: pl.DataFrame | None = None,
        minor: np.ndarray | None = None,
        under_review: Iterable[str] = (),
        lexicon: LexiconLike | None = None,
    ) -> Guard:
        """Learn who is blocked from scan results.

        ``scores``: rows ``account, risk, role, network[, evidence]`` (``scores.jsonl``).
        ``networks``: rows ``id, members`` (``networks.jsonl``); every member is blocked.
        ``terms``: rows ``term, known`` (``terms.jsonl``); every discovered term (``known: false``) joins
        the blocked search terms (known ones are the lexicon's).
        ``minor``: boolean per account (``age_group == "minor"``).
        ``under_review``: account ids held back while a reviewer decides.
        ``lexicon``: the coded-term lexicon (default: ``firebreak.detect.lexicon.load_lexicon()``).
        """
        n = ids.n
        self.n_ = n
        reason = np.zeros(n, dtype=np.int8)
        buyer_like = np.zeros(n, dtype=bool)
        if scores is not None and scores.height:
            sc = scores
            idx = ids.encode(sc.get_column("account"))
            ok = idx >= 0
            role = sc.get_column("role").fill_null("none").to_numpy()[ok] if "role" in sc.columns else None
            risk = (
                sc.get_column("risk").cast(pl.Float64).fill_null(0.0).to_numpy()[ok]
                if "risk" in sc.columns
                else np.zeros(int(ok.sum()))
            )
            net = (
                sc.get_column("network").is_not_null().to_numpy()[ok]
                if "network" in sc.columns
                else np.zeros(int(ok.sum()), dtype=bool)
            )
            i = idx[ok]
            codes = np.zeros(i.size, dtype=np.int8)
            # lowest-priority first so higher-priority reasons overwrite
            codes[risk >= self.risk_threshold] = CODE["risk_above_threshold"]
            codes[net] = CODE["flagged_network"]
            if role is not None:
                codes[role == "buyer"] = CODE["flagged_buyer"]
                codes[role == "seller"] = CODE["flagged_seller"]
                buyer_like[i[(role == "buyer") | (role == "seller")]] = True
            buyer_like[i[risk >= self.suspicion_threshold]] = True
            ev_type = sc.schema.get("evidence")
            if isinstance(ev_type, pl.List) and isinstance(ev_type.inner, pl.Struct):
                buyerish = _buyerish_evidence(sc.filter(pl.Series(ok)))
                buyer_like[i[buyerish]] = True
            _merge(reason, i, codes)
        if networks is not None and networks.height and "members" in networks.columns:
            members = networks.select(pl.col("members").explode().drop_nulls()).to_series()
            m = ids.encode(members)
            _merge(reason, m[m >= 0], np.full(int((m >= 0).sum()), CODE["flagged_network"], np.int8))
            buyer_like[m[m >= 0]] = True
        self.review_ = np.zeros(n, dtype=bool)
        if self.hold_under_review:
            r = ids.encode(pl.Series("id", list(under_review), dtype=pl.String))
            self.review_[r[r >= 0]] = True
            reason[self.review_ & (reason == 0)] = CODE["under_review"]
        self.reason_ = reason
        self.blocked_ = reason > 0
        self.buyer_like_ = buyer_like
        self.minor_ = np.zeros(n, dtype=bool) if minor is None else np.asarray(minor, dtype=bool)
        # one byte per account, so one gather per candidate answers every rule
        self.bits_ = (self.blocked_ * _BLOCKED_BIT | self.minor_ * _MINOR_BIT | self.buyer_like_ * _BUYER_BIT).astype(
            np.uint8
        )
        self.lexicon_ = lexicon
        if self.block_search_terms and lexicon is None:
            from firebreak.detect.lexicon import load_lexicon

            self.lexicon_ = load_lexicon()
        self.terms_ = _TermMatcher(_term_list(terms))
        self.log_: DecisionLog | None = None
        return self

    def logged(self, log: DecisionLog) -> Guard:
        """This fitted guard, writing each refusal into ``log`` (the guard itself is left unchanged)."""
        clone = copy.copy(self)
        clone.log_ = log
        return clone

    # ------------------------------------------------------------ candidates
    def refused(
        self,
        rows: np.ndarray,
        candidates: np.ndarray,
        viewers: np.ndarray,
        *,
        viewer_minor: np.ndarray | None = None,
        viewer_buyer_like: np.ndarray | None = None,
        surface: str = "recommendations",
        indptr: np.ndarray | None = None,
    ) -> np.ndarray:
        """Boolean per pair ``(viewers[rows[i]], candidates[i])``: True where the guard refuses to show it.

        ``viewers`` holds one dense index per request (``-1`` for an account outside
        the platform, a fresh test account); ``viewer_minor``/``viewer_buyer_like``
        (aligned with ``viewers``) add what the platform knows of outside viewers.
        ``indptr``: when the pairs are a CSR matrix's entries (``rows`` its row ids),
        its row pointers, so only protected viewers' rows are examined for the minors rule.
        Each refusal is counted under its reason.
        """
        viewers = np.asarray(viewers, dtype=np.int64)
        candidates = np.asarray(candidates)
        bits = self.bits_.take(candidates)
        bad = (bits & _BLOCKED_BIT).view(bool)
        if self.protect_minors:
            forbid = self._forbidden(viewers, viewer_minor, viewer_buyer_like)
            if forbid.any():
                if indptr is None:
                    bad = (bits & (forbid | _BLOCKED_BIT)[rows]) != 0
                else:  # only the rows of protected viewers are looked at again
                    fr = np.flatnonzero(forbid)
                    lens = (indptr[fr + 1] - indptr[fr]).astype(np.int64)
                    total = int(lens.sum())
                    pos = np.repeat(indptr[fr].astype(np.int64) - (np.cumsum(lens) - lens), lens) + np.arange(total)
                    bad[pos] |= (bits[pos] & np.repeat(forbid[fr], lens)) != 0
        hit = np.flatnonzero(bad)
        if hit.size:
            cand = candidates.take(hit)
            code = self.reason_.take(cand)
            code[code == 0] = CODE["minor_protection"]
            who = viewers.take(np.asarray(rows).take(hit)) if self.log_ is not None and self.log_.record else None
            self._log(code, who, cand, surface)
        return bad

    def refusals_for(self, viewer: int, candidates: np.ndarray, *, surface: str = "recommendations") -> np.ndarray:
        """Per candidate, the reason code (:data:`~firebreak.guard.decisions.CODE`) refusing it to ``viewer``; 0: shown.

        One viewer (a dense index, ``-1`` outside the platform) and a 1-D array of candidate
        indices, ``-1`` for accounts the guard does not know (always shown): the same decisions
        as :meth:`refused`, in one pass, for a single request such as the HTTP guard's.
        Each refusal is counted under its reason.
        """
        cand = np.asarray(candidates, dtype=np.int64)
        known = cand >= 0
        safe = np.where(known, cand, 0)
        mask = _BLOCKED_BIT
        if self.protect_minors and viewer >= 0:
            mask = mask | (_MINOR_BIT * self.buyer_like_[viewer]) | (_BUYER_BIT * self.minor_[viewer])
        bad = ((self.bits_.take(safe) & mask) != 0) & known
        code = np.where(bad, self.reason_.take(safe), 0).astype(np.int8)
        code[bad & (code == 0)] = CODE["minor_protection"]
        if self.log_ is not None and bad.any():
            hit = code[bad]
            who = np.full(hit.size, viewer, dtype=np.int64) if self.log_.record else None
            self._log(hit, who, cand[bad], surface)
        return code

    def _forbidden(
        self, viewers: np.ndarray, viewer_minor: np.ndarray | None, viewer_buyer_like: np.ndarray | None
    ) -> np.ndarray:
        """Per viewer, the attribute bits it must not be shown (minor -> buyer-like, buyer-like -> minor)."""
        inside = viewers >= 0
        vi = np.where(inside, viewers, 0)
        vminor = inside & self.minor_[vi]
        vbuyer = inside & self.buyer_like_[vi]
        if viewer_minor is not None:
            vminor = vminor | np.asarray(viewer_minor, dtype=bool)
        if viewer_buyer_like is not None:
            vbuyer = vbuyer | np.asarray(viewer_buyer_like, dtype=bool)
        return np.asarray(((vbuyer * _MINOR_BIT) | (vminor * _BUYER_BIT)).astype(np.uint8))

    def allowed(
        self,
        viewers: np.ndarray,
        candidates: np.ndarray,
        *,
        viewer_minor: np.ndarray | None = None,
        viewer_buyer_like: np.ndarray | None = None,
        surface: str = "recommendations",
    ) -> np.ndarray:
        """Boolean mask over aligned ``(viewer, candidate)`` index arrays: True where the pair may be shown.

        ``viewers`` may hold ``-1`` for viewers outside the platform (fresh
        accounts); their age and buyer-likeness then come from
        ``viewer_minor``/``viewer_buyer_like`` (aligned arrays) or default to
        adult, not buyer-like. Refused pairs are counted per reason.
        """
        viewers = np.asarray(viewers, dtype=np.int64)
        return ~self.refused(
            np.arange(viewers.size),
            candidates,
            viewers,
            viewer_minor=viewer_minor,
            viewer_buyer_like=viewer_buyer_like,
            surface=surface,
        )

    def filter_csr(
        self,
        viewers: np.ndarray,
        candidates: sp.csr_matrix,
        *,
        viewer_minor: np.ndarray | None = None,
        viewer_buyer_like: np.ndarray | None = None,
        surface: str = "recommendations",
    ) -> sp.csr_matrix:
        """A candidate score matrix (one row per viewer) without the entries the guard refuses."""
        bad = self.refused(
            row_ids(candidates),
            candidates.indices,
            np.asarray(viewers, dtype=np.int64),
            viewer_minor=viewer_minor,
            viewer_buyer_like=viewer_buyer_like,
            surface=surface,
            indptr=candidates.indptr,
        )
        return drop_entries(candidates, bad)

    def filter_ranked(
        self,
        viewers: np.ndarray,
        idx: np.ndarray,
        *,
        viewer_minor: np.ndarray | None = None,
        viewer_buyer_like: np.ndarray | None = None,
        surface: str = "recommendations",
    ) -> np.ndarray:
        """A ranked candidate array ``(viewers, m)`` (``-1`` = empty) with refused entries set to ``-1``.

        For recommenders that produce dense top-m arrays: over-fetch, filter, keep the first k.
        """
        idx = np.asarray(idx, dtype=np.int64)
        r, c = np.nonzero(idx >= 0)
        bad = self.refused(
            r,
            idx[r, c],
            np.asarray(viewers, dtype=np.int64),
            viewer_minor=viewer_minor,
            viewer_buyer_like=viewer_buyer_like,
            surface=surface,
        )
        out = idx.copy()
        out[r[bad], c[bad]] = -1
        return out

    def mask_seeds(self, seeds: sp.csr_matrix, viewers: np.ndarray | None = None) -> sp.csr_matrix:
        """Seeds (rows: viewers, columns: followed/viewed accounts) without blocked accounts.

        "Because you viewed X" must not generate from X when X is blocked.
        """
        if not self.suppress_flagged_seeds or seeds.nnz == 0:
            return seeds
        drop = self.blocked_[seeds.indices]
        if drop.any():
            rows = row_ids(seeds)[drop]
            v = rows if viewers is None else np.asarray(viewers, dtype=np.int64)[rows]
            self._log(np.full(int(drop.sum()), CODE["flagged_seed"], np.int8), v, seeds.indices[drop], "seeds")
        return drop_entries(seeds, drop)

    # ----------------------------------------------------------------- search
    def check_query(self, query: str) -> SearchDecision:
        """Whether a search query may run: blocked when its normalised form hits the lexicon or a discovered term."""
        reason, term = self._query_hit(query)
        if reason is None:
            return SearchDecision(query, False)
        self._log(np.array([CODE[reason]], np.int8), np.array([-1]), np.array([-1]), "search")
        return SearchDecision(query, True, reason, term, HELP_NOTICE)

    def hidden_terms(self, terms: list[str]) -> np.ndarray:
        """Boolean per hashtag: True for those a search would block; they never appear in results or autofill."""
        if not self.block_search_terms or not terms or self.lexicon_ is None:
            return np.zeros(len(terms), dtype=bool)
        hits = self.lexicon_.match_many(terms)
        hidden = np.array([self._query_hit(t, h)[0] is not None for t, h in zip(terms, hits, strict=True)], dtype=bool)
        if hidden.any():
            code = np.full(int(hidden.sum()), CODE["search_hashtag_hidden"], np.int8)
            self._log(code, np.full(code.size, -1), np.full(code.size, -1), "search")
        return hidden

    def _query_hit(self, query: str, hits: list[Any] | None = None) -> tuple[str | None, str | None]:
        """``(reason, term)`` when ``query`` must be blocked, else ``(None, None)``; ``hits``: its lexicon hits if known."""
        if not self.block_search_terms:
            return None, None
        if self.lexicon_ is not None:
            whole = _squash(query)
            for hit in self.lexicon_.match(query) if hits is None else hits:
                if not hit.ambiguous:
                    return "search_lexicon_term", hit.term
                if self.ambiguous_search == "any" or (
                    self.ambiguous_search == "exact"
                    and hit.category in _EXACT_CATEGORIES
                    and whole == _squash(hit.term)
                ):
                    return "search_lexicon_term", hit.term
        norm = _normalize(query)
        for text in (norm, _squash(query)):
            term = self.terms_.find(text)
            if term is not None:
                return "search_discovered_term", term
        return None, None

    # -------------------------------------------------------------------- log
    def _log(self, code: np.ndarray, viewers: np.ndarray | None, accounts: np.ndarray, surface: str) -> None:
        if self.log_ is not None:
            self.log_.add(code, viewers, accounts, surface)


def _merge(reason: np.ndarray, idx: np.ndarray, codes: np.ndarray) -> None:
    """Set ``reason[idx]`` to the highest-priority (lowest nonzero) of the old and new codes."""
    pr = np.where(reason == 0, 99, reason).astype(np.int16)
    np.minimum.at(pr, idx, np.where(codes == 0, 99, codes).astype(np.int16))
    reason[:] = np.where(pr == 99, 0, pr).astype(np.int8)


def _buyerish_evidence(scores: pl.DataFrame) -> np.ndarray:
    """True for score rows whose evidence has a buyer-behaviour signal (:data:`~firebreak.evidence.BUYER_BEHAVIOUR`)."""
    ev = scores.select(pl.int_range(pl.len()).alias("_row"), pl.col("evidence")).explode("evidence")
    ev = ev.filter(pl.col("evidence").is_not_null())
    if ev.height == 0:
        return np.zeros(scores.height, dtype=bool)
    sig = ev.select("_row", pl.col("evidence").struct.field("signal").cast(pl.String).alias("s"))
    hits = sig.filter(pl.col("s").is_in(_BUYER_VALUES))
    out = np.zeros(scores.height, dtype=bool)
    out[hits.get_column("_row").to_numpy()] = True
    return out


def _term_list(terms: pl.DataFrame | Iterable[str] | None) -> list[str]:
    if terms is None:
        return []
    if isinstance(terms, pl.DataFrame):
        if terms.height == 0 or "term" not in terms.columns:
            return []
        if "known" in terms.columns:
            terms = terms.filter(~pl.col("known").fill_null(False))
        return terms.get_column("term").drop_nulls().to_list()
    return [t for t in terms if t]


def _normalize(text: str) -> str:
    from firebreak.detect.normalize import normalize_text

    return normalize_text(text)


def _squash(text: str) -> str:
    """The normalised key of ``text`` without separators: ``"#Cheese P.i.z.z.a"`` and ``"cheesepizza"`` meet."""
    return _normalize("".join(t for t in _SEP.split(_normalize(text)) if t))


class _TermMatcher:
    """Whole-token matching of discovered terms in normalised text (Aho-Corasick over the terms)."""

    def __init__(self, terms: list[str]) -> None:
        import ahocorasick

        self.auto: Any = None
        keys: dict[str, str] = {}
        for term in terms:
            norm = _normalize(term.lstrip("#"))
            squashed = _squash(norm)
            for key in {norm.strip(), squashed}:
                if len(key) >= 2:
                    keys.setdefault(key, term)
        if keys:
            self.auto = ahocorasick.Automaton()
            for key, term in keys.items():
                self.auto.add_word(key, (key, term))
            self.auto.make_automaton()

    def find(self, text: str) -> str | None:
        """The first discovered term found as whole tokens in ``text`` (normalised), or None."""
        if self.auto is None:
            return None
        norm = _normalize(text)
        for end, (key, term) in self.auto.iter(norm):
            start = end - len(key) + 1
            before = norm[start - 1] if start > 0 else " "
            after = norm[end + 1] if end + 1 < len(norm) else " "
            if not before.isalnum() and not after.isalnum():
                return str(term)
        return None
