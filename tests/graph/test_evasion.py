import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.graph.csr import adjacency
from firebreak.graph.evasion import find_evasion, follower_weights, lsh_candidates, minhash_signatures


def sets_matrix(sets, n):
    rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    cols = np.array([x for s in sets for x in sorted(s)], dtype=np.int64)
    return sp.csr_matrix((np.ones(cols.size), (rows, cols)), shape=(len(sets), n))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sets(st.integers(0, 199), min_size=1, max_size=60), min_size=2, max_size=6))
def test_minhash_estimates_jaccard(sets) -> None:
    sig = minhash_signatures(sets_matrix(sets, 200), num_perm=256)
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            true = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
            est = float(np.mean(sig[i] == sig[j]))
            assert abs(est - true) < 0.2
            if sets[i] == sets[j]:
                assert est == 1.0


def test_lsh_proposes_similar_pairs_only() -> None:
    rng = np.random.default_rng(0)
    base = set(rng.choice(5000, 80, replace=False).tolist())
    near = set(list(base)[:60]) | set(range(6000, 6010))
    far = set(rng.choice(np.arange(7000, 9000), 80, replace=False).tolist())
    q = minhash_signatures(sets_matrix([base], 10_000), 128)
    idx = minhash_signatures(sets_matrix([far, near], 10_000), 128)
    pairs = lsh_candidates(q, idx, bands=64)
    assert set(pairs.get_column("i").to_list()) == {1}


def _platform(rng, n=3000):
    src = np.repeat(np.arange(n), 10)
    dst = rng.integers(0, n, src.size)
    return src, dst


def test_recreated_account_inherits_and_bot_overlap_does_not() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    src, dst = _platform(rng, n)
    old, new, decoy = n, n + 1, n + 2
    audience = rng.choice(n, 40, replace=False)
    moved = audience[:28]
    bots = np.arange(n + 3, n + 8)  # follow-everything bots
    edges = [
        (src, dst),
        (audience, np.full(40, old)),
        (moved, np.full(28, new)),
        (np.repeat(bots, n + 3), np.tile(np.arange(n + 3), bots.size)),
    ]
    s = np.concatenate([e[0] for e in edges])
    d = np.concatenate([e[1] for e in edges])
    follows = adjacency(s, d, n + 8, binary=True)
    followers = follows.T.tocsr()
    w = follower_weights(followers)
    assert w[bots].max() < 0.05 and w[:n].min() == 1.0
    m = find_evasion(followers, np.array([old]), np.arange(n + 3))
    assert m.new.tolist() == [new] and m.old.tolist() == [old]
    assert m.jaccard[0] > 0.5
    assert decoy not in m.new  # shares only the bots with the old account
