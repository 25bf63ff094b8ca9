"""Term discovery: hashtags and search terms that travel with known coded terms.

After a ban, sellers move to new spellings and invented tags (WSJ, Dec 2023;
Meta: "ML to find terms connected to existing violating terms"). A candidate
term is a hashtag or search token that

- appears in a post or bio of a *flagged* account that also carries a known
  lexicon term (co-occurrence), or
- is searched by a flagged account that also searches a known term.

Candidates are ranked by **lift**: the share of those "seed" accounts using the
term over the share of all accounts on the platform using it. Terms need a
minimum support (distinct seed accounts). Everything is Polars group-bys.
"""

from __future__ import annotations

import polars as pl

from firebreak.detect.lexicon import Lexicon
from firebreak.exprs import fmt
from firebreak.snapshot.model import Snapshot

DISCOVERY_SCHEMA = pl.Schema({"term": pl.String, "known": pl.Boolean, "accounts": pl.Int64, "lift": pl.Float64, "evidence": pl.String})
_HASHTAG = r"#([^\s#.,;:!?()\[\]{}\"']+)"


def _usage(snapshot: Snapshot) -> pl.DataFrame:
    """``account, unit, kind, token``: one row per token use; ``unit`` groups tokens that
    co-occur (a post, a bio, or all of an account's searches)."""
    posts = snapshot.posts
    tags = posts.select(
        account=pl.col("author"),
        unit=pl.lit("post:") + pl.col("id"),
        token=pl.when(pl.col("hashtags").list.len() > 0)
        .then(pl.col("hashtags"))
        .otherwise(pl.col("text").str.extract_all(_HASHTAG).list.eval(pl.element().str.strip_chars_start("#"))),
    ).explode("token")
    bios = snapshot.accounts.select(
        account=pl.col("id"), unit=pl.lit("bio:") + pl.col("id"), token=pl.col("bio").str.extract_all(_HASHTAG).list.eval(pl.element().str.strip_chars_start("#"))
    ).explode("token")
    searches = (
        snapshot.events.filter(pl.col("kind") == "search")
        .select(account=pl.col("actor"), unit=pl.lit("search:") + pl.col("actor"), token=pl.col("query").str.strip_chars().str.strip_chars_start("#"))
    )
    out = pl.concat(
        [tags.with_columns(kind=pl.lit("post")), bios.with_columns(kind=pl.lit("bio")), searches.with_columns(kind=pl.lit("search"))],
        how="vertical_relaxed",
    )
    return out.with_columns(token=pl.col("token").str.to_lowercase().str.strip_chars()).filter(pl.col("token").is_not_null() & (pl.col("token") != "")).unique()


def discover_terms(
    snapshot: Snapshot,
    flagged_accounts: pl.Series | list[str] | set[str],
    lexicon: Lexicon,
    *,
    min_support: int = 3,
    min_lift: float = 2.0,
) -> pl.DataFrame:
    """Candidate coded terms: ``term, known, accounts, lift, evidence`` sorted by lift.

    ``flagged_accounts``: account ids the scan flagged (sellers, buyers). ``known`` is
    whether the term normalises to a lexicon key (an obfuscated spelling of a known
    term is ``known``); ``accounts`` counts the distinct seed accounts using it.
    """
    flagged = pl.Series("account", list(flagged_accounts), dtype=pl.String)
    use = _usage(snapshot)
    if use.height == 0:
        return pl.DataFrame(schema=DISCOVERY_SCHEMA)
    tokens = use.select("token").unique()
    known_keys = set(lexicon.norm_keys)
    from firebreak.detect.normalize import normalize_batch

    toks = tokens.get_column("token").to_list()
    norm = normalize_batch(toks).rows() if toks else []
    tokens = tokens.with_columns(known=pl.Series([k in known_keys for k in norm], dtype=pl.Boolean))
    use = use.join(tokens, on="token")
    # units that carry a known term
    known_units = use.filter(pl.col("known")).select("unit").unique()
    co = use.join(known_units, on="unit")
    seeds = pl.concat(
        [
            co.filter((pl.col("kind") != "search") & pl.col("account").is_in(flagged.implode())),
            co.filter((pl.col("kind") == "search") & pl.col("account").is_in(flagged.implode())),
        ]
    )
    n_all = max(use.select(pl.col("account").n_unique()).item(), 1)
    seed_accounts = max(seeds.select(pl.col("account").n_unique()).item(), 1)
    platform = use.group_by("token").agg(all_accounts=pl.col("account").n_unique())
    with_known = co.filter(pl.col("known")).group_by("unit").agg(pl.col("token").unique().sort().head(3).str.join(", ").alias("partners"))
    cand = (
        seeds.join(with_known, on="unit", how="left")
        .group_by("token")
        .agg(
            accounts=pl.col("account").n_unique(),
            searched=pl.col("account").filter(pl.col("kind") == "search").n_unique(),
            posted=pl.col("account").filter(pl.col("kind") != "search").n_unique(),
            known=pl.col("known").first(),
            partners=pl.col("partners").drop_nulls().first(),
        )
        .join(platform, on="token")
        .with_columns(lift=(pl.col("accounts") / seed_accounts) / (pl.col("all_accounts") / n_all))
        .filter((pl.col("accounts") >= min_support) & (pl.col("lift") >= min_lift))
    )
    return (
        cand.select(
            term=pl.col("token"),
            known=pl.col("known"),
            accounts=pl.col("accounts").cast(pl.Int64),
            lift=pl.col("lift").round(3),
            evidence=fmt(
                "used by {} flagged account(s) next to known terms ({}) and searched by {} account(s) that search known terms; {} account(s) platform-wide",
                "posted",
                pl.col("partners").fill_null("-"),
                "searched",
                "all_accounts",
            ),
        )
        .sort(["known", "lift", "accounts", "term"], descending=[False, True, True, False])
        .cast(DISCOVERY_SCHEMA)
    )
