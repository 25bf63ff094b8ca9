"""Discovered-term precision and recall on simulated platforms, the simulator's truth as truth.

For each platform (preset, seed), the flagged set is what a good but imperfect scan
would hand discovery: a random ``--recall`` share of the true sellers and buyers plus
every advocate and journalist confounder (the watchers, the case that made advocacy
hashtags come out as codes) and a ``--false-positives`` share of other accounts.
Truth: ``truth.json``'s ``novel_terms`` (the networks' invented hashtags). A discovered
term that is not a lexicon spelling is a true positive if its normalised key is a novel
term's, else a false positive (general, advocacy or community hashtags).

The **invented-vocabulary** platform is the same simulation with one network rewritten
so that it shares nothing with the lexicon: every hashtag, bio hashtag and search of its
members that is a lexicon spelling becomes an invented token of that network (posts'
text too), so co-occurrence with lexicon terms cannot find its words; the figures for
that network's own novel terms are printed apart.

    python benchmarks/bench_discovery.py            # default and hard presets, 20,000 accounts, 2 seeds
    python benchmarks/bench_discovery.py --quick    # default preset, 3,000 accounts, 1 seed
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from firebreak.detect.discovery import discover_terms
from firebreak.detect.lexicon import load_lexicon
from firebreak.detect.normalize import normalize_batch
from firebreak.lab.sim import config as C
from firebreak.lab.sim.generator import generate
from firebreak.snapshot.model import Snapshot


def _keys(terms: list[str]) -> list[str]:
    return normalize_batch(terms).rows() if terms else []


def _flagged(labels: pl.DataFrame, rng: np.random.Generator, recall: float, fp: float) -> list[str]:
    bad = labels.filter(pl.col("role").is_in(["seller", "buyer"])).get_column("account").to_numpy()
    watchers = labels.filter(pl.col("confounder").is_in(["advocate", "journalist"])).get_column("account").to_list()
    rest = labels.filter(~pl.col("role").is_in(["seller", "buyer"])).get_column("account").to_numpy()
    picked = rng.choice(bad, size=round(recall * len(bad)), replace=False).tolist()
    noise = rng.choice(rest, size=round(fp * len(rest)), replace=False).tolist()
    return sorted(set(picked) | set(watchers) | set(noise))


def _invent(snapshot: Snapshot, labels: pl.DataFrame, truth: dict, lexicon_keys: set[str]) -> tuple[Snapshot, str]:
    """Rewrite the largest network so that none of its members' tags or searches is a lexicon spelling."""
    nets = truth["networks"]
    net = max(nets, key=lambda k: nets[k]["sellers"] + nets[k]["buyers"])
    novel = nets[net]["novel_terms"]
    members = labels.filter(pl.col("network") == net).get_column("account").implode()
    posts = snapshot.posts.with_row_index("_r")
    tags = posts.select("_r", "author", "hashtags").explode("hashtags").filter(pl.col("hashtags").is_not_null())
    keys = dict(zip(tags.get_column("hashtags").unique().to_list(), _keys(tags.get_column("hashtags").unique().to_list()), strict=True))
    tags = tags.with_columns(
        hashtags=pl.when(pl.col("author").is_in(members) & pl.col("hashtags").replace_strict(keys, default="").is_in(list(lexicon_keys)))
        .then(pl.lit(novel[0]))
        .otherwise(pl.col("hashtags"))
    )
    new_tags = tags.group_by("_r").agg(pl.col("hashtags"))
    posts = (
        posts.drop("hashtags")
        .join(new_tags, on="_r", how="left")
        .with_columns(pl.col("hashtags").fill_null(pl.lit([], dtype=pl.List(pl.String))))
        .with_columns(text=pl.when(pl.col("author").is_in(members)).then(pl.lit("new drop ") + pl.col("hashtags").list.eval(pl.lit("#") + pl.element()).list.join(" ")).otherwise(pl.col("text")))
        .sort("_r")
        .drop("_r")
        .select(snapshot.posts.columns)
    )
    ev = snapshot.events
    q = ev.get_column("query").fill_null("")
    qk = dict(zip(q.unique().to_list(), _keys(q.unique().to_list()), strict=True))
    ev = ev.with_columns(
        query=pl.when(pl.col("actor").is_in(members) & (pl.col("kind") == "search") & pl.col("query").replace_strict(qk, default="").is_in(list(lexicon_keys)))
        .then(pl.lit("#" + novel[-1]))
        .otherwise(pl.col("query"))
    )
    acc = snapshot.accounts.with_columns(bio=pl.when(pl.col("id").is_in(members)).then(pl.lit("dm me #" + novel[1 % len(novel)])).otherwise(pl.col("bio")))
    return Snapshot(accounts=acc, posts=posts, events=ev, follows=snapshot.follows, reports=snapshot.reports, labels=snapshot.labels), net


