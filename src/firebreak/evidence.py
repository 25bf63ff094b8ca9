"""The one evidence contract: the schema of an evidence row and the closed vocabulary of signals.

Every flag Firebreak raises carries evidence rows, and every producer (the
lexicon, the profile parser, media matching, the scan's graph stages) emits
them in :data:`EVIDENCE`'s shape; every consumer (role scoring, the guard, the
terms list, the review console) reads the typed fields, never the text.

An evidence row::

    account      str              the account the evidence is about
    signal       Signal           which detector, from the closed vocabulary below
    detail       str              what a reviewer reads (counts, surfaces, names)
    weight       float            the detector's contribution, in units of evidence (negative: counter-evidence,
                                  e.g. a seller reported, a research pattern, an ordinary audience)
    source       str | None       the published source or rule behind the detector
    term         str | None       the matched term, or the destination key, where one applies
    ambiguous    bool             the matched word has innocent uses (counts only when corroborated)
    context      str | None       the news/advocacy wording the hit sits in, if any
    counterpart  str | None       the other account it concerns (a seller followed, a disabled seller)
    hash         str | None       the matched media hash (bank entry) for media signals
    ref          str | None       the post id of the first occurrence, for post surfaces
    span         [int, int] | None  start and end of the first occurrence in that text (original offsets)

A new signal is added in one place: a :class:`Signal` member and its line in
:func:`signal_info`'s ``match``; ``mypy --strict`` then reports every exhaustive
``match`` over signals that lacks it.

>>> Signal("graph:follows_sellers").info.buyer_behaviour
True
>>> Signal.LEXICON_CODED_TERM.info.unit is Unit.CONTENT
True
>>> category_of(Signal.PROFILE_MINOR_SELLING)
'age_claim'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

import polars as pl

__all__ = [
    "BUYER_BEHAVIOUR",
    "EVIDENCE",
    "EVIDENCE_ITEM",
    "LEXICON_SIGNALS",
    "SIGNAL_DTYPE",
    "Signal",
    "SignalInfo",
    "Unit",
    "category_of",
    "empty_evidence",
    "evidence_frame",
    "lexicon_signal",
]


class Unit(StrEnum):
    """What the scan makes of a detector signal when it condenses evidence into role units."""

    CONTENT = "content"  # the account's own words, profile and links (seller side)
    SEARCH = "search"  # coded terms it searched for (buyer side)
    MEDIA = "media"  # hash-bank matches on its media
    REPORT = "report"  # user reports about it
    DERIVED = "derived"  # produced by the scan itself from the graph; never an input


class Signal(StrEnum):
    """The closed vocabulary of evidence signals (the values are what result files carry)."""

    LEXICON_EXPLICIT_HASHTAG = "lexicon:explicit_hashtag"
    LEXICON_CODED_TERM = "lexicon:coded_term"
    LEXICON_EMOJI_CODE = "lexicon:emoji_code"
    LEXICON_MENU_PRICE = "lexicon:menu_price"
    LEXICON_OFFPLATFORM_INVITE = "lexicon:offplatform_invite"
    LEXICON_AGE_CLAIM = "lexicon:age_claim"
    SEARCH_EXPLICIT_HASHTAG = "search:explicit_hashtag"
    SEARCH_CODED_TERM = "search:coded_term"
    SEARCH_EMOJI_CODE = "search:emoji_code"
    SEARCH_MENU_PRICE = "search:menu_price"
    SEARCH_OFFPLATFORM_INVITE = "search:offplatform_invite"
    SEARCH_AGE_CLAIM = "search:age_claim"
    LEXICON_DISCOVERED_TERM = "lexicon:discovered_term"
    SEARCH_DISCOVERED_TERM = "search:discovered_term"
    PROFILE_OFFPLATFORM = "profile:offplatform"
    PROFILE_MENU_PRICE = "profile:menu_price"
    PROFILE_MINOR_SELLING = "profile:minor_selling"
    PROFILE_AGE_CODE = "profile:age_code"
    MEDIA_PDQ = "media:pdq"
    MEDIA_MD5 = "media:md5"
    REPORTS_CHILD_SAFETY = "reports:child_safety"
    REPORTS_HARASSMENT_PATTERN = "reports:harassment_pattern"
    REPORTS_TRUSTED_FLAGGER = "reports:trusted_flagger"
    GRAPH_FOLLOWS_SELLERS = "graph:follows_sellers"
    GRAPH_MESSAGES_SELLERS = "graph:messages_sellers"
    GRAPH_INTERACTS_SELLERS = "graph:interacts_sellers"
    GRAPH_WEAK_SEARCH = "graph:weak_search"
    GRAPH_REPORTING_CONTEXT = "graph:reporting_context"
    GRAPH_REPORTS_SELLERS = "graph:reports_sellers"
    GRAPH_REPORT_HISTORY = "graph:report_history"
    GRAPH_RESEARCH_PATTERN = "graph:research_pattern"
    TRUSTED_FLAGGER = "trusted:flagger"
    GRAPH_SELLER_PEERS = "graph:seller_peers"
    GRAPH_BUYER_AUDIENCE = "graph:buyer_audience"
    GRAPH_SHARED_DESTINATION = "graph:shared_destination"
    GRAPH_BAN_EVASION = "graph:ban_evasion"
    NETWORK_SELLERS = "network:sellers"
    NETWORK_BUYERS = "network:buyers"
    NETWORK_SHARED_DESTINATIONS = "network:shared_destinations"

    @property
    def info(self) -> SignalInfo:
        """This signal's facts (:func:`signal_info`)."""
        return signal_info(self)


