"""Evidence rows for what the scan's graph stages found (roles, reports, evasion, destinations).

:func:`graph_evidence` turns the per-account units of each evidence family
(:attr:`RoleScores.components <firebreak.graph.roles.RoleScores>`) into rows of
the evidence contract (:data:`firebreak.evidence.EVIDENCE`), each with a
:class:`~firebreak.evidence.Signal`, a reviewer-readable detail, its weight and,
where one applies, the counterpart account (a seller followed, a disabled
seller whose audience moved).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.evidence import Signal, empty_evidence, evidence_frame
from firebreak.exprs import fmt
from firebreak.graph.csr import Graph
from firebreak.graph.evasion import EvasionMatch
from firebreak.graph.reports import ReportSignal
from firebreak.graph.roles import RoleScores


def _pairs_by_row(matrix: sp.csr_matrix, rows: np.ndarray, cols_mask: np.ndarray, graph: Graph, limit: int = 3) -> pl.DataFrame:
    """For each row in ``rows``: up to ``limit`` column ids (as account ids, sorted) where ``cols_mask`` holds.

    Columns ``idx`` (the row), ``names`` (joined by ', ') and ``first`` (the first name).
    """
    if rows.size == 0:
        return pl.DataFrame(schema={"idx": pl.Int64, "names": pl.String, "first": pl.String})
    sub = (matrix[rows] @ sp.diags(cols_mask.astype(np.float64))).tocoo()
    frame = pl.DataFrame({"idx": rows[sub.row], "col": sub.col.astype(np.int64)})
    frame = frame.with_columns(pl.Series("name", graph.ids.decode(frame.get_column("col").to_numpy())))
    return frame.group_by("idx").agg(
        pl.col("name").sort().head(limit).str.join(", ").alias("names"), pl.col("name").min().alias("first")
    )


def graph_evidence(
    graph: Graph,
    roles: RoleScores,
    reports: ReportSignal,
    evasion: EvasionMatch,
    dest_table: pl.DataFrame,
    destination: np.ndarray,
) -> pl.DataFrame:
    """Evidence rows (:data:`~firebreak.evidence.EVIDENCE`) of the graph stages, for accounts with any units.

    ``dest_table``: destination code -> key (``code, destination``); ``destination``: each
    account's code (``-1`` for none), as :func:`firebreak.scan.units.destination_codes` gives.
    """
    c = roles.components
    n = graph.n
    flagged = roles.seller | roles.buyer
    out_deg = graph.out_degree
    in_deg = graph.in_degree
    frames: list[pl.DataFrame] = []

    def add(
        mask: np.ndarray,
        signal: Signal,
        detail: pl.Expr,
        weight: np.ndarray,
        extra: dict[str, np.ndarray] | None = None,
        term: pl.Expr | None = None,
    ) -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        cols: dict[str, np.ndarray] = {"idx": idx.astype(np.int64), "w": weight[idx].astype(np.float64)}
        for k, v in (extra or {}).items():
            cols[k] = v[idx]
        frames.append(
            pl.DataFrame(cols).select(
                "idx",
                pl.lit(signal.value).alias("signal"),
                detail.alias("detail"),
                pl.col("w").round(3).alias("weight"),
                (term if term is not None else pl.lit(None, pl.String)).alias("term"),
                pl.lit(None, pl.String).alias("counterpart"),
            )
        )

    add(
        c["follows_sellers"] > 0,
        Signal.GRAPH_FOLLOWS_SELLERS,
        fmt(
            "follows {} flagged sellers among {} accounts followed (rate for accounts that follow as many: {})",
            pl.col("k").cast(pl.Int64), pl.col("d"), pl.col("q").round(4),
        ),
        c["follows_sellers"],
        {"k": c["sellers_followed"], "d": out_deg, "q": c["follow_null_rate"]},
    )
    add(
        c["messages_sellers"] > 0,
        Signal.GRAPH_MESSAGES_SELLERS,
        fmt("messaged {} flagged sellers", pl.col("k").cast(pl.Int64)),
        c["messages_sellers"],
        {"k": c["sellers_messaged"]},
    )
    add(
        c["interacts_sellers"] > 0,
        Signal.GRAPH_INTERACTS_SELLERS,
        fmt("viewed, liked or commented on {} flagged sellers", pl.col("k").cast(pl.Int64)),
        c["interacts_sellers"],
        {"k": c["sellers_interacted"]},
    )
    add(
        (c["weak_search"] > 0) & roles.buyer & (c["reporting"] == 0),
        Signal.GRAPH_WEAK_SEARCH,
        fmt(
            "searched {} ambiguous coded terms (counted only beside ties to sellers)",
            pl.col("k").cast(pl.Int64),
        ),
        np.minimum(c["weak_search"] * 0.5, 1.0),
        {"k": c["weak_search"]},
    )
    add(
        (c["reporting"] > 0) & ((c["sellers_followed"] + c["sellers_interacted"] + c["sellers_messaged"]) > 0),
        Signal.GRAPH_REPORTING_CONTEXT,
        pl.lit(
            "quotes coded terms only in news or advocacy wording: its views of sellers and its searches are "
            "not counted and its follows count at a discount (messages count)"
        ),
        -np.where((c.get("research", np.zeros(n)) > 0) | (c.get("history", np.zeros(n)) >= 3), 0.0, c.get("discounted_units", np.zeros(n))),
    )
    # counter-evidence: what a watcher (researcher, journalist, advocate, NGO, police) does
    reported = c.get("sellers_reported", np.zeros(n))
    add(
        reported > 0,
        Signal.GRAPH_REPORTS_SELLERS,
        fmt(
            "reported {} of the flagged sellers it follows or viewed: those are not counted toward buying",
            pl.col("k").cast(pl.Int64),
        ),
        -c.get("reported_units", np.zeros(n)),
        {"k": reported},
    )
    history = c.get("history", np.zeros(n))
    add(
        (history >= 3) & ((c["sellers_followed"] + reported) > 0),
        Signal.GRAPH_REPORT_HISTORY,
        fmt("reported {} accounts for child safety: its follows of sellers count at a discount", pl.col("k").cast(pl.Int64)),
        -np.where(c.get("research", np.zeros(n)) > 0, 0.0, c.get("discounted_units", np.zeros(n))),
        {"k": history},
    )
    add(
        c.get("research", np.zeros(n)) > 0,
        Signal.GRAPH_RESEARCH_PATTERN,
        fmt(
            "research pattern: follows {} flagged sellers in {} seller groups and reported {} of them, messages none "
            "(many sellers beside a report, report history or news/advocacy wording, or most of them reported): "
            "following, viewing and searching not counted",
            pl.col("k").cast(pl.Int64), pl.col("g").cast(pl.Int64), pl.col("r").cast(pl.Int64),
        ),
        -c.get("research_units", np.zeros(n)),
        {"k": c["sellers_followed"] + c.get("sellers_followed_reported", np.zeros(n)), "g": c.get("seller_groups", np.zeros(n)), "r": reported},
    )
    add(
        (c["peers"] > 0) & ((c["peers"] >= 0.25) | flagged),
        Signal.GRAPH_SELLER_PEERS,
        fmt(
            "followed by {} sellers that have evidence of their own, among {} followers (chance: {})",
            pl.col("k").cast(pl.Int64), pl.col("d"), pl.col("e").round(2),
        ),
        c["peers"],
        {"k": c["seller_followers"], "d": in_deg, "e": c["peer_expected"]},
    )
    audience_mask = (
        (c["audience"] != 0)
        & ((np.abs(c["audience"]) >= 0.25) | flagged)
        & ((c["content"] + c["ambiguous"] + c["reports"] > 0) | (c["audience"] > 0))
    )
    add(
        audience_mask,
        Signal.GRAPH_BUYER_AUDIENCE,
        fmt(
            "{} of {} followers are flagged buyers (platform rate {}, typical seller {})",
            pl.col("k").cast(pl.Int64), pl.col("d"),
            pl.lit(f"{roles.rates.get('buyer_follower_rate', 0):.3f}"),
            pl.lit(f"{roles.rates.get('typical_seller_audience', 0):.3f}"),
        ),
        c["audience"],
        {"k": c["buyer_followers"], "d": in_deg},
    )
    if dest_table.height:
        names = dest_table.sort("code").get_column("destination").to_numpy()
        code = np.where(destination >= 0, destination, 0)
        add(
            c["destination"] > 0,
            Signal.GRAPH_SHARED_DESTINATION,
            fmt("shares off-platform destination {} with flagged sellers", pl.col("dest")),
            c["destination"],
            {"dest": names[code]},
            term=pl.col("dest"),
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
            pl.lit(Signal.GRAPH_BAN_EVASION.value).alias("signal"),
            fmt("audience overlaps disabled seller {} (jaccard {}, {} shared followers)", "old", "j", "s").alias("detail"),
            pl.Series("weight", np.round(c["evasion"][new[first]], 3)),
            pl.lit(None, pl.String).alias("term"),
            pl.col("old").alias("counterpart"),
        ))
    add(
        (reports.units > 0),
        Signal.REPORTS_CHILD_SAFETY,
        fmt("{} child-safety reports (discounted for repeat reporters)", pl.col("k").cast(pl.Int64)),
        np.minimum(reports.units, 0.5),
        {"k": reports.reporters},
    )
    add(
        reports.harassment,
        Signal.REPORTS_HARASSMENT_PATTERN,
        fmt(
            "{} child-safety reports from a tight group (follow density {}): not counted",
            pl.col("k").cast(pl.Int64), pl.col("dens").round(2),
        ),
        np.zeros(n),
        {"k": reports.reporters, "dens": reports.density},
    )
    if not frames:
        return empty_evidence()
    out = pl.concat(frames, how="diagonal_relaxed")
    sellers_f = _pairs_by_row(graph.follows, np.flatnonzero(roles.buyer & (c["follows_sellers"] > 0)), roles.seller, graph)
    if sellers_f.height:
        named = (pl.col("signal") == Signal.GRAPH_FOLLOWS_SELLERS.value) & pl.col("names").is_not_null()
        out = out.join(sellers_f, on="idx", how="left").with_columns(
            pl.when(named).then(fmt("{}: {}", pl.col("detail"), pl.col("names"))).otherwise(pl.col("detail")).alias("detail"),
            pl.when(named).then(pl.col("first")).otherwise(pl.col("counterpart")).alias("counterpart"),
        ).drop("names", "first")
    out = out.with_columns(pl.Series("account", graph.ids.decode(out.get_column("idx").to_numpy())))
    return evidence_frame(out)


def discovered_evidence(uses: pl.DataFrame, components: dict[str, np.ndarray] | None = None) -> pl.DataFrame:
    """Evidence rows for discovered (unreviewed) terms an account posted or searched.

    ``uses``: ``account, term, search, weight, accounts, lift`` (:attr:`firebreak.scan.stages.Discovery.uses`).
    One row per account and term, :data:`~firebreak.evidence.Signal.LEXICON_DISCOVERED_TERM` for its own
    posts and bio, :data:`~firebreak.evidence.Signal.SEARCH_DISCOVERED_TERM` for its searches.
    """
    del components  # the caps are applied in role scoring; rows carry each term's own weight
    if uses.height == 0:
        return empty_evidence()
    rows = uses.select(
        "account",
        pl.when(pl.col("search"))
        .then(pl.lit(Signal.SEARCH_DISCOVERED_TERM.value))
        .otherwise(pl.lit(Signal.LEXICON_DISCOVERED_TERM.value))
        .alias("signal"),
        fmt(
            "discovered term #{} (not reviewed) {}: used by {} flagged accounts, lift {}",
            "term",
            pl.when(pl.col("search")).then(pl.lit("searched")).otherwise(pl.lit("posted")),
            "accounts",
            pl.col("lift").round(1),
        ).alias("detail"),
        "weight",
        pl.lit("term discovery").alias("source"),
        "term",
    )
    return evidence_frame(rows)


def trusted_evidence(graph: Graph, registry: pl.DataFrame, reports: ReportSignal) -> pl.DataFrame:
    """Evidence rows for the trusted-flagger registry (``account, organisation, since``).

    Each registered account present on the platform gets a :data:`~firebreak.evidence.Signal.TRUSTED_FLAGGER`
    row (never a buyer, seller or network member); each account reported by trusted flaggers gets a
    :data:`~firebreak.evidence.Signal.REPORTS_TRUSTED_FLAGGER` row naming how many, with the priority weight.
    """
    frames: list[pl.DataFrame] = []
    if registry.height:
        present = registry.filter(pl.Series(graph.ids.encode(registry.get_column("account")) >= 0))
        if present.height:
            frames.append(
                present.select(
                    "account",
                    pl.lit(Signal.TRUSTED_FLAGGER.value).alias("signal"),
                    fmt(
                        "trusted flagger of {} since {}: never flagged as a buyer or seller nor a network member; its reports are prioritised",
                        "organisation",
                        pl.col("since").dt.strftime("%Y-%m-%d").fill_null("-"),
                    ).alias("detail"),
                    pl.lit(0.0).alias("weight"),
                    pl.lit("trusted-flagger registry").alias("source"),
                )
            )
    trusted_reporters = reports.trusted_reporters
    if trusted_reporters.shape[0] == graph.n and (trusted_reporters > 0).any():
        idx = np.flatnonzero(trusted_reporters > 0)
        frames.append(
            pl.DataFrame({"account": graph.ids.decode(idx), "k": trusted_reporters[idx], "w": np.minimum(reports.units[idx], 0.5)}).select(
                "account",
                pl.lit(Signal.REPORTS_TRUSTED_FLAGGER.value).alias("signal"),
                fmt("reported for child safety by {} trusted flaggers: priority review", pl.col("k").cast(pl.Int64)).alias("detail"),
                pl.col("w").round(3).alias("weight"),
                pl.lit("trusted-flagger registry").alias("source"),
            )
        )
    if not frames:
        return empty_evidence()
    return evidence_frame(pl.concat(frames, how="vertical"))
