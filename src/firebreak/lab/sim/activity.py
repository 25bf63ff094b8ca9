"""Ordinary life on the platform: profiles, posts, media, events and user reports.

Everything is drawn for whole index arrays at once: texts are assembled with
Polars string expressions from picked template parts, events are sampled from
follow edges, reports from weighted draws.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from firebreak.lab.sim import vocabulary as V
from firebreak.lab.sim.media import flip_bits, random_hashes, to_hex
from firebreak.lab.sim.world import ROLE_SELLER, World

DAY = 86_400


def _template(rng: np.random.Generator, templates: tuple[str, ...], fill: pl.Series) -> pl.Series:
    """One of ``templates`` per row with ``{topic}`` replaced by ``fill``."""
    pre = [t.split("{topic}")[0] for t in templates]
    post = [t.split("{topic}")[1] if "{topic}" in t else "" for t in templates]
    which = rng.integers(0, len(templates), len(fill))
    return V.gather(pre, which) + fill + V.gather(post, which)


def profiles_like_benign(w: World, idx: np.ndarray) -> pl.DataFrame:
    """Ordinary profiles for accounts ``idx``: handle, display name, a bio about their
    community's topic (teen-style in teen communities), sometimes a personal link."""
    rng = w.rng
    m = len(idx)
    topics = V.gather(w.truth["community_names"], w.community[idx])
    teen = w.pop.teen[w.community[idx]]
    handle = V.pick(rng, V.HANDLE_WORDS, m) + V.pick(rng, ("_", ".", "", "_the_"), m) + topics + pl.Series(
        rng.integers(0, 999, m)
    ).cast(pl.String)
    display = V.pick(rng, V.FIRST_NAMES, m) + " " + V.pick(rng, tuple("ABCDEFGHJKLMNPRSTVW"), m) + "."
    adult_bio = _template(rng, V.BIO_PARTS, topics)
    teen_bio = _template(rng, V.TEEN_BIO_PARTS, topics)
    bio = pl.select(pl.when(pl.lit(pl.Series(teen))).then(pl.lit(teen_bio)).otherwise(pl.lit(adult_bio))).to_series()
    bio = pl.select(pl.when(pl.lit(pl.Series(rng.random(m) < 0.2))).then(pl.lit("")).otherwise(pl.lit(bio))).to_series()
    link = V.pick(rng, V.BENIGN_LINK_HOSTS, m) + handle
    links = V.maybe_list(link, rng.random(m) < 0.15)
    return pl.DataFrame({"idx": idx, "handle": handle, "display_name": display, "bio": bio, "links": links})


