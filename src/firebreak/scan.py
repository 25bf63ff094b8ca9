"""The scan: detection signals + graph -> scores, networks and terms (the spec's "Scan results").

:func:`scan` runs, on one :class:`~firebreak.snapshot.model.Snapshot`:

1. the graph (dense ids, follow and interaction CSR);
2. the detectors (lexicon, media, profile) into per-account units;
3. reports, discounted for harassment groups;
4. role scoring (alternating seller/buyer propagation), then ban evasion by
   MinHash/LSH against disabled sellers, then role scoring again;
5. personalised PageRank from the flagged sellers (risk of the rest);
6. Leiden networks on the flagged accounts; terms in use by them.

:meth:`ScanResult.write` writes ``scores.jsonl``, ``networks.jsonl``,
``terms.jsonl`` (and ``scores.parquet``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.graph.communities import find_communities
from firebreak.graph.csr import Graph, build_graph
from firebreak.graph.evasion import EvasionMatch, find_evasion
from firebreak.graph.propagate import personalized_pagerank
from firebreak.graph.reports import ReportSignal, report_signal
from firebreak.graph.roles import AccountSignals, RoleParams, RoleScores, score_roles
from firebreak.graph.signals import account_destinations, destination_codes, query_terms, term_usage, unit_vectors
from firebreak.snapshot.model import Snapshot

EVIDENCE_STRUCT = pl.List(pl.Struct({"signal": pl.String, "detail": pl.String, "weight": pl.Float64}))
Progress = Callable[[str], None]


@dataclass(slots=True)
class ScanResult:
    """Frames in the spec's shapes plus timings.

    ``scores``: ``account, risk, role, network, evidence``; ``networks``: ``id, members,
    sellers, buyers, unique_followers, risk, evidence, destinations``; ``terms``:
    ``term, known, accounts, evidence``.
    """

    scores: pl.DataFrame
    networks: pl.DataFrame
    terms: pl.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    def write(
        self,
        out_dir: str | Path,
        *,
        inputs: Mapping[str, str | Path] | None = None,
        parameters: Mapping[str, object] | None = None,
        quarantine: pl.DataFrame | None = None,
    ) -> dict[str, Path]:
        """Write the three JSONL files (and ``scores.parquet``) to ``out_dir`` atomically; returns their paths.

        The folder is built beside ``out_dir`` and swapped in complete, with a
        ``manifest.json`` naming the run, ``inputs`` (name -> path, fingerprinted) and
        ``parameters`` (:func:`firebreak.atomic.atomic_results`); ``quarantine`` (rows
        quarantined while reading a raw snapshot) goes in as ``quarantine.jsonl``.
        """
        from firebreak.atomic import atomic_results
        from firebreak.snapshot.quarantine import write_quarantine

        out = Path(out_dir)
        names = {"scores": "scores.jsonl", "networks": "networks.jsonl", "terms": "terms.jsonl", "scores_parquet": "scores.parquet"}
        owned = {*names.values(), "evaluation.json", "quarantine.jsonl"}
        with atomic_results(out, command="scan", inputs=inputs, parameters=parameters, may_replace=owned) as staged:
            tmp = {key: staged.path / name for key, name in names.items()}
            self.scores.write_ndjson(tmp["scores"])
            self.networks.select("id", "members", "sellers", "buyers", "unique_followers", "risk", "evidence", "destinations").write_ndjson(tmp["networks"])
            self.terms.write_ndjson(tmp["terms"])
            self.scores.write_parquet(tmp["scores_parquet"])
            if quarantine is not None:
                write_quarantine(quarantine, staged.path)
        return {key: out / name for key, name in names.items()}


def _detect(snapshot: Snapshot, bank: object | None) -> pl.DataFrame:
    from firebreak.detect.signals import detect_signals

    return detect_signals(snapshot, bank=bank)


def _pairs_by_row(matrix: sp.csr_matrix, rows: np.ndarray, cols_mask: np.ndarray, graph: Graph, limit: int = 3) -> pl.DataFrame:
    """For each row in ``rows``: up to ``limit`` column ids (as account ids) where ``cols_mask`` holds, joined by ', '."""
    if rows.size == 0:
        return pl.DataFrame(schema={"idx": pl.Int64, "names": pl.String})
    sub = (matrix[rows] @ sp.diags(cols_mask.astype(np.float64))).tocoo()
    frame = pl.DataFrame({"idx": rows[sub.row], "col": sub.col.astype(np.int64)})
    frame = frame.with_columns(pl.Series("name", graph.ids.decode(frame.get_column("col").to_numpy())))
    return frame.group_by("idx").agg(pl.col("name").sort().head(limit).str.join(", ").alias("names"))


def graph_evidence(graph: Graph, roles: RoleScores, reports: ReportSignal, evasion: EvasionMatch, dest_table: pl.DataFrame, destination: np.ndarray) -> pl.DataFrame:
    """Evidence rows (``idx, signal, detail, weight``) that the graph stages produced, for accounts with any units."""
    c = roles.components
    n = graph.n
    flagged = roles.seller | roles.buyer
    out_deg = graph.out_degree
    in_deg = graph.in_degree
    frames: list[pl.DataFrame] = []

    def add(mask: np.ndarray, signal: str, detail: pl.Expr, weight: np.ndarray, extra: dict[str, np.ndarray] | None = None) -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        cols = {"idx": idx.astype(np.int64), "w": weight[idx].astype(np.float64)}
        for k, v in (extra or {}).items():
            cols[k] = v[idx]
        f = pl.DataFrame(cols)
        frames.append(f.select("idx", pl.lit(signal).alias("signal"), detail.alias("detail"), pl.col("w").round(3).alias("weight")))

    sellers_f = _pairs_by_row(graph.follows, np.flatnonzero(roles.buyer & (c["follows_sellers"] > 0)), roles.seller, graph)
    add(
        c["follows_sellers"] > 0,
        "graph:follows_sellers",
        pl.format("follows {} flagged sellers among {} accounts followed (rate for accounts that follow as many: {})", pl.col("k").cast(pl.Int64), pl.col("d"), pl.col("q").round(4)),
        c["follows_sellers"],
        {"k": c["sellers_followed"], "d": out_deg, "q": c["follow_null_rate"]},
    )
    add(
        c["messages_sellers"] > 0,
        "graph:messages_sellers",
        pl.format("messaged {} flagged sellers", pl.col("k").cast(pl.Int64)),
        c["messages_sellers"],
        {"k": c["sellers_messaged"]},
    )
    add(
        c["interacts_sellers"] > 0,
        "graph:interacts_sellers",
        pl.format("viewed, liked or commented on {} flagged sellers", pl.col("k").cast(pl.Int64)),
        c["interacts_sellers"],
        {"k": c["sellers_interacted"]},
    )
    add(
        (c["weak_search"] > 0) & roles.buyer & (c["reporting"] == 0),
        "graph:weak_search",
        pl.format("searched {} ambiguous or newly discovered coded terms (counted only beside ties to sellers)", pl.col("k").cast(pl.Int64)),
        np.minimum(c["weak_search"] * 0.5, 1.0),
        {"k": c["weak_search"]},
    )
    add(
        (c["reporting"] > 0) & ((c["sellers_followed"] + c["sellers_interacted"] + c["sellers_messaged"]) > 0),
        "graph:reporting_context",
        pl.lit("quotes coded terms only in news or advocacy wording: its views of sellers and its searches are not counted (follows and messages are)"),
        np.zeros(n),
    )
    add(
        (c["peers"] > 0) & ((c["peers"] >= 0.25) | flagged),
        "graph:seller_peers",
        pl.format("followed by {} sellers that have evidence of their own, among {} followers (chance: {})", pl.col("k").cast(pl.Int64), pl.col("d"), pl.col("e").round(2)),
        c["peers"],
        {"k": c["seller_followers"], "d": in_deg, "e": c["peer_expected"]},
    )
    audience_mask = (c["audience"] != 0) & ((np.abs(c["audience"]) >= 0.25) | flagged) & ((c["content"] + c["ambiguous"] + c["reports"] > 0) | (c["audience"] > 0))
    add(
        audience_mask,
        "graph:buyer_audience",
        pl.format("{} of {} followers are flagged buyers (platform rate {}, typical seller {})", pl.col("k").cast(pl.Int64), pl.col("d"), pl.lit(f"{roles.rates.get('buyer_follower_rate', 0):.3f}"), pl.lit(f"{roles.rates.get('typical_seller_audience', 0):.3f}")),
        c["audience"],
        {"k": c["buyer_followers"], "d": in_deg},
    )
    if dest_table.height:
        names = dest_table.sort("code").get_column("destination").to_numpy()
        code = np.where(destination >= 0, destination, 0)
        add(
            c["destination"] > 0,
            "graph:shared_destination",
            pl.format("shares off-platform destination {} with flagged sellers", pl.col("dest")),
            c["destination"],
            {"dest": names[code]},
        )
    if evasion.new.size:
        order = np.argsort(-evasion.jaccard, kind="stable")
        new, old, jac, shared = evasion.new[order], evasion.old[order], evasion.jaccard[order], evasion.shared[order]
        first = np.unique(new, return_index=True)[1]
        ev = pl.DataFrame({
            "idx": new[first].astype(np.int64),
            "old": graph.ids.decode(old[first]),
            "j": np.round(jac[first], 3),
            "s": shared[first],
        })
        frames.append(ev.select(
            "idx",
            pl.lit("graph:ban_evasion").alias("signal"),
            pl.format("audience overlaps disabled seller {} (jaccard {}, {} shared followers)", "old", "j", "s").alias("detail"),
            pl.Series("weight", np.round(c["evasion"][new[first]], 3)),
        ))
    add(
        (reports.units > 0),
        "reports:child_safety",
        pl.format("{} child-safety reports (discounted for repeat reporters)", pl.col("k").cast(pl.Int64)),
        np.minimum(reports.units, 0.5),
        {"k": reports.reporters},
    )
    add(
        reports.harassment,
        "reports:harassment_pattern",
        pl.format("{} child-safety reports from a tight group (follow density {}): not counted", pl.col("k").cast(pl.Int64), pl.col("dens").round(2)),
        np.zeros(n),
        {"k": reports.reporters, "dens": reports.density},
    )
    if not frames:
        return pl.DataFrame(schema={"idx": pl.Int64, "signal": pl.String, "detail": pl.String, "weight": pl.Float64})
    out = pl.concat(frames, how="vertical_relaxed")
    if sellers_f.height:
        out = out.join(sellers_f, on="idx", how="left").with_columns(
            pl.when((pl.col("signal") == "graph:follows_sellers") & pl.col("names").is_not_null())
            .then(pl.format("{}: {}", pl.col("detail"), pl.col("names")))
            .otherwise(pl.col("detail"))
            .alias("detail")
        ).drop("names")
    return out


def member_adjacency(graph: Graph, members: np.ndarray) -> sp.csr_matrix:
    """Symmetric follow + interaction adjacency among ``members`` only (n x n, touching only their rows)."""
    idx = np.flatnonzero(members)
    sel = sp.csr_matrix((np.ones(idx.size), (idx, idx)), shape=(graph.n, graph.n))
    core = (sel @ graph.follows @ sel + sel @ graph.interactions @ sel).tocsr()
    return (core + core.T).tocsr()


def _unique_followers(graph: Graph, labels: np.ndarray, seller: np.ndarray, k: int) -> np.ndarray:
    """Distinct followers of each network's sellers (one sparse product)."""
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.flatnonzero((labels >= 0) & seller)
    inc = sp.csr_matrix((np.ones(idx.size), (labels[idx], idx)), shape=(k, graph.n))
    reach = (inc @ graph.followers).tocsr()
    return np.diff(reach.indptr).astype(np.int64)


