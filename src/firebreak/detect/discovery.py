"""Term discovery: invented tags and search terms that concentrate in flagged accounts.

After a ban, sellers move to new spellings and invented tags (WSJ, Dec 2023;
Meta: "ML to find terms connected to existing violating terms"). Tokens are
hashtags of posts and bios and search queries, compared by their normalised key
(any spelling of a term is one candidate). Two ways find a candidate:

- **co-occurrence, iterated**: a token in the same post or bio as a *seed* term,
  or searched by a flagged account that also searches a seed, where the seeds are
  the lexicon's terms in round 1 and, in each later round, also every term accepted
  so far; rounds stop at a fixed point or after ``rounds``;
- **concentration**, with no partner term needed: a token whose users are mostly
  flagged accounts, far more than chance.

Every candidate needs ``min_support`` distinct flagged users, a smoothed lift
(flagged users' share over the platform's share, with ``prior`` pseudo-accounts at
the platform rate) of at least ``min_lift``, a one-sided hypergeometric test of
"this many flagged users among its users" below ``alpha`` after a Bonferroni
correction over all tokens, and at least ``min_share`` of its users flagged (the
guard against words everyone uses, which flagged accounts use too). A shipped,
sourced stoplist (``detect/data/stoplist.toml``: child-safety advocacy,
trust-and-safety and general-interest hashtags) and the terms a reviewer rejected
(:attr:`Lexicon.rejected`) are never reported. Each discovered term gets a
**weight** from its support and lift, capped below the weakest reviewed
(non-ambiguous) lexicon term, and its evidence says so. Everything is Polars
group-bys and joins, and SciPy's vectorised hypergeometric tail.
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl

from firebreak.detect.lexicon import Lexicon
from firebreak.detect.normalize import normalize_batch
from firebreak.errors import LexiconError
from firebreak.exprs import fmt
from firebreak.snapshot.model import Snapshot

DISCOVERY_SCHEMA = pl.Schema(
    {
        "term": pl.String,
        "known": pl.Boolean,
        "accounts": pl.Int64,
        "lift": pl.Float64,
        "evidence": pl.String,
        "key": pl.String,
        "method": pl.String,
        "round": pl.Int32,
        "all_accounts": pl.Int64,
        "flagged_share": pl.Float64,
        "p_value": pl.Float64,
        "weight": pl.Float64,
    }
)
_HASHTAG = r"#([^\s#.,;:!?()\[\]{}\"']+)"
#: a discovered term's weight is at most this share of the weakest reviewed lexicon term's weight.
WEIGHT_CAP_SHARE = 0.9


@lru_cache(maxsize=1)
def stoplist() -> dict[str, str]:
    """Normalised key -> group name of every shipped stoplist term (``detect/data/stoplist.toml``)."""
    text = resources.files("firebreak.detect").joinpath("data/stoplist.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    out: dict[str, str] = {}
    for g in data.get("group", []):
        if not g.get("source"):
            raise LexiconError(f"stoplist group {g.get('name')!r} has no source")
        terms = list(g["terms"])
        for k in normalize_batch(terms).rows():
            if k:
                out[k] = g["name"]
    return out


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


def token_usage(snapshot: Snapshot, lexicon: Lexicon, *, use_stoplist: bool = True) -> pl.DataFrame:
    """Every token use (``account, unit, kind, token``) with its normalised ``key`` and whether the key is
    ``known`` (a lexicon key) or ``blocked`` (stoplist, rejected): what :func:`discover_terms` counts.

    It depends on the snapshot and the lexicon only, so a scan that discovers terms in several
    rounds computes it once. Tokens whose key normalises to nothing are left out.
    """
    use = _usage(snapshot)
    if use.height == 0:
        return use
    toks = use.select("token").unique()
    keys = normalize_batch(toks.get_column("token").to_list()).rows()
    known_keys = set(lexicon.norm_keys)
    stop = stoplist() if use_stoplist else {}
    toks = toks.with_columns(key=pl.Series(keys, dtype=pl.String)).filter(pl.col("key") != "")
    toks = toks.with_columns(
        known=pl.col("key").is_in(list(known_keys)),
        blocked=pl.col("key").is_in(list(stop)) | pl.col("key").is_in(list(lexicon.rejected)),
    )
    return use.join(toks, on="token")


def _weight_cap(lexicon: Lexicon) -> float:
    reviewed = [t.weight for t in lexicon.terms if not t.ambiguous]
    return WEIGHT_CAP_SHARE * (min(reviewed) if reviewed else 0.5)


def discover_terms(
    snapshot: Snapshot,
    flagged_accounts: pl.Series | list[str] | set[str],
    lexicon: Lexicon,
    *,
    min_support: int = 3,
    min_lift: float = 2.0,
    min_share: float = 0.5,
    alpha: float = 0.01,
    prior: float = 5.0,
    rounds: int = 4,
    use_stoplist: bool = True,
    usage: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Candidate coded terms (:data:`DISCOVERY_SCHEMA`), unknown terms first, by lift.

    ``flagged_accounts``: account ids the scan flagged (sellers, buyers). ``known`` is
    whether the term normalises to a lexicon key; ``accounts`` counts distinct flagged
    users, ``all_accounts`` all users; ``method`` is ``co-occurrence`` (with ``round``)
    or ``concentration``; ``weight`` the evidence weight (0 for known terms, which
    the lexicon weighs). See the module docstring for the tests each term passes.
    ``usage`` is :func:`token_usage` of the same snapshot and lexicon, computed once for several calls.
    """
    flagged = pl.Series("account", [str(a) for a in flagged_accounts], dtype=pl.String).unique()
    use = token_usage(snapshot, lexicon, use_stoplist=use_stoplist) if usage is None else usage
    if use.height == 0 or flagged.len() == 0:
        return pl.DataFrame(schema=DISCOVERY_SCHEMA)
    known_keys = set(lexicon.norm_keys)
    use = use.with_columns(is_flagged=pl.col("account").is_in(flagged.implode()))
    n_all = max(use.select(pl.col("account").n_unique()).item(), 1)
    n_flag = max(use.filter(pl.col("is_flagged")).select(pl.col("account").n_unique()).item(), 1)
    base = n_flag / n_all
    stats = (
        use.group_by("key")
        .agg(
            accounts=pl.col("account").filter(pl.col("is_flagged")).n_unique(),
            all_accounts=pl.col("account").n_unique(),
            known=pl.col("known").first(),
            blocked=pl.col("blocked").first(),
            term=pl.col("token").filter(pl.col("is_flagged")).mode().sort().first(),
            searched=pl.col("account").filter(pl.col("is_flagged") & (pl.col("kind") == "search")).n_unique(),
            posted=pl.col("account").filter(pl.col("is_flagged") & (pl.col("kind") != "search")).n_unique(),
        )
        .filter(pl.col("accounts") > 0)
    )
    from scipy.stats import hypergeom

    k = stats.get_column("accounts").to_numpy()
    m = stats.get_column("all_accounts").to_numpy()
    pval = hypergeom.sf(k - 1, n_all, n_flag, m)
    ntests = max(stats.height, 1)
    stats = stats.with_columns(
        p_value=pl.Series(np.minimum(pval * ntests, 1.0)),
        lift=((pl.col("accounts") + prior * base) / (pl.col("all_accounts") + prior)) / base,
        flagged_share=pl.col("accounts") / pl.col("all_accounts"),
    )
    passes = (
        (pl.col("accounts") >= min_support)
        & (pl.col("lift") >= min_lift)
        & (pl.col("p_value") < alpha)
        & (pl.col("flagged_share") >= min_share)
        & ~pl.col("blocked")
    )
    eligible = stats.filter(passes)
    # co-occurrence rounds: seeds are the lexicon keys, then every accepted key
    fuse = use.filter(pl.col("is_flagged")).select("account", "unit", "kind", "key")
    seeds = set(known_keys)
    found_round: dict[str, int] = {}
    partners: dict[str, str] = {}
    eligible_keys = set(eligible.get_column("key").to_list())
    for r in range(1, rounds + 1):
        seed_units = fuse.filter(pl.col("key").is_in(list(seeds))).group_by("unit").agg(pl.col("key").unique().sort().head(3).str.join(", ").alias("partners"))
        near = fuse.join(seed_units, on="unit").filter(~pl.col("key").is_in(list(seeds)))
        new = near.group_by("key").agg(pl.col("partners").min()).filter(pl.col("key").is_in(list(eligible_keys)))  # min: the same text every run
        if new.height == 0:
            break
        for key, part in new.iter_rows():
            found_round[key] = r
            partners[key] = part
        seeds |= set(new.get_column("key").to_list())
    cap = _weight_cap(lexicon)
    co = pl.DataFrame({"key": list(found_round), "round": list(found_round.values()), "partners": [partners[k] for k in found_round]}, schema={"key": pl.String, "round": pl.Int32, "partners": pl.String})
    out = eligible.join(co, on="key", how="left").with_columns(
        method=pl.when(pl.col("round").is_not_null()).then(pl.lit("co-occurrence")).otherwise(pl.lit("concentration")),
        weight=pl.when(pl.col("known"))
        .then(0.0)
        .otherwise(cap * (1 - (-pl.col("accounts").cast(pl.Float64) / 5.0).exp()) * (pl.col("lift").log() / math.log(20.0)).clip(0.0, 1.0)),
    )
    how = (
        pl.when(pl.col("method") == "co-occurrence")
        .then(fmt("found in round {} next to {}", "round", pl.col("partners").fill_null("-")))
        .otherwise(pl.lit("used mostly by flagged accounts, with no known partner term needed"))
    )
    evidence = fmt(
        "discovered term, not reviewed: used or searched by {} flagged account(s) ({} posting, {} searching) of {} platform-wide "
        "({}% flagged), lift {}, p {}; {}; weight {} from support and lift, below every reviewed lexicon term (< {})",
        "accounts",
        "posted",
        "searched",
        "all_accounts",
        (pl.col("flagged_share") * 100).round(0).cast(pl.Int64),
        pl.col("lift").round(1),
        pl.col("p_value").map_elements(lambda v: f"{v:.1e}", return_dtype=pl.String),
        how,
        pl.col("weight").round(3),
        pl.lit(round(cap + 1e-9, 3)),
    )
    return (
        out.select(
            term=pl.col("term"),
            known=pl.col("known"),
            accounts=pl.col("accounts").cast(pl.Int64),
            lift=pl.col("lift").round(3),
            evidence=pl.when(pl.col("known")).then(fmt("spelling of a lexicon term used by {} flagged account(s)", "accounts")).otherwise(evidence),
            key=pl.col("key"),
            method=pl.col("method"),
            round=pl.col("round").cast(pl.Int32),
            all_accounts=pl.col("all_accounts").cast(pl.Int64),
            flagged_share=pl.col("flagged_share").round(4),
            p_value=pl.col("p_value"),
            weight=pl.col("weight").round(4),
        )
        .sort(["known", "lift", "accounts", "term"], descending=[False, True, True, False])
        .cast(DISCOVERY_SCHEMA)
    )
