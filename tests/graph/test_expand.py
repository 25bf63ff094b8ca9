import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firebreak.graph.csr import build_graph
from firebreak.graph.expand import expand_seeds

cases = st.integers(4, 25).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=90),
        st.sets(st.integers(0, n - 1), min_size=1, max_size=6),
    )
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases)
def test_unique_followers_and_overlaps_match_set_arithmetic(case, snapshot_of) -> None:
    n, edges, seeds = case
    edges = {(s, d) for s, d in edges if s != d}
    g = build_graph(snapshot_of(n, sorted(edges)))
    m = expand_seeds(g, [f"a{i}" for i in sorted(seeds)])
    followers = {s: {a for a, b in edges if b == s} for s in seeds}
    assert m.unique_followers == len(set().union(*followers.values()))
    assert m.total_followers == sum(len(f) for f in followers.values())
    got = {(r["a"], r["b"]): r["shared_followers"] for r in m.overlaps.to_dicts()}
    for a in seeds:
        for b in seeds:
            if a < b:
                shared = len(followers[a] & followers[b])
                key = (f"a{a}", f"a{b}") if (f"a{a}", f"a{b}") in got else (f"a{b}", f"a{a}")
                assert got.get(key, 0) == shared


def test_shared_destinations_missing_seeds_and_most_connected(snapshot_of) -> None:
    edges = [(5, 0), (5, 1), (6, 0), (0, 7)]
    g = build_graph(snapshot_of(8, edges))
    dests = pl.DataFrame({"account": ["a0", "a1", "a2"], "destination": ["tg:x", "tg:x", "tg:y"]})
    m = expand_seeds(g, ["a0", "a1", "ghost"], dests)
    assert m.missing == ["ghost"]
    assert m.shared_destinations.to_dicts() == [{"destination": "tg:x", "seeds": ["a0", "a1"]}]
    top = m.connected.to_dicts()[0]
    assert top["account"] == "a5" and top["follows_seeds"] == 2
    assert "a7" in m.connected.get_column("account").to_list()
    d = m.to_dict()
    assert d["unique_followers"] == 2 and d["total_followers"] == 3


def test_no_known_seed_is_an_error(snapshot_of) -> None:
    import pytest

    g = build_graph(snapshot_of(3, [(0, 1)]))
    with pytest.raises(ValueError, match="none of the seeds"):
        expand_seeds(g, ["x", "y"])
    assert np.array_equal(g.in_degree, [0, 1, 0])