def scan(
    snapshot: Snapshot,
    bank: object | None = None,
    *,
    params: RoleParams | None = None,
    evidence: pl.DataFrame | None = None,
    progress: Progress | None = None,
    seed: int = 0,
) -> ScanResult:
    """Scan ``snapshot`` (with an optional media hash ``bank``) and return a :class:`ScanResult`.

    ``evidence`` overrides the detectors (a precomputed evidence frame);
    ``progress`` is called with each stage's name as it starts.
    """
    p = params or RoleParams()
    timings: dict[str, float] = {}
    say = progress or (lambda _s: None)
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    say("graph")
    graph = build_graph(snapshot)
    lap("graph")
    say("detect")
    det = _detect(snapshot, bank) if evidence is None else evidence
    det = det.with_columns(pl.col("account").cast(pl.String), pl.col("weight").cast(pl.Float64))
    units = unit_vectors(det, graph.ids)
    dest_pairs = account_destinations(snapshot)
    destination, dest_table = destination_codes(dest_pairs, graph.ids, p.destination_max_sharers)
    lap("detect")
    say("reports")
    reports = report_signal(snapshot, graph)
    lap("reports")
    say("roles")
    signals = AccountSignals(
        content=units["content"], ambiguous=units["ambiguous"], search=units["search"],
        reports=reports.units, destination=destination, evasion=np.zeros(graph.n), media=units["media"],
        weak_search=units["ambiguous_search"], reporting=units["reporting"],
    )
    roles = score_roles(graph, signals, p)
    lap("roles")
    say("evasion")
    status = snapshot.accounts.get_column("status").fill_null("active")
    disabled = (status == "disabled").to_numpy()
    evasion = find_evasion(graph.followers, np.flatnonzero(disabled & roles.seller), np.flatnonzero(~disabled), seed=seed)
    if evasion.new.size:
        signals.evasion = np.zeros(graph.n)
        strength = np.clip((evasion.jaccard - p.evasion_jaccard_zero) / (p.evasion_jaccard_full - p.evasion_jaccard_zero), 0.0, 1.0)
        np.maximum.at(signals.evasion, evasion.new, p.evasion_units * strength)
        roles = score_roles(graph, signals, p)
    lap("evasion")
    say("terms")
    # terms discovered around the flagged accounts: searching them is (weak) buyer evidence, then score again
    flagged_ids = graph.ids.decode(np.flatnonzero(roles.seller | roles.buyer))
    discovered = _discover(snapshot, flagged_ids)
    novel = discovered.filter(~pl.col("known")).get_column("term").to_list()
    if novel:
        signals.weak_search = units["ambiguous_search"] + query_terms(snapshot, novel, graph.ids)
        roles = score_roles(graph, signals, p)
    lap("terms")
    say("propagate")
    seller_mass = roles.seller.astype(np.float64)
    proximity = np.zeros(graph.n)
    if seller_mass.sum() > 0:
        ppr = personalized_pagerank(graph.followers + graph.interactions.T, seller_mass, alpha=0.5, max_iter=30, tol=1e-6)
        proximity = ppr.scores * graph.n
    lap("propagate")
    say("networks")
    flagged = roles.seller | roles.buyer
    hubs = term_usage(snapshot, novel, graph.ids) if novel else None
    labels = find_communities(member_adjacency(graph, flagged), flagged, destination, hubs=hubs, seed=seed)
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    sellers_per = np.bincount(labels[roles.seller & (labels >= 0)], minlength=k)
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    real = (sellers_per >= 1) & (sizes >= 2)
    net_rank = np.cumsum(real) - 1
    net_of = np.where((labels >= 0) & real[np.maximum(labels, 0)], net_rank[np.maximum(labels, 0)], -1)
    n_nets = int(real.sum())
    lap("networks")
    say("evidence")
    risk = roles.risk()
    # accounts that are not flagged carry a proximity-based risk capped below the flag line
    prox_risk = np.clip(0.4 * (1.0 - np.exp(-proximity / 50.0)), 0.0, 0.4)
    risk = np.where(flagged, risk, np.minimum(risk, 0.49))
    risk = np.maximum(risk, np.where(flagged, 0.0, prox_risk))
    gev = graph_evidence(graph, roles, reports, evasion, dest_table, destination)
    det_ev = det.select("account", "signal", pl.col("detail").cast(pl.String), "weight")
    gev = gev.with_columns(pl.Series("account", graph.ids.decode(gev.get_column("idx").to_numpy()))).select("account", "signal", "detail", "weight")
    all_ev = pl.concat([det_ev, gev], how="vertical_relaxed")
    per_account = all_ev.group_by("account", maintain_order=True).agg(
        pl.struct("signal", "detail", "weight").alias("evidence")
    )
    role = np.where(roles.seller, "seller", np.where(roles.buyer, "buyer", "none"))
    base = pl.DataFrame({
        "account": graph.ids.ids,
        "risk": np.round(risk, 4),
        "role": role,
        "network": net_of,
        "keep": flagged | (prox_risk >= 0.2),
    })
    base = base.with_columns(
        pl.when(pl.col("network") >= 0).then(pl.format("net-{}", pl.col("network").cast(pl.String).str.zfill(3))).otherwise(None).alias("network")
    )
    scores = (
        base.join(per_account, on="account", how="left")
        .filter(pl.col("keep") | pl.col("evidence").is_not_null())
        .with_columns(pl.col("evidence").fill_null(pl.lit([], dtype=EVIDENCE_STRUCT)))
        .select("account", "risk", "role", "network", "evidence")
        .sort(["risk", "account"], descending=[True, False])
    )
    networks = _networks(graph, roles, net_of, n_nets, risk, destination, dest_table)
    lap("evidence")
    terms = _terms(det, scores, discovered)
    stats = {
        "accounts": graph.n,
        "follows": int(graph.follows.nnz),
        "sellers": int(roles.seller.sum()),
        "buyers": int(roles.buyer.sum()),
        "networks": n_nets,
        "evasion_matches": int(evasion.new.size),
        "role_iterations": roles.iterations,
        "rates": roles.rates,
    }
    return ScanResult(scores=scores, networks=networks, terms=terms, timings=timings, stats=stats)


