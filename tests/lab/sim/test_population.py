"""The benign population: communities, ages, heavy-tailed follows."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from firebreak.lab.sim import preset
from firebreak.lab.sim.population import MINOR, build_population, dedupe_edges


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 60), m=st.integers(0, 400))
def test_dedupe_edges_removes_loops_and_repeats_only(seed, n, m):
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    s, d = dedupe_edges(src, dst, n)
    assert (s != d).all()
    pairs = set(zip(s.tolist(), d.tolist(), strict=True))
    assert len(pairs) == len(s)
    assert pairs == {(a, b) for a, b in zip(src.tolist(), dst.tolist(), strict=True) if a != b}


def test_population_shape():
    cfg = preset("default", seed=4, accounts=20_000)
    pop = build_population(cfg, 15_000, np.random.default_rng(4))
    assert pop.n == 15_000 and len(pop.community) == 15_000
    assert np.bincount(pop.community, minlength=pop.communities).min() >= 1
    # mostly intra-community follows
    assert (pop.community[pop.src] == pop.community[pop.dst]).mean() > 0.7
    # heavy-tailed in-degree
    indeg = np.bincount(pop.dst, minlength=pop.n)
    assert indeg.max() > 30 * max(1, np.median(indeg))
    # minors concentrated in teen communities
    in_teen = pop.teen[pop.community]
    minors = pop.age == MINOR
    assert minors[in_teen].mean() > 10 * minors[~in_teen].mean()
    assert minors[in_teen].sum() > minors[~in_teen].sum()
    # mean out-degree near the config's
    assert 0.6 * cfg.mean_follows < len(pop.src) / pop.n < 1.2 * cfg.mean_follows


@given(seed=st.integers(0, 2**16), intra=st.sampled_from([0.0, 1.0]))
def test_sample_followees_respects_communities(seed, intra):
    cfg = preset("default", seed=seed, accounts=2_000)
    pop = build_population(cfg, 1_500, np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    comm = rng.integers(0, pop.communities, 500)
    picked = pop.sample_followees(rng, comm, intra)
    assert ((picked >= 0) & (picked < pop.n)).all()
    if intra == 1.0:
        assert (pop.community[picked] == comm).all()
