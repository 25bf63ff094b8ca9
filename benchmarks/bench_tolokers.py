"""Learned risk scorer on real data: Tolokers (banned crowd workers from features and the worker graph).

Tolokers (Platonov et al., ICLR 2023; ``shared/data/benchmarks/tolokers.npz``): 11,758
workers, 519,000 undirected edges (two workers shared a task), 10 features, 21.8%
banned, 10 fixed train/val/test splits. For each split, :func:`firebreak.detect.learn.fit_scorer`
trains on the train mask's labels (their label features out of fold), stops early and
calibrates on the validation mask, and :meth:`Scorer.predict` scores every worker with
the training labels as the only known labels; test labels are read only to compute the
ROC-AUC. Published (same splits): feature-only ResNet 0.7295, GCN 0.8364, GAT 0.8370,
GAT-sep 0.8378 (the paper's best).

    python benchmarks/bench_tolokers.py            # all 10 splits, one booster each (--seeds N averages N)
    python benchmarks/bench_tolokers.py --quick    # 2 splits, one booster each, learning rate 0.1

The last line is ``roc_auc_mean=0.xxxx roc_auc_std=0.xxxx``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from firebreak.detect.learn import fit_scorer, prepare

PUBLISHED = {"ResNet (features only)": 0.7295, "GCN": 0.8364, "GAT": 0.8370, "GAT-sep (best published)": 0.8378}


def _data_path() -> Path:
    here = Path(__file__).resolve()
    for base in (Path("/work/shared"), here.parents[2] / "shared", here.parents[1] / "shared"):
        p = base / "data/benchmarks/tolokers.npz"
        if p.exists():
            return p
    raise SystemExit("error: tolokers.npz not found under shared/data/benchmarks/")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 splits, one booster each")
    ap.add_argument("--splits", type=int, default=10, help="how many of the 10 fixed splits to run")
    ap.add_argument("--seeds", type=int, default=1, help="boosters averaged per split")
    args = ap.parse_args()
    splits, seeds = (2, 1) if args.quick else (args.splits, args.seeds)
    params = {"learning_rate": 0.1} if args.quick else None

    d = np.load(_data_path())
    x, y, edges = d["node_features"], d["node_labels"], d["edges"]
    n = len(y)
    ids = np.arange(n).astype(str)
    features = pl.DataFrame({"account": ids, **{f"f{j}": x[:, j].astype(np.float64) for j in range(x.shape[1])}})
    edge_frame = pl.DataFrame({"src": edges[:, 0].astype(str), "dst": edges[:, 1].astype(str)})
    print(f"Tolokers: {n:,} workers, {len(edges):,} edges, {x.shape[1]} features, {y.mean():.1%} banned; {splits} split(s), {seeds} booster(s) each")
    t0 = time.perf_counter()
    prep = prepare(features, edge_frame)  # graph and label-free aggregates: the same for every split
    print(f"graph and neighbourhood aggregates: {prep.structure.shape[1]} columns in {time.perf_counter() - t0:.1f}s")
    aucs = []
    for s in range(splits):
        t0 = time.perf_counter()
        tr, va, te = d["train_masks"][s], d["val_masks"][s], d["test_masks"][s]
        train = pl.DataFrame({"account": ids[tr], "label": y[tr]})
        val = pl.DataFrame({"account": ids[va], "label": y[va]})
        scorer = fit_scorer(features, edge_frame, train, validation=val, seeds=seeds, seed=s, prepared=prep, params=params)
        preds, contrib = scorer.predict(features, edge_frame, top=3, prepared=prep)
        prob = preds.get_column("probability").to_numpy()
        auc = roc_auc_score(y[te], prob[te])
        aucs.append(auc)
        top = contrib.filter(pl.col("rank") == 1).get_column("feature").value_counts(sort=True).head(1).row(0)
        print(
            f"split {s}: test roc_auc={auc:.4f}  val roc_auc={scorer.info['validation_auc']:.4f}  rounds={scorer.info['rounds']}  "
            f"most frequent top feature: {top[0]}  ({time.perf_counter() - t0:.1f}s)",
            flush=True,
        )
    mean, std = float(np.mean(aucs)), float(np.std(aucs))
    for name, v in PUBLISHED.items():
        print(f"  vs {name} {v:.4f}: {mean - v:+.4f}")
    print(f"roc_auc_mean={mean:.4f} roc_auc_std={std:.4f}")


if __name__ == "__main__":
    main()