def _score(found: pl.DataFrame, truth_keys: set[str]) -> tuple[int, int, int, float, float, list[str]]:
    got = found.filter(~pl.col("known"))
    keys = set(got.get_column("key").to_list())
    tp = len(keys & truth_keys)
    fp = len(keys - truth_keys)
    prec = tp / max(tp + fp, 1)
    rec = tp / max(len(truth_keys), 1)
    wrong = got.filter(~pl.col("key").is_in(list(truth_keys))).get_column("term").to_list()
    return tp, fp, len(truth_keys), prec, rec, wrong


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--recall", type=float, default=0.7, help="share of true sellers and buyers in the flagged set")
    ap.add_argument("--false-positives", type=float, default=0.01, help="share of other accounts flagged at random")
    args = ap.parse_args()
    presets, accounts, seeds = (["default"], 3_000, 1) if args.quick else (["default", "hard"], args.accounts, args.seeds)
    lex = load_lexicon()
    lexicon_keys = set(lex.norm_keys)
    totals: dict[str, list[int]] = {}
    print(f"flagged set: {args.recall:.0%} of true sellers and buyers + every advocate and journalist + {args.false_positives:.0%} of the rest")
    print(f"{'platform':<34} {'tp':>4} {'fp':>4} {'truth':>5} {'precision':>9} {'recall':>7} {'time':>6}  false positives")
    for preset in presets:
        for seed in range(seeds):
            out = generate(C.preset(preset, seed=seed, accounts=accounts))
            rng = np.random.default_rng(seed)
            flagged = _flagged(out.labels, rng, args.recall, args.false_positives)
            truth_keys = set(_keys(out.truth["novel_terms"]))
            inv_snap, net = _invent(out.snapshot, out.labels, out.truth, lexicon_keys)
            inv_keys = set(_keys(out.truth["networks"][net]["novel_terms"]))
            for name, snap in ((f"{preset} seed {seed}", out.snapshot), (f"{preset} seed {seed} invented {net}", inv_snap)):
                t0 = time.perf_counter()
                found = discover_terms(snap, flagged, lex)
                dt = time.perf_counter() - t0
                tp, fp, n, prec, rec, wrong = _score(found, truth_keys)
                print(f"{name:<34} {tp:>4} {fp:>4} {n:>5} {prec:>9.3f} {rec:>7.3f} {dt:>5.1f}s  {', '.join(wrong[:6]) or '-'}")
                agg = totals.setdefault("invented" if "invented" in name else "plain", [0, 0, 0])
                agg[0] += tp
                agg[1] += fp
                agg[2] += n
                if "invented" in name:
                    got = set(found.filter(~pl.col("known")).get_column("key").to_list())
                    itp = len(got & inv_keys)
                    how = found.filter(pl.col("key").is_in(list(inv_keys))).get_column("method").to_list()
                    print(f"{'  ' + net + ' (no lexicon term) only':<34} {itp:>4} {'':>4} {len(inv_keys):>5} {'':>9} {itp / max(len(inv_keys), 1):>7.3f}         found by: {', '.join(how) or '-'}")
                    # the same with no co-occurrence rounds at all: concentration alone
                    alone = discover_terms(snap, flagged, lex, rounds=0)
                    atp = len(set(alone.filter(~pl.col("known")).get_column("key").to_list()) & inv_keys)
                    print(f"{'  ' + net + ' by concentration alone':<34} {atp:>4} {'':>4} {len(inv_keys):>5} {'':>9} {atp / max(len(inv_keys), 1):>7.3f}")
                    agg2 = totals.setdefault("invented network only", [0, 0, 0])
                    agg2[0] += itp
                    agg2[2] += len(inv_keys)
    for k, (tp, fp, n) in totals.items():
        prec = tp / max(tp + fp, 1) if k != "invented network only" else float("nan")
        print(f"overall {k}: precision={prec:.3f} recall={tp / max(n, 1):.3f} (tp {tp}, fp {fp}, truth {n})")


if __name__ == "__main__":
    main()
