"""The simulator's entry points: :func:`generate` (in memory) and :func:`simulate` (to disk)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from firebreak.lab.sim import config as C
from firebreak.lab.sim import vocabulary as V
from firebreak.lab.sim.activity import benign_events, benign_posts, ordinary_reports, profiles_like_benign
from firebreak.lab.sim.basegraph import load_edge_list, population_from_graph
from firebreak.lab.sim.config import CAMOUFLAGES, CONFOUNDERS, SimConfig
from firebreak.lab.sim.confounders import plant_confounders
from firebreak.lab.sim.media import random_hashes, to_hex
from firebreak.lab.sim.networks import abusive_accounts, plant_networks
from firebreak.lab.sim.population import AGE_NAMES, build_population
from firebreak.lab.sim.watchers import drop_watcher_messages, plant_watchers, trusted_frame
from firebreak.lab.sim.world import ROLE_NAMES, ROLE_SELLER, World
from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import MEDIA, TS

#: the steps :func:`generate` reports to its ``progress`` callback, in order.
STEPS = ("population", "networks", "confounders", "profiles and posts", "events and reports", "snapshot tables")


@dataclass
class SimOutput:
    """A generated platform: the snapshot, ground-truth labels, the hash bank and the truth.

    ``labels`` has columns ``account, role, network, camouflage, confounder``;
    ``bank`` holds hex hashes (64 hex = PDQ, 32 hex = MD5); ``truth`` is what
    ``truth.json`` holds (novel and known terms, networks, recreated pairs, config);
    ``trusted`` is the trusted-flagger registry (``account, organisation, since``) an
    operator would load: vetted watchers' accounts (``trusted_flaggers.csv``).
    """

    snapshot: Snapshot
    labels: pl.DataFrame
    bank: list[str]
    truth: dict[str, Any]
    trusted: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"account": pl.String, "organisation": pl.String, "since": pl.Datetime("us", "UTC")}))


def _fixed_accounts(cfg: SimConfig) -> int:
    c = cfg.confounders
    return abusive_accounts(cfg) + c.get("f4f_bot", 0) + c.get("single_follow", 0)


def generate(config: SimConfig, progress: Callable[[str], None] | None = None) -> SimOutput:
    """Generate the platform described by ``config``, in memory and deterministically.

    ``progress`` (optional) is called with each name in :data:`STEPS` as it finishes.
    """
    cfg = config
    tick = progress or (lambda _step: None)
    rng = np.random.default_rng(cfg.seed)
    graph = None
    if cfg.base_graph:
        graph = load_edge_list(cfg.base_graph, cfg.base_graph_directed)
        if _fixed_accounts(cfg) > graph.n:
            raise ValueError(
                f"{cfg.accounts} accounts' worth of networks would outnumber the {graph.n} real accounts: "
                "leave --accounts unset with --base-graph"
            )
        pop = population_from_graph(cfg, graph, rng)
    else:
        n_pop = cfg.accounts - _fixed_accounts(cfg)
        if n_pop < max(200, cfg.accounts // 4):
            raise ValueError(f"{cfg.accounts} accounts leave too few benign ones: raise accounts or shrink the networks")
        pop = build_population(cfg, n_pop, rng)
    w = World.start_from(cfg, rng, pop)
    names, tags = V.community_topics(rng, pop.communities, pop.teen)
    w.truth["community_names"], w.truth["community_tags"] = names, tags
    w.bank_pdq = random_hashes(rng, cfg.bank_pdq, 32)
    w.bank_md5 = random_hashes(rng, cfg.bank_md5, 16)
    tick("population")
    plant_networks(w)
    tick("networks")
    plant_confounders(w)
    plant_watchers(w)
    tick("confounders")
    covered = np.zeros(w.n, bool)
    covered[pl.concat([p.select("idx") for p in w.profiles])["idx"].to_numpy()] = True
    w.add("profiles", profiles_like_benign(w, np.flatnonzero(~covered)).to_dict())
    quiet = (w.confounder == CONFOUNDERS.index("single_follow")) | w.disabled
    benign_posts(w, (w.role != ROLE_SELLER) & ~quiet)
    tick("profiles and posts")
    key = rng.permutation(w.n)  # opaque id order, drawn once every account exists
    pieces, w.follows = w.follows, []
    follows = _dedupe(pl.concat(pieces), key)
    del pieces
    w.follows = [follows]
    activity = np.ones(w.n)
    activity[w.confounder == CONFOUNDERS.index("f4f_bot")] = 0.02
    activity[quiet] = 0.0
    benign_events(w, follows, activity)
    drop_watcher_messages(w)
    del follows
    ordinary_reports(w, ~quiet & (w.role != ROLE_SELLER))
    tick("events and reports")
    if graph is not None:
        w.truth["base_graph_idx"] = {"path": cfg.base_graph, "directed": graph.directed, "nodes": graph.node_ids, "edges": len(graph.src)}
    out = _finish(w, key)
    tick("snapshot tables")
    return out


def _dedupe(follows: pl.DataFrame, key: np.ndarray) -> pl.DataFrame:
    """Follows without self-loops or repeated pairs (the first added kept), in the order
    of the follower's and then the followee's opaque id."""
    src, dst = follows["src"].to_numpy(), follows["dst"].to_numpy()
    n = len(key)
    pair = key[src].astype(np.int64) * n + key[dst]
    pair[src == dst] = -1
    order = np.argsort(pair, kind="stable")
    pair = pair[order]
    first = np.concatenate([[True], pair[1:] != pair[:-1]]) & (pair >= 0)
    del pair
    kept: pl.DataFrame = follows[order[first]]
    return kept


def _ts(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col), time_unit="s").dt.replace_time_zone("UTC").cast(TS)


def _finish(w: World, key: np.ndarray) -> SimOutput:
    """Map integer accounts to opaque ids (account i gets id number ``key[i]``) and build
    the canonical snapshot tables."""
    cfg, rng = w.cfg, w.rng
    n = w.n
    width = max(7, len(str(n - 1)))
    ids = pl.Series(key).cast(pl.String).str.zfill(width)
    ids = ("u" + ids).alias("id")

    def acct(col: str) -> pl.Expr:
        return pl.lit(ids).gather(pl.col(col))

    profiles = pl.concat(w.profiles).sort("idx")
    accounts = (
        profiles.with_columns(
            key=pl.Series(key),
            created=pl.Series(w.created),
            age_group=V.gather(AGE_NAMES, w.age),
            status=pl.Series(np.where(w.disabled, "disabled", "active")),
        )
        .sort("key")
        .select(
            acct("idx").alias("id"), "handle", "display_name", "bio", _ts("created").alias("created_at"), "age_group", "links", "status"
        )
    )
    follows = w.follows.pop().select(acct("src").alias("src"), acct("dst").alias("dst"), _ts("t").alias("created_at"))

    posts = pl.concat(w.posts).sort(["t", "author"], maintain_order=True).with_row_index("pidx")
    pwidth = max(8, len(str(posts.height)))
    posts = posts.with_columns(pid="p" + pl.col("pidx").cast(pl.String).str.zfill(pwidth))
    has_media = pl.col("pdq").is_not_null() | pl.col("md5").is_not_null()
    posts_out = posts.select(
        pl.col("pid").alias("id"),
        acct("author").alias("author"),
        _ts("t").alias("created_at"),
        "text",
        "hashtags",
        pl.when(has_media)
        .then(pl.concat_list(pl.struct("pdq", "quality", "md5")))
        .otherwise(pl.lit([], dtype=MEDIA))
        .cast(MEDIA)
        .alias("media"),
        "links",
    )
    # a random post of each author, for likes, comments and reports on posts
    by_author = posts.sort("author", maintain_order=True)
    counts = np.bincount(by_author["author"].to_numpy(), minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pids = by_author["pid"]

    def resolve(frame: pl.DataFrame) -> pl.DataFrame:
        tgt = frame["target"].fill_null(0).to_numpy()
        on_post = frame["target_post"].fill_null(False).to_numpy() & (counts[tgt] > 0)
        row = starts[tgt] + (rng.random(len(tgt)) * np.maximum(counts[tgt], 1)).astype(np.int64)
        post_id = pids.gather(pl.Series(np.where(on_post, row, 0)))
        return frame.with_columns(
            on_post=pl.Series(on_post), post_id=post_id, acct_id=ids.gather(pl.Series(tgt))
        ).with_columns(
            target_id=pl.when(pl.col("target").is_null())
            .then(None)
            .when(pl.col("on_post"))
            .then(pl.col("post_id"))
            .otherwise(pl.col("acct_id"))
        )

    events = resolve(pl.concat(w.events).sort("t", maintain_order=True))
    events_out = events.select(
        acct("actor").alias("actor"),
        pl.when(pl.col("kind").is_in(["like", "comment"]) & ~pl.col("on_post")).then(pl.lit("view")).otherwise(pl.col("kind")).alias("kind"),
        pl.col("target_id").alias("target"),
        "query",
        _ts("t").alias("created_at"),
    )
    reports = resolve(pl.concat(w.reports).sort("t", maintain_order=True))
    rwidth = max(6, len(str(reports.height)))
    reports_out = reports.with_row_index("r").select(
        ("r" + pl.col("r").cast(pl.String).str.zfill(rwidth)).alias("id"),
        pl.when(pl.col("reporter").is_null()).then(None).otherwise(pl.lit(ids).gather(pl.col("reporter").fill_null(0))).alias("reporter"),
        pl.when(pl.col("on_post")).then(pl.lit("post")).otherwise(pl.lit("account")).alias("target_kind"),
        pl.col("target_id").alias("target"),
        "reason",
        "text",
        _ts("t").alias("created_at"),
    )
    labels = _labels(w, ids, key)
    bank = to_hex(w.bank_pdq).to_list() + to_hex(w.bank_md5).to_list()
    truth = _truth(w, ids)
    snapshot = Snapshot(
        accounts=accounts,
        follows=follows,
        posts=posts_out,
        events=events_out,
        reports=reports_out,
        labels=labels.select("account", "role", "network"),
        manifest={"format": 1, "platform": "firebreak-sim", "exported_at": cfg.end},
    )
    return SimOutput(snapshot=snapshot, labels=labels, bank=bank, truth=truth, trusted=trusted_frame(w, ids, w.start))


def _labels(w: World, ids: pl.Series, key: np.ndarray) -> pl.DataFrame:
    net = pl.Series([f"net{k + 1:02d}" for k in range(max(1, w.cfg.networks))])
    return (
        pl.DataFrame(
            {
                "account": ids,
                "role": V.gather(ROLE_NAMES, w.role),
                "network": V.maybe(net.gather(pl.Series(np.maximum(w.network, 0).astype(np.int64))), w.network >= 0),
                "camouflage": V.maybe(V.gather(CAMOUFLAGES, np.maximum(w.camouflage, 0)), w.camouflage >= 0),
                "confounder": V.maybe(V.gather(CONFOUNDERS, np.maximum(w.confounder, 0)), w.confounder >= 0),
                "status": np.where(w.disabled, "disabled", "active"),
                "key": key,
            }
        )
        .sort("key")
        .drop("key")
    )


def _truth(w: World, ids: pl.Series) -> dict[str, Any]:
    t = w.truth
    def name(i: int) -> str:
        return str(ids[int(i)])

    return {
        "novel_terms": t.get("novel_terms", []),
        "known_terms": V.known_terms(),
        "networks": t.get("networks", {}),
        "recreated": [{"old": name(p), "new": name(s)} for p, s in t.get("recreated_idx", [])],
        "harassment_group": [name(i) for i in t.get("harassment_group_idx", [])],
        "config": w.cfg.to_dict(),
        **_base_graph_truth(t, ids),
    }


def _base_graph_truth(t: dict[str, Any], ids: pl.Series) -> dict[str, Any]:
    """``{"base_graph": {path, directed, edges, accounts: {node id: account id}}}`` in base-graph mode."""
    if "base_graph_idx" not in t:
        return {}
    g = t["base_graph_idx"]
    nodes = g["nodes"]
    accounts = ids.head(len(nodes)).to_list()  # the real graph's nodes are accounts 0..n-1
    return {"base_graph": {"path": g["path"], "directed": g["directed"], "edges": g["edges"], "accounts": dict(zip(nodes, accounts, strict=True))}}


def simulate(
    out_dir: str | Path,
    *,
    seed: int = 0,
    accounts: int | None = None,
    preset: str = "default",
    base_graph: str | Path | None = None,
    encoding: str = "jsonl",
    progress: Callable[[str], None] | None = None,
) -> SimOutput:
    """Generate a platform and write it to ``out_dir``.

    Writes the snapshot (``firebreak.snapshot.write_snapshot``, in ``encoding``),
    ``labels.jsonl``, ``hashbank.txt`` and ``truth.json``; returns the :class:`SimOutput`.
    """
    from firebreak.snapshot import write_snapshot
    from firebreak.snapshot.schema import ENCODINGS

    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}: choose one of {', '.join(ENCODINGS)}")

    cfg = C.preset(preset, seed=seed, accounts=accounts, base_graph=str(base_graph) if base_graph else None)
    out = generate(cfg, progress)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    snap = out.snapshot
    # labels travel as labels.jsonl (with camouflage and confounder), never in the snapshot's own encoding
    write_snapshot(replace(snap, labels=snap.labels.clear()), out_dir, encoding=encoding)
    write_extras(out, out_dir)
    return out


def write_extras(out: SimOutput, out_dir: str | Path) -> None:
    """Write ``labels.jsonl``, ``hashbank.txt``, ``truth.json`` and (when it has rows) ``trusted_flaggers.csv``
    for ``out`` into ``out_dir``."""
    out_dir = Path(out_dir)
    for enc in ("parquet", "jsonl.gz", "csv"):
        (out_dir / f"labels.{enc}").unlink(missing_ok=True)
    out.labels.write_ndjson(out_dir / "labels.jsonl")
    with (out_dir / "hashbank.txt").open("w", encoding="utf-8") as fh:
        fh.write("# synthetic hash bank: 64 hex = PDQ, 32 hex = MD5 (random; no real material)\n")
        fh.write("\n".join(out.bank) + "\n")
    if out.trusted.height:
        out.trusted.with_columns(pl.col("since").dt.strftime("%Y-%m-%d")).write_csv(out_dir / "trusted_flaggers.csv")
    (out_dir / "truth.json").write_text(json.dumps(out.truth, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
