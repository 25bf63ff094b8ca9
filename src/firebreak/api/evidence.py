"""An account's evidence as reviewers read it: scan evidence, original texts with lexicon spans, media hashes.

::

    reader = EvidenceReader()
    reader.read(state, "u0000042")
    # {"account", "role", "risk", "network", "evidence": [...], "texts": [{"where", "text", "spans"}], "media": [...]}

Read from the scan in force (:class:`~firebreak.api.scanstate.ScanState`) and the snapshot
it was loaded with; the lexicon is loaded once, on the first read.
"""

from __future__ import annotations

import threading
from typing import Any

import polars as pl

from firebreak.api.scanstate import ScanState
from firebreak.api.services import CaseNotFound


class EvidenceReader:
    """Reads one account's evidence from a :class:`ScanState` (thread-safe; the lexicon is shared)."""

    def __init__(self) -> None:
        self._lexicon: Any = None
        self._lock = threading.Lock()

    def _lexicon_loaded(self) -> Any:
        with self._lock:
            if self._lexicon is None:
                from firebreak.detect.lexicon import load_lexicon

                self._lexicon = load_lexicon()
            return self._lexicon

    def read(self, state: ScanState, account: str) -> dict[str, Any]:
        """``{account, role, risk, network, evidence, texts: [{where, text, spans}], media: [hash]}``.

        ``spans`` are the lexicon's hits in the original text (start, end, term, category), so the
        console can highlight exactly what matched. Raises :class:`~firebreak.api.services.CaseNotFound`
        for an account neither scored nor known to the scan.
        """
        scores = state.results.scores.filter(pl.col("account") == account)
        if scores.height == 0 and state.ids.encode([account])[0] < 0:
            raise CaseNotFound(f"account {account!r} is not in the scan in force")
        row: dict[str, Any] = scores.row(0, named=True) if scores.height else {"role": "none", "risk": 0.0, "network": None}
        texts: list[tuple[str, str]] = []
        bio = state.accounts.filter(pl.col("id") == account)
        if bio.height:
            b = bio.row(0, named=True)
            texts += [("handle", b["handle"] or ""), ("bio", b["bio"] or "")]
        posts = state.posts.filter(pl.col("author") == account)
        texts += [(f"post {p}", t or "") for p, t in posts.select("id", "text").iter_rows()]
        texts = [(w, t) for w, t in texts if t]
        hits = self._lexicon_loaded().match_many([t for _, t in texts]) if texts else []
        media = [h for hs in posts.get_column("media").to_list() for h in (hs or []) if h]
        return {
            "account": account,
            "role": row.get("role") or "none",
            "risk": float(row.get("risk") or 0.0),
            "network": row.get("network"),
            "evidence": [dict(e) for e in (row.get("evidence") or [])],
            "texts": [
                {
                    "where": where,
                    "text": text,
                    "spans": [
                        {"start": h.span[0], "end": h.span[1], "term": h.term, "category": h.category}
                        for h in hs
                        if h.span[0] >= 0 and h.span[1] <= len(text)
                    ],
                }
                for (where, text), hs in zip(texts, hits, strict=True)
            ],
            "media": media,
        }
