"""Learned scorer: learns a planted signal on a toy graph, never reads labels it was not
given (a labelled account's own label never reaches its own features), calibrated
probabilities, contributions, save/load, labels files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from firebreak.detect.learn import (
    Scorer,
    fit_scorer,
    neighbourhood_features,
    read_decisions,
)
from firebreak.errors import LearnError


def _toy(n: int = 1200, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Bad accounts cluster together (homophily) and have a higher ``signal``; a
    ``noise`` column carries nothing."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(np.int8)
    bad, good = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    src = np.concatenate([rng.choice(bad, 3 * len(bad)), rng.integers(0, n, 3 * n)])
    dst = np.concatenate([rng.choice(bad, 3 * len(bad)), rng.integers(0, n, 3 * n)])
    ids = np.array([f"a{i}" for i in range(n)])
    features = pl.DataFrame({"account": ids, "signal": y * 0.6 + rng.normal(0, 0.5, n), "noise": rng.normal(0, 1, n)})
    edges = pl.DataFrame({"src": ids[src], "dst": ids[dst]})
    assert len(good) > 0
    return features, edges, y


def _split(y: np.ndarray, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx = np.random.default_rng(seed).permutation(len(y))
    a, b = len(y) // 2, 3 * len(y) // 4
    return idx[:a], idx[a:b], idx[b:]


def _frame(ids: np.ndarray, y: np.ndarray, rows: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({"account": ids[rows], "label": y[rows]})


@pytest.fixture(scope="module")
def trained() -> tuple[Scorer, pl.DataFrame, pl.DataFrame, np.ndarray, np.ndarray]:
    features, edges, y = _toy()
    ids = features.get_column("account").to_numpy()
    tr, va, te = _split(y)
    scorer = fit_scorer(features, edges, _frame(ids, y, tr), validation=_frame(ids, y, va), seeds=1, params={"learning_rate": 0.1})
    return scorer, features, edges, y, te


def test_learns_planted_signal(trained: tuple[Scorer, pl.DataFrame, pl.DataFrame, np.ndarray, np.ndarray]) -> None:
    scorer, features, edges, y, te = trained
    preds, contrib = scorer.predict(features, edges, top=3)
    prob = preds.get_column("probability").to_numpy()
    assert roc_auc_score(y[te], prob[te]) > 0.85
    assert ((prob > 0) & (prob < 1)).all()
    # calibrated: the mean probability on held-out accounts is close to their base rate
    assert abs(prob[te].mean() - y[te].mean()) < 0.08
    # contributions: three per account, ranked by absolute size, the noise column rarely first
    assert contrib.height == 3 * features.height
    first = contrib.filter(pl.col("rank") == 1)
    assert (first.get_column("feature") == "noise").mean() < 0.1
    per = contrib.group_by("account").agg(pl.col("contribution").abs().diff().max().alias("d"))
    assert (per.get_column("d").fill_null(0) <= 1e-12).all()


def test_labels_not_given_are_never_read() -> None:
    """Features of every account depend only on the labels passed; and a labelled
    account's own label never reaches its own row (out-of-fold label features)."""
    features, edges, y = _toy(400, seed=3)
    ids = features.get_column("account").to_numpy()
    tr, _, te = _split(y)
    labels = _frame(ids, y, tr)
    m1, names = neighbourhood_features(features, edges, labels)
    # the true labels of held-out accounts are not an input: any other values give the same matrix
    flipped = y.copy()
    flipped[te] = 1 - flipped[te]
    m2, _ = neighbourhood_features(features, edges, _frame(ids, flipped, tr))
    assert np.array_equal(m1, m2, equal_nan=True)
    # flipping one training account's label leaves its own row unchanged
    label_cols = [i for i, n in enumerate(names) if n.startswith(("nb_", "hop2_", "label_", "walk3_"))]
    assert label_cols
    for k in tr[:10]:
        other = y.copy()
        other[k] = 1 - other[k]
        m3, _ = neighbourhood_features(features, edges, _frame(ids, other, tr))
        assert np.array_equal(m1[k], m3[k], equal_nan=True)
        changed = np.flatnonzero(~np.isclose(np.nan_to_num(m1[:, label_cols], nan=-9), np.nan_to_num(m3[:, label_cols], nan=-9)).all(axis=1))
        assert k not in changed


def test_save_load_round_trip(tmp_path: Path, trained: tuple[Scorer, pl.DataFrame, pl.DataFrame, np.ndarray, np.ndarray]) -> None:
    scorer, features, edges, _, _ = trained
    path = scorer.save(tmp_path / "m" / "scorer.json")
    again = Scorer.load(path)
    a, ca = scorer.predict(features, edges)
    b, cb = again.predict(features, edges)
    assert a.equals(b) and ca.equals(cb)
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(LearnError, match="not a Firebreak scorer"):
        Scorer.load(tmp_path / "bad.json")
    with pytest.raises(LearnError, match="lack column"):
        scorer.predict(features.drop("noise"), edges)


def test_read_decisions(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("account,role\na,seller\nb,benign\nc,buyer\nd,journalist\n", encoding="utf-8")
    assert read_decisions(p).sort("account").get_column("label").to_list() == [1, 0, 1, 0]
    q = tmp_path / "d.jsonl"
    q.write_text('{"account": "a", "label": "actioned"}\n{"account": "b", "label": "dismissed"}\n', encoding="utf-8")
    assert read_decisions(q).get_column("label").to_list() == [1, 0]
    r = tmp_path / "bad.csv"
    r.write_text("account,label\na,maybe\n", encoding="utf-8")
    with pytest.raises(LearnError, match="cannot read label 'maybe'"):
        read_decisions(r)
    with pytest.raises(LearnError, match="not found"):
        read_decisions(tmp_path / "none.csv")


def test_needs_both_outcomes() -> None:
    features, edges, _ = _toy(100)
    ids = features.get_column("account").to_numpy()
    with pytest.raises(LearnError, match="both outcomes"):
        fit_scorer(features, edges, pl.DataFrame({"account": ids, "label": np.zeros(100, dtype=np.int8)}))
