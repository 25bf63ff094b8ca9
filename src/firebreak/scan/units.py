"""Stage helpers: detector evidence condensed into per-account units, destinations, term use.

:func:`unit_vectors` splits an evidence frame (:data:`firebreak.evidence.EVIDENCE`)
per account into own-content units, ambiguous-hit units, coded-term search
units and media units, by each signal's typed :class:`~firebreak.evidence.Unit`.
:func:`destination_codes` turns the detector's normalised off-platform
destinations into one code per account; :func:`query_terms` and
:func:`term_usage` count which accounts searched or posted given terms.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp

from firebreak.evidence import Signal, Unit
from firebreak.graph.ids import IdMap
from firebreak.snapshot.model import Snapshot

#: signal value -> the unit role scoring counts it in.
_UNIT_OF = {s.value: s.info.unit.value for s in Signal}


def classify(evidence: pl.DataFrame) -> pl.DataFrame:
    """``evidence`` plus a ``kind`` column: ``search``, ``ambiguous_search``, ``report``, ``media``, ``ambiguous``,
    ``content`` or ``derived``, from each row's signal and ``ambiguous`` flag."""
    unit = pl.col("signal").cast(pl.String).replace_strict(_UNIT_OF, return_dtype=pl.String)
    ambiguous = pl.col("ambiguous").fill_null(False)
    return evidence.with_columns(
        pl.when(unit == Unit.SEARCH.value)
        .then(pl.when(ambiguous).then(pl.lit("ambiguous_search")).otherwise(pl.lit("search")))
        .when(unit == Unit.CONTENT.value)
        .then(pl.when(ambiguous).then(pl.lit("ambiguous")).otherwise(pl.lit("content")))
        .otherwise(unit)
        .alias("kind")
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
    in_context = pl.col("context").is_not_null()
    own = classified.filter(pl.col("kind").is_in(["content", "ambiguous"])).group_by("account").agg(
        in_context.any().alias("quoted"), (~in_context & (pl.col("weight") > 0)).any().alias("clean")
    )
    reporting = own.filter(pl.col("quoted") & ~pl.col("clean")).get_column("account")
    r_idx = ids.encode(reporting)
    out["reporting"][r_idx[r_idx >= 0]] = 1.0
    term = pl.col("term")
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


def term_uses(snapshot: Snapshot, terms: list[str]) -> pl.DataFrame:
    """``account, term, search``: one row per account that posted (hashtags, bio) or searched (``search``) a term.

    Terms are compared as hashtags: without ``#``, in lower case.
    """
    schema = {"account": pl.String, "term": pl.String, "search": pl.Boolean}
    wanted = sorted({t.strip().lstrip("#").lower() for t in terms if t and t.strip()})
    if not wanted:
        return pl.DataFrame(schema=schema)
    searches = snapshot.events.filter((pl.col("kind") == "search") & pl.col("query").is_not_null()).select(
        pl.col("actor").alias("account"),
        pl.col("query").str.to_lowercase().str.extract_all(r"[#]?[\w]+").alias("tok"),
        pl.lit(True).alias("search"),
    )
    tags = snapshot.posts.select(
        pl.col("author").alias("account"),
        pl.col("hashtags").list.eval(pl.element().str.to_lowercase()).alias("tok"),
        pl.lit(False).alias("search"),
    )
    bios = snapshot.accounts.select(
        pl.col("id").alias("account"),
        pl.col("bio").fill_null("").str.to_lowercase().str.extract_all(r"#[\w]+").alias("tok"),
        pl.lit(False).alias("search"),
    )
    return (
        pl.concat([searches, tags, bios], how="vertical_relaxed")
        .explode("tok")
        .drop_nulls("tok")
        .with_columns(pl.col("tok").str.strip_chars_start("#"))
        .filter(pl.col("tok").is_in(wanted))
        .select("account", pl.col("tok").alias("term"), "search")
        .unique()
        .sort("account", "term", "search")
    )
