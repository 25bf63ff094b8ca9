"""The terms table: lexicon terms and discovered terms in use by the flagged accounts (``terms.jsonl``)."""

from __future__ import annotations

import polars as pl

from firebreak.evidence import LEXICON_SIGNALS
from firebreak.exprs import fmt
from firebreak.scan.result import TERMS


def terms_table(evidence: pl.DataFrame, scores: pl.DataFrame, discovered: pl.DataFrame) -> pl.DataFrame:
    """Known lexicon terms used by flagged accounts, plus terms discovered around them (``known: false``).

    ``evidence``: the detectors' rows (:data:`~firebreak.evidence.EVIDENCE`); ``scores``: the scan's
    scores (``account, role, network``); ``discovered``: ``term, known, accounts, evidence``.
    Returns :data:`~firebreak.scan.result.TERMS` rows, known terms first, then by accounts.
    """
    schema = TERMS
    flagged = scores.filter(pl.col("role") != "none").select("account", "network")
    frames = []
    if evidence.height:
        known = (
            evidence.filter(pl.col("term").is_not_null() & pl.col("signal").is_in(sorted(s.value for s in LEXICON_SIGNALS)))
            .join(flagged, on="account")
            .group_by("term")
            .agg(pl.col("account").n_unique().alias("accounts"), pl.col("network").drop_nulls().n_unique().alias("nets"))
            .select(
                pl.col("term").cast(pl.String),
                pl.lit(True).alias("known"),
                pl.col("accounts").cast(pl.Int64),
                fmt("lexicon term used by {} flagged accounts in {} networks", "accounts", "nets").alias("evidence"),
            )
        )
        frames.append(known)
    # a discovered spelling of a lexicon term is already counted under the lexicon's own term
    frames.append(discovered.filter(~pl.col("known")))
    out = pl.concat([f.select(list(schema)).cast(schema) for f in frames], how="vertical")
    return out.sort(["known", "accounts", "term"], descending=[True, True, False]).unique("term", keep="first", maintain_order=True)
