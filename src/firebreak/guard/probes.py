"""Search probes for the audit: coded terms and the obfuscated forms sellers and buyers type.

The variants are the evasions the public reporting describes (spacing and
punctuation between letters, digits for letters, look-alike letters from other
scripts, invisible characters, case) applied to synthetic coded terms only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from firebreak.detect.lexicon import Lexicon

_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})
_CYRILLIC = str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445"})
_ZWSP = "\u200b"

VARIANTS = ("plain", "hashtag", "upper", "leet", "dotted", "spaced", "homoglyph", "zero_width")


def obfuscate(term: str, kind: str) -> str:
    """``term`` written in one evasive form (``kind`` is one of :data:`VARIANTS`)."""
    t = term.lstrip("#")
    match kind:
        case "plain":
            return t
        case "hashtag":
            return "#" + t
        case "upper":
            return t.upper()
        case "leet":
            return t.lower().translate(_LEET)
        case "dotted":
            return ".".join(t)
        case "spaced":
            return " ".join(t)
        case "homoglyph":
            return t.lower().translate(_CYRILLIC)
        case "zero_width":
            return _ZWSP.join(t)
    raise ValueError(f"unknown obfuscation {kind!r}")


def probe_queries(
    terms: Iterable[str],
    *,
    first: Iterable[str] = (),
    variants: Iterable[str] = VARIANTS,
    limit: int = 60,
    seed: int = 0,
) -> list[tuple[str, str, str]]:
    """``(query, term, variant)`` for up to ``limit`` distinct terms, in every variant.

    Terms in ``first`` (the scan's terms, in priority order) are taken first; the rest of the budget is
    filled with ``terms`` (the lexicon's) sampled with ``seed``.
    """

    def clean(ts: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(t.strip().lstrip("#") for t in ts if t and t.strip().lstrip("#")))

    head = clean(first)[:limit]
    rest = sorted(t for t in clean(terms) if t not in set(head))
    room = max(0, limit - len(head))
    if len(rest) > room:
        rng = np.random.default_rng(seed)
        rest = sorted(rng.choice(np.array(rest, dtype=object), size=room, replace=False).tolist()) if room else []
    variants = tuple(variants)
    return [(obfuscate(t, v), t, v) for t in head + rest for v in variants]


def lexicon_terms(lexicon: Lexicon) -> list[str]:
    """The plain terms of ``lexicon``, in its order."""
    return [term.text for term in lexicon.terms]