def _networks(graph: Graph, roles: RoleScores, net_of: np.ndarray, k: int, risk: np.ndarray, destination: np.ndarray, dest_table: pl.DataFrame) -> pl.DataFrame:
    schema = {"id": pl.String, "members": pl.List(pl.String), "sellers": pl.Int64, "buyers": pl.Int64, "unique_followers": pl.Int64, "risk": pl.Float64, "evidence": EVIDENCE_STRUCT, "destinations": pl.List(pl.String)}
    if k == 0:
        return pl.DataFrame(schema=schema)
    unique = _unique_followers(graph, net_of, roles.seller, k)
    idx = np.flatnonzero(net_of >= 0)
    members = pl.DataFrame({
        "net": net_of[idx],
        "account": graph.ids.decode(idx),
        "seller": roles.seller[idx],
        "buyer": roles.buyer[idx],
        "risk": risk[idx],
        "dest": destination[idx],
    })
    names = dest_table.rename({"code": "dest"})
    dests = (
        members.filter(pl.col("dest") >= 0)
        .group_by("net", "dest").agg(pl.len().alias("users"))
        .filter(pl.col("users") >= 2)
        .join(names, on="dest")
        .sort(["net", "users", "destination"], descending=[False, True, False])
        .group_by("net").agg(pl.col("destination").alias("destinations"), pl.col("users").sum().alias("dest_users"))
    )
    nets = (
        members.group_by("net").agg(
            pl.col("account").sort().alias("members"),
            pl.col("seller").sum().cast(pl.Int64).alias("sellers"),
            pl.col("buyer").sum().cast(pl.Int64).alias("buyers"),
            pl.col("risk").filter(pl.col("seller")).mean().alias("risk"),
        )
        .join(pl.DataFrame({"net": np.arange(k), "unique_followers": unique}), on="net")
        .join(dests, on="net", how="left")
        .with_columns(pl.col("destinations").fill_null(pl.lit([], dtype=pl.List(pl.String))), pl.col("dest_users").fill_null(0))
        .sort("net")
    )
    nets = nets.with_columns(
        pl.format("net-{}", pl.col("net").cast(pl.String).str.zfill(3)).alias("id"),
        pl.col("risk").fill_null(0.5).round(4),
        pl.concat_list(
            pl.struct(pl.lit("network:sellers").alias("signal"), pl.format("{} flagged sellers with {} unique followers", "sellers", "unique_followers").alias("detail"), pl.col("sellers").cast(pl.Float64).alias("weight")),
            pl.struct(pl.lit("network:buyers").alias("signal"), pl.format("{} flagged buyers bound to them by follows and interactions", "buyers").alias("detail"), pl.col("buyers").cast(pl.Float64).alias("weight")),
            pl.struct(pl.lit("network:shared_destinations").alias("signal"), pl.format("{} members share {} off-platform destinations", "dest_users", pl.col("destinations").list.len()).alias("detail"), pl.col("destinations").list.len().cast(pl.Float64).alias("weight")),
        ).alias("evidence"),
    )
    return nets.select(list(schema))


