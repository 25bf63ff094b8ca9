"""Every tuning constant of the scan, in one parameter object.

:class:`ScanParams` holds the role-scoring knobs (:class:`~firebreak.graph.roles.RoleParams`,
each documented there) and the constants of the stages around it. Defaults are
policy chosen with the reason stated beside each, not fitted to a simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from firebreak.graph.roles import RoleParams


@dataclass(frozen=True, slots=True)
class ScanParams:
    """Knobs of :func:`firebreak.scan.scan`.

    Parameters
    ----------
    roles
        Role scoring (units, caps, audience and peer tests, destinations, evasion).
    seed
        Seed for MinHash (ban evasion) and Leiden (networks): a scan is deterministic for a seed.
    pagerank_alpha
        Restart probability of the personalised PageRank from the flagged sellers. 0.5 keeps
        proximity local (mostly one or two hops), where following sellers means something.
    pagerank_max_iter, pagerank_tol
        Iteration cap and L1 tolerance of that PageRank (it converges in about 20 at 0.5).
    proximity_cap
        Most risk that proximity alone gives an unflagged account (0.4: well under the guard's
        default block line of 0.5, so closeness to sellers alone never hides an account).
    proximity_scale
        Proximity (PageRank mass times n) at which proximity risk reaches 63% of the cap.
    unflagged_risk_cap
        Unflagged accounts' risk stays below this (0.49: just under the flag line, so risk
        never says "flagged" when the role does not).
    keep_risk
        Unflagged accounts without evidence are listed in ``scores.jsonl`` from this proximity
        risk (0.2: half the cap; the file stays small and lists who is close to sellers).
    risk_steepness
        Slope of the logistic from units to risk (2.0: one unit from the flag line is
        risk 0.12 or 0.88).
    trusted_report_weight
        A trusted flagger's child-safety report counts this many ordinary reports (4.0: one
        such report reaches the most reports alone can give), never discounted for how many
        the flagger files: their reports are prioritised, as the DSA's Article 22 asks.
    discovery_rounds
        Rounds of term discovery: terms found in one round flag accounts that seed the next (2).
    discovered_partnerless
        Act on terms discovered with no known partner term (concentration among flagged accounts
        alone). Off: on the hard preset it turned a buyer-dominated hobby community's hashtags
        (#pottery) into codes and flagged 30 benign accounts; reviewers still see such terms
        through discovery and can promote them into the lexicon.
    discovered_weight_max
        Weight of a discovered (unreviewed) term at full support and lift (0.5: well under a
        reviewed coded term's 0.9; own uses are capped by ``roles.discovered_content_cap``).
    discovered_support_zero, discovered_support_full
        A discovered term used by at most ``discovered_support_zero`` flagged accounts (3) earns
        nothing; its weight grows linearly to full at ``discovered_support_full`` (10).
    discovered_lift_zero, discovered_lift_full
        Likewise for lift, in log scale: nothing at 2 (twice the platform rate: a community's
        own tag), full at 5.
    discovered_min_weight
        Weights below this (0.1) are dropped: a barely supported term is no evidence.
    """

    roles: RoleParams = field(default_factory=RoleParams)
    seed: int = 0
    pagerank_alpha: float = 0.5
    pagerank_max_iter: int = 30
    pagerank_tol: float = 1e-6
    proximity_cap: float = 0.4
    proximity_scale: float = 50.0
    unflagged_risk_cap: float = 0.49
    keep_risk: float = 0.2
    risk_steepness: float = 2.0
    trusted_report_weight: float = 4.0
    discovery_rounds: int = 2
    discovered_partnerless: bool = False
    discovered_weight_max: float = 0.5
    discovered_support_zero: float = 3.0
    discovered_support_full: float = 10.0
    discovered_lift_zero: float = 2.0
    discovered_lift_full: float = 5.0
    discovered_min_weight: float = 0.1