@dataclass(frozen=True, slots=True)
class SignalInfo:
    """What consumers need to know about a signal.

    ``unit``: how role scoring counts it; ``buyer_behaviour``: it describes the
    account's own seeking (following, messaging, viewing sellers, searching
    codes), which the guard uses to keep the account away from minors;
    ``category``: the lexicon category it belongs to (``None`` outside the lexicon's).
    """

    unit: Unit
    buyer_behaviour: bool = False
    category: str | None = None


def signal_info(signal: Signal) -> SignalInfo:
    """The facts of ``signal``; exhaustive, so a new member without a line here fails type checking."""
    match signal:
        case Signal.LEXICON_EXPLICIT_HASHTAG:
            return SignalInfo(Unit.CONTENT, category="explicit_hashtag")
        case Signal.LEXICON_CODED_TERM:
            return SignalInfo(Unit.CONTENT, category="coded_term")
        case Signal.LEXICON_EMOJI_CODE:
            return SignalInfo(Unit.CONTENT, category="emoji_code")
        case Signal.LEXICON_MENU_PRICE:
            return SignalInfo(Unit.CONTENT, category="menu_price")
        case Signal.LEXICON_OFFPLATFORM_INVITE:
            return SignalInfo(Unit.CONTENT, category="offplatform_invite")
        case Signal.LEXICON_AGE_CLAIM:
            return SignalInfo(Unit.CONTENT, category="age_claim")
        case Signal.SEARCH_EXPLICIT_HASHTAG:
            return SignalInfo(Unit.SEARCH, True, "explicit_hashtag")
        case Signal.SEARCH_CODED_TERM:
            return SignalInfo(Unit.SEARCH, True, "coded_term")
        case Signal.SEARCH_EMOJI_CODE:
            return SignalInfo(Unit.SEARCH, True, "emoji_code")
        case Signal.SEARCH_MENU_PRICE:
            return SignalInfo(Unit.SEARCH, True, "menu_price")
        case Signal.SEARCH_OFFPLATFORM_INVITE:
            return SignalInfo(Unit.SEARCH, True, "offplatform_invite")
        case Signal.SEARCH_AGE_CLAIM:
            return SignalInfo(Unit.SEARCH, True, "age_claim")
        case Signal.LEXICON_DISCOVERED_TERM:
            return SignalInfo(Unit.DERIVED, category="discovered_term")
        case Signal.SEARCH_DISCOVERED_TERM:  # unreviewed: never buyer behaviour on its own for the guard
            return SignalInfo(Unit.DERIVED, category="discovered_term")
        case Signal.PROFILE_OFFPLATFORM:
            return SignalInfo(Unit.CONTENT, category="offplatform_invite")
        case Signal.PROFILE_MENU_PRICE:
            return SignalInfo(Unit.CONTENT, category="menu_price")
        case Signal.PROFILE_MINOR_SELLING | Signal.PROFILE_AGE_CODE:
            return SignalInfo(Unit.CONTENT, category="age_claim")
        case Signal.MEDIA_PDQ | Signal.MEDIA_MD5:
            return SignalInfo(Unit.MEDIA)
        case Signal.REPORTS_CHILD_SAFETY | Signal.REPORTS_HARASSMENT_PATTERN | Signal.REPORTS_TRUSTED_FLAGGER:
            return SignalInfo(Unit.REPORT)
        case (
            Signal.GRAPH_FOLLOWS_SELLERS
            | Signal.GRAPH_MESSAGES_SELLERS
            | Signal.GRAPH_INTERACTS_SELLERS
            | Signal.GRAPH_WEAK_SEARCH
        ):
            return SignalInfo(Unit.DERIVED, True)
        case (
            Signal.GRAPH_REPORTING_CONTEXT
            | Signal.GRAPH_REPORTS_SELLERS
            | Signal.GRAPH_REPORT_HISTORY
            | Signal.GRAPH_RESEARCH_PATTERN
            | Signal.TRUSTED_FLAGGER
            | Signal.GRAPH_SELLER_PEERS
            | Signal.GRAPH_BUYER_AUDIENCE
            | Signal.GRAPH_SHARED_DESTINATION
            | Signal.GRAPH_BAN_EVASION
            | Signal.NETWORK_SELLERS
            | Signal.NETWORK_BUYERS
            | Signal.NETWORK_SHARED_DESTINATIONS
        ):
            return SignalInfo(Unit.DERIVED)
        case _:
            assert_never(signal)