def _terms(det: pl.DataFrame, scores: pl.DataFrame, discovered: pl.DataFrame) -> pl.DataFrame:
    """Known lexicon terms used by flagged accounts, plus terms discovered around them (``known: false``)."""
    schema = {"term": pl.String, "known": pl.Boolean, "accounts": pl.Int64, "evidence": pl.String}
    flagged = scores.filter(pl.col("role") != "none").select("account", "network")
    frames = []
    if "term" in det.columns and det.height:
        known = (
            det.filter(pl.col("term").is_not_null() & pl.col("signal").str.contains(r"^(lexicon|search):"))
            .join(flagged, on="account")
            .group_by("term")
            .agg(pl.col("account").n_unique().alias("accounts"), pl.col("network").drop_nulls().n_unique().alias("nets"))
            .select(
                pl.col("term").cast(pl.String),
                pl.lit(True).alias("known"),
                pl.col("accounts").cast(pl.Int64),
                pl.format("lexicon term used by {} flagged accounts in {} networks", "accounts", "nets").alias("evidence"),
            )
        )
        frames.append(known)
    # a discovered spelling of a lexicon term is already counted under the lexicon's own term
    frames.append(discovered.filter(~pl.col("known")))
    out = pl.concat([f.select(list(schema)).cast(schema) for f in frames], how="vertical")
    return out.sort(["known", "accounts", "term"], descending=[True, True, False]).unique("term", keep="first", maintain_order=True)


def _discover(snapshot: Snapshot, flagged: pl.Series) -> pl.DataFrame:
    """Terms discovered around the flagged accounts: ``term, known, accounts, evidence``."""
    from firebreak.detect.discovery import discover_terms
    from firebreak.detect.lexicon import load_lexicon

    found = discover_terms(snapshot, flagged, load_lexicon())
    return found.select("term", "known", pl.col("accounts").cast(pl.Int64), "evidence")


def scan_stats_json(result: ScanResult) -> str:
    """The scan's statistics and timings as a JSON string (for the CLI and benchmarks)."""
    return json.dumps({"stats": result.stats, "timings": result.timings}, default=float, indent=2)