def post_media(w: World, m: int, near_bank: np.ndarray) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Media hashes for ``m`` posts: ``(pdq, quality, md5)`` Series, null where a post has none.

    Rows in ``near_bank`` carry a bank PDQ with 1..``pdq_max_flips`` bits flipped (70%)
    or an exact bank MD5 (30%); the rest carry random hashes or no media (20%).
    """
    rng, cfg = w.rng, w.cfg
    pdq_bits = random_hashes(rng, m, 32)
    md5_bits = random_hashes(rng, m, 16)
    near = np.flatnonzero(near_bank)
    exact_md5 = rng.random(len(near)) < 0.3
    if len(near) and len(w.bank_pdq):
        rows = near[~exact_md5]
        src = w.bank_pdq[rng.integers(0, len(w.bank_pdq), len(rows))]
        pdq_bits[rows] = flip_bits(rng, src, rng.integers(1, cfg.pdq_max_flips + 1, len(rows)))
    if len(near) and len(w.bank_md5):
        rows = near[exact_md5]
        md5_bits[rows] = w.bank_md5[rng.integers(0, len(w.bank_md5), len(rows))]
    has_media = near_bank | (rng.random(m) < 0.8)
    has_md5 = near_bank | (rng.random(m) < 0.5)
    pdq = V.maybe(to_hex(pdq_bits), has_media)
    md5 = V.maybe(to_hex(md5_bits), has_media & has_md5)
    quality = V.maybe(pl.Series(rng.integers(55, 101, m)), has_media).cast(pl.Int64)
    return pdq, quality, md5


def benign_posts(w: World, authors_mask: np.ndarray) -> None:
    """Ordinary posts (caption + community and generic hashtags) by accounts in ``authors_mask``."""
    rng, cfg = w.rng, w.cfg
    who = np.flatnonzero(authors_mask)
    rate = rng.gamma(0.7, cfg.posts_per_account / 0.7, len(who))  # over-dispersed: a few prolific posters
    author = np.repeat(who, rng.poisson(rate))
    m = len(author)
    tags = np.asarray(w.truth["community_tags"], dtype=object)  # (communities, 4)
    flat = pl.Series(tags.ravel().tolist(), dtype=pl.String)
    comm = w.community[author].astype(np.int64)
    width = tags.shape[1]
    j1 = rng.integers(0, width, m)
    j2 = (j1 + rng.integers(1, width, m)) % width  # a different tag of the same community
    t1 = flat.gather(pl.Series(comm * width + j1))
    t2 = flat.gather(pl.Series(comm * width + j2))
    g = V.pick(rng, V.GENERIC_TAGS, m)
    second = pl.select(pl.when(pl.lit(pl.Series(rng.random(m) < 0.5))).then(pl.lit(t2)).otherwise(pl.lit(g))).to_series()
    cap = V.pick(rng, V.CAPTIONS, m)
    out = pl.DataFrame({"cap": cap, "t1": t1, "t2": second}).select(
        text=pl.concat_str([pl.col("cap"), pl.lit(" #"), pl.col("t1"), pl.lit(" #"), pl.col("t2")]),
        hashtags=pl.concat_list("t1", "t2").list.unique(maintain_order=True),
    )
    pdq, quality, md5 = post_media(w, m, np.zeros(m, bool))
    w.add(
        "posts",
        {
            "author": author,
            "t": w.times_after(w.created[author]),
            "text": out["text"],
            "hashtags": out["hashtags"],
            "pdq": pdq,
            "quality": quality,
            "md5": md5,
            "links": pl.Series([[]] * m, dtype=pl.List(pl.String)) if m else None,
        },
    )


def benign_events(w: World, follows: pl.DataFrame, activity: np.ndarray) -> None:
    """Views, likes, comments and messages along follow edges (rate scaled per actor by
    ``activity``), and searches for community topics."""
    rng, cfg = w.rng, w.cfg
    src = follows["src"].to_numpy()
    mean_deg = max(1.0, len(src) / max(1, w.n))
    p = np.minimum(1.0, cfg.events_per_account / mean_deg * activity[src])
    pick = np.flatnonzero(rng.random(len(src)) < p)
    actor = src[pick]
    target = follows["dst"].to_numpy()[pick]
    kind_i = rng.choice(4, size=len(pick), p=[0.5, 0.33, 0.1, 0.07])
    kinds = V.gather(("view", "like", "comment", "message"), kind_i)
    t = follows["t"].to_numpy()[pick]
    w.add(
        "events",
        {"actor": actor, "kind": kinds, "target": target, "target_post": (kind_i == 1) | (kind_i == 2), "t": t + (rng.random(len(t)) * 20 * DAY).astype(np.int64)},
    )
    who = np.flatnonzero(rng.random(w.n) < 0.3 * activity.clip(0, 1))
    topic = V.gather(w.truth["community_names"], w.community[who])
    query = pl.select(
        pl.when(pl.lit(pl.Series(rng.random(len(who)) < 0.5)))
        .then(pl.lit(topic))
        .otherwise(pl.lit(topic + " " + V.pick(rng, V.SEARCH_WORDS, len(who))))
    ).to_series()
    # a few innocent searches that share words with the codes ("cheese pizza near me")
    innocent = rng.random(len(who)) < 0.02
    query = pl.select(
        pl.when(pl.lit(pl.Series(innocent))).then(pl.lit(V.pick(rng, V.INNOCENT_SEARCHES, len(who)))).otherwise(pl.lit(query))
    ).to_series()
    w.add("events", {"actor": who, "kind": "search", "query": query, "t": w.times_after(w.created[who])})


def ordinary_reports(w: World, reporters_mask: np.ndarray) -> None:
    """User reports: ordinary ones (spam, harassment, other; a share with a wrong
    child-safety or nudity reason) and true child-safety reports on some sellers."""
    rng, cfg = w.rng, w.cfg
    reporters = np.flatnonzero(reporters_mask)
    k = int(cfg.report_rate * w.n)
    weight = np.ones(w.n)
    weight[: w.pop.n] = w.pop.weight
    weight[w.disabled] = 0
    cum = np.cumsum(weight)
    target = np.minimum(np.searchsorted(cum, rng.random(k) * cum[-1], side="right"), w.n - 1)
    false = rng.random(k) < cfg.false_report_share
    reason = np.where(false, rng.choice(["child_safety", "nudity"], k, p=[0.5, 0.5]), rng.choice(["spam", "harassment", "other"], k, p=[0.5, 0.3, 0.2]))
    _add_reports(w, reporters[rng.integers(0, len(reporters), k)], target, reason, rng.random(k) < 0.3)
    sellers = np.flatnonzero((w.role == ROLE_SELLER) & ~w.disabled)
    reported = sellers[rng.random(len(sellers)) < cfg.seller_report_share]
    tgt = np.repeat(reported, 1 + rng.poisson(0.8, len(reported)))
    rep = reporters[rng.integers(0, len(reporters), len(tgt))]
    _add_reports(w, rep, tgt, np.full(len(tgt), "child_safety"), rng.random(len(tgt)) < 0.5, anonymous=0.3)


def _add_reports(
    w: World, reporter: np.ndarray, target: np.ndarray, reason: np.ndarray, on_post: np.ndarray, anonymous: float = 0.05, t: np.ndarray | None = None
) -> None:
    rng = w.rng
    k = len(target)
    reason_s = pl.Series(reason, dtype=pl.String)
    texts = pl.concat([pl.Series(list(v)) for v in V.REPORT_TEXTS.values()])
    offsets = {r: sum(len(v) for v in list(V.REPORT_TEXTS.values())[:i]) for i, r in enumerate(V.REPORT_TEXTS)}
    sizes = {r: len(v) for r, v in V.REPORT_TEXTS.items()}
    off = reason_s.replace_strict(offsets, return_dtype=pl.Int64).to_numpy()
    size = reason_s.replace_strict(sizes, return_dtype=pl.Int64).to_numpy()
    text = texts.gather(pl.Series(off + (rng.random(k) * size).astype(np.int64)))
    rep = V.maybe(pl.Series(reporter, dtype=pl.Int64), rng.random(k) >= anonymous)
    if t is None:
        t = w.times_after(w.created[target])
    w.add("reports", {"reporter": rep, "target": target, "target_post": on_post, "reason": reason_s, "text": text, "t": t})