def lexicon_signal(category: str, *, search: bool) -> Signal:
    """The signal of a lexicon hit of ``category`` in an account's own text or (``search``) its searches.

    >>> lexicon_signal("coded_term", search=True)
    <Signal.SEARCH_CODED_TERM: 'search:coded_term'>
    """
    return Signal(f"{'search' if search else 'lexicon'}:{category}")


def category_of(signal: Signal) -> str | None:
    """The lexicon category ``signal`` belongs to (``None`` for media, reports and graph signals)."""
    return signal.info.category


#: the signal column's dtype: unknown signal names cannot enter a frame.
SIGNAL_DTYPE = pl.Enum([s.value for s in Signal])
#: signals about an account's own seeking behaviour (guard: keep such accounts away from minors).
BUYER_BEHAVIOUR: frozenset[Signal] = frozenset(s for s in Signal if s.info.buyer_behaviour)
#: lexicon hits, in own texts or searches (the scan's ``terms.jsonl`` lists their terms); discovered,
#: unreviewed terms are the scan's own (:attr:`Unit.DERIVED`), not the lexicon's.
LEXICON_SIGNALS: frozenset[Signal] = frozenset(
    s for s in Signal if s.value.startswith(("lexicon:", "search:")) and s.info.unit is not Unit.DERIVED
)

#: the columns of an evidence frame, in order.
EVIDENCE = pl.Schema(
    {
        "account": pl.String(),
        "signal": SIGNAL_DTYPE,
        "detail": pl.String(),
        "weight": pl.Float64(),
        "source": pl.String(),
        "term": pl.String(),
        "ambiguous": pl.Boolean(),
        "context": pl.String(),
        "counterpart": pl.String(),
        "hash": pl.String(),
        "ref": pl.String(),
        "span": pl.List(pl.Int64),
    }
)
#: one evidence item as result files carry it (the spec's ``signal, detail, weight`` first).
EVIDENCE_ITEM = pl.Struct({name: dtype for name, dtype in EVIDENCE.items() if name != "account"})


def empty_evidence() -> pl.DataFrame:
    """An evidence frame with no rows."""
    return pl.DataFrame(schema=EVIDENCE)


def evidence_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` conformed to :data:`EVIDENCE`: absent optional columns null, columns cast and ordered.

    ``account``, ``signal``, ``detail`` and ``weight`` are required; a signal
    outside the vocabulary raises ``polars.exceptions.InvalidOperationError``.
    """
    missing = [c for c in ("account", "signal", "detail", "weight") if c not in frame.columns]
    if missing:
        raise ValueError(f"evidence rows need {', '.join(missing)}")
    fill = [pl.lit(None, dtype=t).alias(c) for c, t in EVIDENCE.items() if c not in frame.columns]
    if "ambiguous" not in frame.columns:
        fill = [f for f in fill if f.meta.output_name() != "ambiguous"] + [pl.lit(False).alias("ambiguous")]
    return frame.with_columns(fill).select([pl.col(c).cast(t) for c, t in EVIDENCE.items()])
