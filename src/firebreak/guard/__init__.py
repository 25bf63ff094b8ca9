"""Guarded recommendations and search, and the test-account audit that proves them.

- :class:`CoFollowRecommender`: the reference "suggested for you" / "because you viewed X".
- :class:`SearchIndex`: the reference hashtag and account search.
- :class:`Guard`: the safety layer any recommender or search calls on its candidates.
- :func:`run_audit`: the 2023 researchers' test-account experiment, unguarded and guarded.
- :func:`print_exposure_table` / :func:`exposure_table`: the audit as a Rich table.
"""

from firebreak.guard.audit import run_audit, write_audit
from firebreak.guard.inputs import scores_from_labels
from firebreak.results import ScanResults, read_labels, read_scan
from firebreak.guard.platform import Platform
from firebreak.guard.policy import HELP_NOTICE, REASONS, Guard, SearchDecision
from firebreak.guard.recommender import CoFollowRecommender, Recommendations
from firebreak.guard.report import exposure_table, print_exposure_table
from firebreak.guard.search import SearchIndex, SearchResult

__all__ = [
    "HELP_NOTICE",
    "REASONS",
    "CoFollowRecommender",
    "Guard",
    "Platform",
    "Recommendations",
    "ScanResults",
    "SearchDecision",
    "SearchIndex",
    "SearchResult",
    "exposure_table",
    "print_exposure_table",
    "read_labels",
    "read_scan",
    "run_audit",
    "scores_from_labels",
    "write_audit",
]
