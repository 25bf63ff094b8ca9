"""The term-discovery rounds: each role scoring they run has new discovered units, and they stop once the terms repeat."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import firebreak.scan.stages as stages
from firebreak.lab.sim import generate, preset
from firebreak.scan import scan
from firebreak.scan.params import ScanParams


@pytest.fixture(scope="module")
def platform():
    # big enough that the discovered terms' weights saturate: the second round finds the first one's terms again
    return generate(preset("default", seed=1, accounts=20_000)).snapshot


def test_rounds_never_score_the_same_units_twice(platform, monkeypatch) -> None:
    scored: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    weighed: list[pl.DataFrame] = []
    score_roles, discovered_weights = stages.score_roles, stages.discovered_weights

    def counting_score(graph, signals, params):
        roles = score_roles(graph, signals, params)
        scored.append((signals.discovered_content.copy(), signals.discovered_search.copy(), roles.seller | roles.buyer))
        return roles

    def recording_weights(found, params):
        weights = discovered_weights(found, params)
        weighed.append(weights.select("term", "weight").sort("term"))
        return weights

    monkeypatch.setattr(stages, "score_roles", counting_score)
    monkeypatch.setattr(stages, "discovered_weights", recording_weights)
    rounds = 4
    result = scan(platform, params=ScanParams(discovery_rounds=rounds))

    assert weighed and weighed[0].height > 0, "the platform's coded terms are discovered"
    # the terms stage's scorings are the ones with discovered units (the earlier stages have none)
    in_terms = [s for s in scored if s[0].any() or s[1].any()]
    for (c1, s1, _), (c2, s2, _) in zip(in_terms, in_terms[1:]):
        assert not (np.array_equal(c1, c2) and np.array_equal(s1, s2)), "a scoring repeated the last one's units"
    assert len(weighed) == 2 and weighed[1].equals(weighed[0]), "the second round repeats the first one's terms"
    assert len(in_terms) == 1, "so the loop stops without scoring the same units again"
    flagged = (result.scores.get_column("role") != "none").to_numpy()
    assert flagged.sum() == in_terms[-1][2].sum(), "the scan's flags are the last scoring's"


def test_early_stop_changes_no_result(platform, monkeypatch) -> None:
    """The stop on repeated terms gives the roles the loop without it would give (one more scoring of the same units)."""
    params = ScanParams(discovery_rounds=3)
    stopped = scan(platform, params=params).scores
    calls: list[int] = []
    score_roles = stages.score_roles

    def once_more(graph, signals, p):
        calls.append(1)
        first = score_roles(graph, signals, p)
        again = score_roles(graph, signals, p)  # what a repeated round would have produced
        assert np.array_equal(first.seller, again.seller) and np.array_equal(first.buyer, again.buyer)
        return first

    monkeypatch.setattr(stages, "score_roles", once_more)
    assert scan(platform, params=params).scores.equals(stopped)
    assert calls
