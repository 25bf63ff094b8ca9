"""The test-account audit: the 2023 researchers' experiment replayed on a synthetic platform.

Fresh test accounts each view (or follow) one seller, then for ``steps`` rounds
follow the top-``k`` suggestions; search is probed with coded terms in their
obfuscated forms. Each run (unguarded, guarded by the scan's flags and, in the
lab, guarded by an oracle built from labels) records per step the share of
suggestions that are abusive (by the labels when there are any, else by the
scan's own flags: a real platform has no ground truth), the steps until the first
abusive suggestion, how much of the seller's network the account reached, and
the share of search results that are abusive. Benign quality is recall@k on
held-out benign follows, with and without the guard.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.detect.lexicon import Lexicon, load_lexicon
from firebreak.guard.decisions import DecisionLog
from firebreak.guard.matrices import FLOAT, adjacency, binary, indicator, row_ids
from firebreak.guard.platform import Platform
from firebreak.guard.policy import Guard
from firebreak.guard.probes import lexicon_terms, probe_queries
from firebreak.guard.recommender import CoFollowRecommender
from firebreak.guard.search import SearchIndex
from firebreak.scan.result import ScanResult
from firebreak.snapshot.model import Snapshot

Progress = Callable[[str], None]


def pick_test_sellers(platform: Platform, labels: pl.DataFrame, count: int, seed: int = 0) -> np.ndarray:
    """Dense indices of ``count`` active sellers to start test accounts from, spread over networks.

    ``labels``: rows ``account, role, network`` (ground truth, or the scan's own scores).
    """
    sellers = labels.filter(pl.col("role") == "seller").select("account", "network")
    idx = platform.encode(sellers.get_column("account"))
    sellers = sellers.with_columns(pl.Series("idx", idx)).filter(pl.col("idx") >= 0)
    sellers = sellers.filter(pl.Series(platform.active[sellers.get_column("idx").to_numpy()]))
    if sellers.height == 0:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    sellers = sellers.with_columns(pl.Series("key", rng.random(sellers.height)))
    sellers = sellers.with_columns(pl.col("key").rank("ordinal").over("network").alias("turn"))
    picked = sellers.sort(["turn", "key"]).head(count)
    return picked.get_column("idx").to_numpy().astype(np.int64)


def walk(
    recommender: CoFollowRecommender,
    start: np.ndarray,
    abusive: np.ndarray,
    network: np.ndarray,
    *,
    steps: int,
    k: int,
    guard: Guard | None = None,
    mode: str = "view",
) -> dict[str, Any]:
    """Replay the experiment for test accounts that each start from one account in ``start``.

    ``abusive``: boolean per account (ground truth); ``network``: network code per account (-1 none).
    Returns the per-step exposure curve and per-account outcomes.
    """
    n = recommender.n_
    b = start.size
    first = indicator(b, n, start[:, None])
    follows = first if mode == "follow" else sp.csr_matrix((b, n), dtype=FLOAT)
    views = first if mode == "view" else None
    seen = sp.csr_matrix((b, n), dtype=FLOAT)
    exposure, worst, shown = [], [], []
    first_step = np.full(b, -1, dtype=np.int64)
    for t in range(steps):
        rec = recommender.recommend(follows, views, k=k, guard=guard)
        ok = rec.idx >= 0
        bad = ok & abusive[np.where(ok, rec.idx, 0)]
        count = ok.sum(axis=1)
        share = np.divide(bad.sum(axis=1), count, out=np.zeros(b), where=count > 0)
        exposure.append(float(share.mean()) if b else 0.0)
        worst.append(float(share.max()) if b else 0.0)
        shown.append(float(count.mean()) if b else 0.0)
        first_step[(first_step < 0) & bad.any(axis=1)] = t
        new = indicator(b, n, rec.idx)
        seen = binary(seen + new)
        follows = binary(follows + new)
    reached = seen.tocsr()
    rows = row_ids(reached)
    home = network[start]
    same = (network[reached.indices] == home[rows]) & (home[rows] >= 0)
    sizes = np.bincount(network[network >= 0], minlength=max(int(network.max()) + 1, 1)) if network.size else np.zeros(1)
    got = np.bincount(rows[same], minlength=b)
    has_net = home >= 0
    reach = np.divide(got, sizes[np.where(has_net, home, 0)], out=np.zeros(b), where=has_net)
    abusive_seen = np.bincount(rows[abusive[reached.indices]], minlength=b)
    hit = first_step >= 0
    return {
        "exposure": exposure,
        "exposure_max": worst,
        "shown_per_step": shown,
        "steps_to_first_abusive": [int(s) if s >= 0 else None for s in first_step],
        "accounts_with_abusive": int(hit.sum()),
        "mean_steps_to_first_abusive": float(first_step[hit].mean()) if hit.any() else None,
        "network_reach": float(reach[has_net].mean()) if has_net.any() else 0.0,
        "abusive_accounts_reached": float(abusive_seen.mean()) if b else 0.0,
    }


def probe_search(
    search: SearchIndex, probes: list[tuple[str, str, str]], abusive: np.ndarray, guard: Guard | None = None
) -> dict[str, Any]:
    """Run every probe query; the share of exposed accounts (accounts and post authors) that are abusive."""
    total = bad = blocked = 0
    worst = 0.0
    by_variant: dict[str, list[int]] = {}
    for query, _term, variant in probes:
        res = search.search(query, guard=guard)
        shown = res.shown_accounts
        nb = int(abusive[shown].sum()) if shown.size else 0
        total += shown.size
        bad += nb
        blocked += int(res.blocked)
        if shown.size:
            worst = max(worst, nb / shown.size)
        v = by_variant.setdefault(variant, [0, 0])
        v[0] += shown.size
        v[1] += nb
    return {
        "search_exposure": bad / total if total else 0.0,
        "search_exposure_max": worst,
        "search_queries": len(probes),
        "search_results": total,
        "search_abusive_results": bad,
        "search_blocked": blocked,
        "search_exposure_by_variant": {k: (v[1] / v[0] if v[0] else 0.0) for k, v in sorted(by_variant.items())},
    }


def holdout_split(
    follows: sp.csr_matrix, benign: np.ndarray, *, share: float, users: int, min_follows: int = 5, seed: int = 0
) -> tuple[sp.csr_matrix, np.ndarray, sp.csr_matrix]:
    """Hold out ``share`` of the benign->benign follows of up to ``users`` benign users.

    Returns ``(train_follows, users, heldout)`` where ``heldout`` is ``(len(users), n)``.
    """
    n = follows.shape[0]
    coo = follows.tocoo()
    src, dst = coo.row.astype(np.int64), coo.col.astype(np.int64)
    ok = benign[src] & benign[dst]
    deg = np.bincount(src[ok], minlength=n)
    eligible = np.flatnonzero(benign & (deg >= min_follows))
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(eligible, size=min(users, eligible.size), replace=False))
    pos = np.full(n, -1, dtype=np.int64)
    pos[chosen] = np.arange(chosen.size)
    cand = np.flatnonzero(ok & (pos[src] >= 0))
    key = rng.random(cand.size)
    order = np.lexsort((key, src[cand]))
    cand = cand[order]
    s = src[cand]
    starts = np.searchsorted(s, s, side="left")
    rank = np.arange(cand.size) - starts
    quota = np.maximum(1, np.floor(share * deg[s])).astype(np.int64)
    held = cand[rank < quota]
    mask = np.ones(src.size, dtype=bool)
    mask[held] = False
    train = adjacency(n, src[mask], dst[mask])
    heldout = sp.csr_matrix(
        (np.ones(held.size, dtype=FLOAT), (pos[src[held]], dst[held])), shape=(chosen.size, n)
    )
    return train, chosen, heldout


def recall_at_k(
    recommender: CoFollowRecommender,
    train: sp.csr_matrix,
    users: np.ndarray,
    heldout: sp.csr_matrix,
    *,
    k: int,
    guard: Guard | None = None,
    batch: int = 512,
) -> float:
    """Mean over ``users`` of (held-out follows in the top ``k``) / (held-out follows)."""
    if users.size == 0:
        return 0.0
    n = train.shape[0]
    recalls = []
    for s in range(0, users.size, batch):
        u = users[s : s + batch]
        rec = recommender.recommend(train[u], k=k, viewers=u, guard=guard)
        h = heldout[s : s + batch]
        ok = rec.idx >= 0
        rows = np.broadcast_to(np.arange(u.size)[:, None], rec.idx.shape)[ok]
        keys = rows * n + rec.idx[ok]
        hkeys = row_ids(h).astype(np.int64) * n + h.indices
        hits = np.bincount(rows[np.isin(keys, hkeys)], minlength=u.size)
        recalls.append(hits / np.maximum(np.diff(h.indptr), 1))
    return float(np.concatenate(recalls).mean())


def _roles(platform: Platform, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(abusive, network)`` per account from rows ``account, role, network`` (labels or scan scores)."""
    n = platform.n
    rows = frame.with_columns(pl.Series("idx", platform.encode(frame.get_column("account")))).filter(pl.col("idx") >= 0)
    idx = rows.get_column("idx").to_numpy()
    role = rows.get_column("role").fill_null("none").to_numpy()
    abusive = np.zeros(n, dtype=bool)
    abusive[idx[(role == "seller") | (role == "buyer")]] = True
    network = np.full(n, -1, dtype=np.int64)
    with_net = rows.filter(pl.col("network").is_not_null() & pl.col("role").is_in(["seller", "buyer"]))
    codes = with_net.get_column("network").cast(pl.String).cast(pl.Categorical).to_physical().to_numpy()
    network[with_net.get_column("idx").to_numpy()] = codes.astype(np.int64)
    return abusive, network


def run_audit(
    snapshot: Snapshot,
    scan: ScanResult | None = None,
    *,
    truth: pl.DataFrame | None = None,
    oracle: ScanResult | None = None,
    steps: int = 5,
    k: int = 10,
    accounts: int = 20,
    mode: str = "view",
    seed: int = 0,
    holdout: float = 0.2,
    recall_users: int = 2000,
    under_review: Iterable[str] = (),
    lexicon: Lexicon | None = None,
    guard_params: dict[str, Any] | None = None,
    probe_terms: int = 60,
    out: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the audit and return the ``audit.json`` document (written, with a plot, under ``out`` if given).

    ``scan``: the scan's results feeding the guard. ``truth``: known roles (``account, role,
    network``) that exposure is measured against; without it, exposure is measured against
    the scan's own flags (a real platform has no ground truth). ``oracle``: a second guard's
    input (the lab builds one from labels, a perfect scan), reported under ``oracle``.
    At least one of ``scan`` and ``truth`` is needed. ``probe_terms``: coded terms probed in
    search (lexicon terms and the scan's terms, sampled), each in every obfuscated variant.
    Output keys: ``unguarded``, ``guarded``, ``benign_recall_at_k``, ``blocked`` (reason ->
    count), ``oracle`` (when given), ``config`` (``exposure_measured_by``: ``labels`` or ``scan``).
    """
    say = progress or (lambda _msg: None)
    if mode not in ("view", "follow"):
        raise ValueError(f"mode must be 'view' or 'follow', not {mode!r}")
    if scan is None and oracle is None:
        raise ValueError("the audit needs scan results or an oracle to guard with")
    reference = truth if truth is not None else scan.scores if scan is not None else None
    if reference is None:
        raise ValueError("the audit needs labels or scan results to measure exposure against")
    under_review = list(under_review)
    say("indexing the platform")
    platform = Platform.from_snapshot(snapshot)
    n = platform.n
    abusive, network = _roles(platform, reference)
    benign = ~abusive

    say("fitting the recommender and search")
    rec = CoFollowRecommender().fit(platform.follows, platform.views, platform.active)
    search = SearchIndex().fit(platform)
    if lexicon is None:
        lexicon = load_lexicon()
    params = guard_params or {}
    inputs = {name: r for name, r in (("scan", scan), ("oracle", oracle)) if r is not None}
    guards = {
        name: Guard(**params).fit(
            platform.ids,
            r.scores,
            networks=r.networks,
            terms=r.terms if r.terms.height or scan is None else scan.terms,
            minor=platform.minor,
            under_review=under_review,
            lexicon=lexicon,
        )
        for name, r in inputs.items()
    }
    main = "scan" if scan is not None else "oracle"
    terms = inputs[main].terms if inputs[main].terms.height or scan is None else scan.terms
    start = pick_test_sellers(platform, reference, accounts, seed)
    scan_terms = (
        terms.sort(pl.col("known").fill_null(False), maintain_order=True).get_column("term").to_list() if terms.height else []
    )  # discovered (known: false) first
    probes = probe_queries(lexicon_terms(lexicon), first=scan_terms, limit=probe_terms, seed=seed)

    say(f"walking {start.size} test accounts for {steps} steps, unguarded")
    runs: dict[str, dict[str, Any]] = {}
    runs["unguarded"] = walk(rec, start, abusive, network, steps=steps, k=k, mode=mode)
    runs["unguarded"].update(probe_search(search, probes, abusive))
    blocked: dict[str, dict[str, int]] = {}
    decisions: dict[str, pl.DataFrame] = {}
    for name, g in guards.items():
        say(f"walking {start.size} test accounts for {steps} steps, guarded ({name})")
        log = DecisionLog(record=True)
        logged = g.logged(log)
        runs[name] = walk(rec, start, abusive, network, steps=steps, k=k, guard=logged, mode=mode)
        runs[name].update(probe_search(search, probes, abusive, guard=logged))
        blocked[name] = log.counts()
        decisions[name] = _decode_decisions(log.decisions(), platform)

    say("measuring benign recall@k on held-out follows")
    train, users, held = holdout_split(
        platform.follows, benign & platform.active, share=holdout, users=recall_users, seed=seed
    )
    rec_train = CoFollowRecommender(**rec.get_params()).fit(train, None, platform.active)
    recall = {"unguarded": recall_at_k(rec_train, train, users, held, k=k)}
    for name, g in guards.items():
        recall[name] = recall_at_k(rec_train, train, users, held, k=k, guard=g)

    def recall_block(name: str) -> dict[str, Any]:
        base = recall["unguarded"]
        return {
            "unguarded": base,
            "guarded": recall[name],
            "relative_drop": (base - recall[name]) / base if base > 0 else 0.0,
            "users": int(users.size),
            "holdout": holdout,
        }

    result: dict[str, Any] = {
        "unguarded": runs["unguarded"],
        "guarded": runs[main],
        "benign_recall_at_k": recall_block(main),
        "blocked": blocked[main],
    }
    if oracle is not None:
        result["oracle"] = {
            "guarded": runs["oracle"],
            "benign_recall_at_k": recall_block("oracle"),
            "blocked": blocked["oracle"],
        }
    result["config"] = {
        "steps": steps,
        "k": k,
        "accounts": int(start.size),
        "mode": mode,
        "seed": seed,
        "guard_source": main,
        "exposure_measured_by": "labels" if truth is not None else "scan",
        "probe_queries": len(probes),
        "accounts_on_platform": n,
        "recommender": rec.get_params(),
        "guard": guards[main].get_params(),
    }
    if out is not None:
        write_audit(result, out)
        decisions[main].with_columns(pl.lit(main).alias("guard")).write_parquet(Path(out) / "decisions.parquet")
    return result


def _decode_decisions(frame: pl.DataFrame, platform: Platform) -> pl.DataFrame:
    """The guard's refusals with account ids instead of dense indices (``null`` for a test account)."""
    ids = platform.ids.ids
    cols = []
    for col in ("viewer", "account"):
        idx = frame.get_column(col).to_numpy()
        names = ids.gather(np.where(idx >= 0, idx, 0)) if idx.size else pl.Series([], dtype=pl.String)
        cols.append(pl.when(pl.col(col) >= 0).then(names).otherwise(None).alias(col))
    return frame.with_columns(cols)


def write_audit(result: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write ``audit.json`` and ``exposure.png`` under ``out``; returns their paths."""
    from firebreak.guard.plot import plot_exposure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "audit.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    png = plot_exposure(result, out / "exposure.png")
    return {"audit": path, "plot": png}
