"""Detector evidence condensed into per-account units for the graph stages.

Takes the detection evidence frame (``account, signal, detail, weight`` plus
``category``, ``source`` and ``ambiguous`` where the detector provides them;
a row whose only surface is a search query, "... in search", is a search)
and splits it, per account, into own-content units, ambiguous-hit units and
coded-term search units. Destinations come from the detector's profile
parser when present, else from a plain URL normalisation of profile links.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.graph.ids import IdMap
from firebreak.snapshot.model import Snapshot

def _flag(frame: pl.DataFrame, column: str) -> pl.Expr:
    return pl.col(column).fill_null(False).cast(pl.Boolean) if column in frame.columns else pl.lit(False)


def _text(frame: pl.DataFrame, column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).fill_null("").str.to_lowercase() if column in frame.columns else pl.lit("")


def classify(evidence: pl.DataFrame) -> pl.DataFrame:
    """``evidence`` plus a ``kind`` column: ``search``, ``ambiguous_search``, ``report``, ``media``, ``ambiguous`` or ``content``."""
    signal = pl.col("signal").cast(pl.String).str.to_lowercase()
    source = _text(evidence, "source")
    category = _text(evidence, "category")
    return evidence.with_columns(
        pl.when(
            signal.str.contains("search")
            | source.str.contains(r"^search$")
            | pl.col("detail").cast(pl.String).fill_null("").str.contains(r" in search(?:$|\s|\[)")
        )
        .then(pl.when(_flag(evidence, "ambiguous")).then(pl.lit("ambiguous_search")).otherwise(pl.lit("search")))
        .when(signal.str.starts_with("report"))
        .then(pl.lit("report"))
        .when(signal.str.starts_with("media") | (category == "media"))
        .then(pl.lit("media"))
        .when(_flag(evidence, "ambiguous"))
        .then(pl.lit("ambiguous"))
        .otherwise(pl.lit("content"))
        .alias("kind"),
        category.alias("_category"),
    )


def unit_vectors(evidence: pl.DataFrame, ids: IdMap) -> dict[str, np.ndarray]:
    """Per-account sums of evidence weight by kind (``content``, ``ambiguous``, ``search``, ``media``), the
    number of distinct ambiguous terms searched outside news/advocacy wording (``ambiguous_search``), and
    ``reporting``: 1.0 where every own-writing hit of the account is in news or advocacy wording (the
    detector's ``context``), as dense arrays."""
    n = ids.n
    out = {k: np.zeros(n) for k in ("content", "ambiguous", "search", "media", "ambiguous_search", "reporting")}
    if evidence.height == 0:
        return out
    classified = classify(evidence)
    in_context = pl.col("context").is_not_null() if "context" in evidence.columns else pl.lit(False)
    own = classified.filter(pl.col("kind").is_in(["content", "ambiguous"])).group_by("account").agg(
        in_context.any().alias("quoted"), (~in_context & (pl.col("weight") > 0)).any().alias("clean")
    )
    reporting = own.filter(pl.col("quoted") & ~pl.col("clean")).get_column("account")
    r_idx = ids.encode(reporting)
    out["reporting"][r_idx[r_idx >= 0]] = 1.0
    term = pl.col("term") if "term" in evidence.columns else pl.col("detail")
    sums = pl.concat(
        [
            classified.filter(pl.col("kind").is_in(["content", "ambiguous", "search", "media"]))
            .group_by("account", "kind")
            .agg(pl.col("weight").cast(pl.Float64).clip(lower_bound=0).sum()),
            # ambiguous searches (weight 0 when uncorroborated): one per distinct term, for the buyer side only;
            # a search in news or advocacy wording is what a journalist or advocate types, never one of them
            classified.filter((pl.col("kind") == "ambiguous_search") & ~in_context)
            .group_by("account", "kind")
            .agg(term.n_unique().cast(pl.Float64).alias("weight")),
        ]
    )
    idx = ids.encode(sums.get_column("account"))
    kinds = sums.get_column("kind").to_numpy()
    weights = sums.get_column("weight").to_numpy()
    for kind, vec in out.items():
        if kind == "reporting":
            continue
        sel = (kinds == kind) & (idx >= 0)
        np.add.at(vec, idx[sel], weights[sel])
    return out


def account_destinations(snapshot: Snapshot) -> pl.DataFrame:
    """``account, destination`` pairs: the detector's normalised off-platform destinations
    (:func:`firebreak.detect.profile.destinations`), one row per distinct pair."""
    from firebreak.detect.profile import destinations

    return destinations(snapshot).select("account", "destination").drop_nulls().unique()


def destination_codes(pairs: pl.DataFrame, ids: IdMap, max_sharers: int = 200) -> tuple[np.ndarray, pl.DataFrame]:
    """One destination code per account (its most widely shared specific destination; -1 if none) and the code table.

    Destinations shared by more than ``max_sharers`` accounts are not specific (a link
    aggregator's home page) and are dropped.
    """
    n = ids.n
    codes = np.full(n, -1, dtype=np.int64)
    table = pl.DataFrame(schema={"code": pl.Int64, "destination": pl.String})
    if pairs.height == 0:
        return codes, table
    counted = pairs.with_columns(pl.len().over("destination").alias("sharers")).filter(
        (pl.col("sharers") >= 2) & (pl.col("sharers") <= max_sharers)
    )
    if counted.height == 0:
        return codes, table
    table = counted.select("destination").unique().sort("destination").with_row_index("code").with_columns(pl.col("code").cast(pl.Int64))
    best = (
        counted.join(table, on="destination")
        .sort(["account", "sharers", "destination"], descending=[False, True, False])
        .unique("account", keep="first")
    )
    idx = ids.encode(best.get_column("account"))
    ok = idx >= 0
    codes[idx[ok]] = best.get_column("code").to_numpy()[ok]
    return codes, table


def query_terms(snapshot: Snapshot, terms: list[str], ids: IdMap) -> np.ndarray:
    """Per account, how many distinct ``terms`` (hashtags, compared without ``#`` and case) it searched for."""
    n = ids.n
    counts = np.zeros(n)
    wanted = {t.strip().lstrip("#").lower() for t in terms if t and t.strip()}
    if not wanted or snapshot.events.height == 0:
        return counts
    hits = (
        snapshot.events.filter((pl.col("kind") == "search") & pl.col("query").is_not_null())
        .select(pl.col("actor").alias("account"), pl.col("query").str.to_lowercase().str.extract_all(r"[#]?[\w]+").alias("tok"))
        .explode("tok")
        .with_columns(pl.col("tok").str.strip_chars_start("#"))
        .filter(pl.col("tok").is_in(sorted(wanted)))
        .group_by("account")
        .agg(pl.col("tok").n_unique().alias("k"))
    )
    idx = ids.encode(hits.get_column("account"))
    ok = idx >= 0
    counts[idx[ok]] = hits.get_column("k").to_numpy()[ok]
    return counts


def term_usage(snapshot: Snapshot, terms: list[str], ids: IdMap) -> sp.csr_matrix:
    """Accounts x ``terms`` incidence: 1 where the account searched or posted the term (hashtag, no ``#``, any case)."""
    n = ids.n
    wanted = sorted({t.strip().lstrip("#").lower() for t in terms if t and t.strip()})
    if not wanted:
        return sp.csr_matrix((n, 0))
    code = pl.DataFrame({"tok": wanted, "t": np.arange(len(wanted), dtype=np.int64)})
    searches = snapshot.events.filter((pl.col("kind") == "search") & pl.col("query").is_not_null()).select(
        pl.col("actor").alias("account"), pl.col("query").str.to_lowercase().str.extract_all(r"[#]?[\w]+").alias("tok")
    )
    tags = snapshot.posts.select(pl.col("author").alias("account"), pl.col("hashtags").list.eval(pl.element().str.to_lowercase()).alias("tok"))
    use = (
        pl.concat([searches, tags], how="vertical_relaxed")
        .explode("tok")
        .drop_nulls("tok")
        .with_columns(pl.col("tok").str.strip_chars_start("#"))
        .join(code, on="tok")
        .select("account", "t")
        .unique()
    )
    idx = ids.encode(use.get_column("account"))
    ok = idx >= 0
    return sp.csr_matrix((np.ones(int(ok.sum())), (idx[ok], use.get_column("t").to_numpy()[ok])), shape=(n, len(wanted)))
