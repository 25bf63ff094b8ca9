"""The one shape of evidence every flag carries: ``{"signal", "detail", "weight"}``.

Every stage that flags an account (lexicon hits, media matches, profile
signals, graph risk) produces :class:`Evidence` records, so a reviewer and a
test can see why an account was flagged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason an entity carries risk.

    ``signal`` names the detector (``"lexicon:coded_term"``, ``"media:pdq"``,
    ``"graph:buyer_audience"``...), ``detail`` is human-readable (which term,
    which hash, which accounts), ``weight`` is the detector's contribution.
    """

    signal: str
    detail: str
    weight: float

    def to_dict(self) -> dict[str, object]:
        """The spec's JSON form: ``{"signal": str, "detail": str, "weight": number}``."""
        return asdict(self)
