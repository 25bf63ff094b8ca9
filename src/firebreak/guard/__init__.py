"""Guarded recommendations and search, and the test-account audit that proves them.

- :class:`CoFollowRecommender`: the reference "suggested for you" / "because you viewed X".
- :class:`SearchIndex`: the reference hashtag and account search.
- :class:`Guard`: the safety layer any recommender or search calls on its candidates.
- :class:`DecisionLog`: counts (and records) the guard's refusals; the fitted guard never changes.
- :func:`run_audit`: the 2023 researchers' test-account experiment, unguarded and guarded.
- :func:`print_exposure_table` / :func:`exposure_table`: the audit as a Rich table.
"""

from firebreak.guard.audit import run_audit, write_audit
from firebreak.guard.decisions import REASONS, DecisionLog
from firebreak.guard.platform import Platform
from firebreak.guard.policy import HELP_NOTICE, Guard, SearchDecision
from firebreak.guard.recommender import CoFollowRecommender, Recommendations
from firebreak.guard.report import exposure_table, print_exposure_table
from firebreak.guard.search import SearchIndex, SearchResult

__all__ = [
    "HELP_NOTICE",
    "REASONS",
    "CoFollowRecommender",
    "DecisionLog",
    "Guard",
    "Platform",
    "Recommendations",
    "SearchDecision",
    "SearchIndex",
    "SearchResult",
    "exposure_table",
    "print_exposure_table",
    "run_audit",
    "write_audit",
]
