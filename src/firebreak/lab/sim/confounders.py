"""Benign accounts that a careless system would flag.

Each kind copies one surface of the sellers: pizzerias say "cheese pizza";
journalists and advocates quote the very hashtags (and search them); adult
creators post menus, prices and link-in-bio; crypto promoters post price lists
with messaging-app links; teens state their age; follow-for-follow bots follow
thousands (sellers among them by chance); some accounts follow one seller and
nothing else; and a tight harassment group mass-reports benign accounts for
child safety. All are labelled ``benign`` with their ``confounder`` kind.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from firebreak.lab.sim import vocabulary as V
from firebreak.lab.sim.activity import _add_reports, post_media, profiles_like_benign
from firebreak.lab.sim.population import ADULT, MINOR, UNKNOWN
from firebreak.lab.sim.world import ROLE_SELLER, World

DAY = 86_400
QUOTED = ("cheesepizza", "pedobait", "mnsfw", "megalinks", "cp")

# (bio templates, post templates, post hashtags, link host); "{tok}" is a random slug.
KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "pizzeria": {
        "bio": ("Wood-fired pizza since 1998 🍕 order online", "Family pizzeria · cheese pizza Tuesdays 🧀🍕", "Best slice in town 🍕 menu & prices on our site"),
        "post": ("Cheese pizza special today: $12 · full menu in bio 🍕", "Our menu just got bigger: cheese pizza $11, pepperoni $13 🧀🍕", "Friday deal: two cheese pizzas for $20, DM for catering"),
        "tags": ("cheesepizza", "pizza", "foodie", "pizzalover"),
        "host": ("order.example/", "pizzeria.example/menu/"),
    },
    "journalist": {
        "bio": ("Reporter covering tech & online safety", "Investigations desk · tips via link", "Journalist. Platforms, trust & safety, policy"),
        "post": ("New investigation: networks used hashtags like #{q1} and #{q2} to advertise; platforms must act", "Why does search still return results for #{q1}? Our reporting", "Thread: what we found about #{q1} and off-platform links"),
        "tags": ("journalism", "onlinesafety", "investigation"),
        "host": ("news.example/story/", "paper.example/"),
    },
    "advocate": {
        "bio": ("Child-safety advocate. Parents: know the signs. Report to NCMEC.", "Keeping kids safe online 💙 educator", "Online safety trainer for schools"),
        "post": ("PSA: watch for 🧀🍕 and 🗺️ in bios, and tags like #{q1}. Report, don't engage", "Parents: predators use codes like #{q1}. Talk to your kids", "If you see #{q1} or #{q2}, report it. Resources in bio"),
        "tags": ("childsafety", "onlinesafety", "parenting"),
        "host": ("safety.example/", "helpline.example/"),
    },
    "adult_creator": {
        "bio": ("21+ creator ✨ menu & prices in link 👇 DM for customs", "Adults only (18+) · subscribe via link", "Creator · 25 · link in bio for my page"),
        "post": ("New drop this week ✨ menu & prices in bio · DM for customs", "Subscriber special: prices down this weekend, link in bio", "Custom requests open, DM me 💌"),
        "tags": ("adultcreator", "linkinbio", "18plus"),
        "host": ("linktr.ee/", "fans.example/"),
    },
    "crypto": {
        "bio": ("📈 Crypto signals · VIP prices in t.me link · DM for access", "Trader · not financial advice · join the channel", "💰 Signals group, prices below"),
        "post": ("VIP menu: Basic $50 · Pro $120 · Lifetime $400, join via link", "Prices for the signals group go up Friday, DM for access", "Our trade list is up 🚀 link in bio"),
        "tags": ("crypto", "bitcoin", "signals", "trading"),
        "host": ("t.me/", "t.me/joinchat/"),
    },
    "f4f_bot": {
        "bio": ("follow for follow 🔁 #f4f #followback", "I follow back 💯", "f4f l4l always"),
        "post": ("follow me and I follow back 🔁", "like for like, follow for follow"),
        "tags": ("f4f", "followforfollow", "like4like", "followback"),
        "host": ("",),
    },
}


def plant_confounders(w: World) -> None:
    """Add every confounder kind in ``w.cfg.confounders`` to ``w`` (after the networks)."""
    cfg, rng = w.cfg, w.rng
    counts = cfg.confounders
    adult_pool = (w.age == ADULT) & ~w.pop.teen[w.community]
    for kind in ("pizzeria", "journalist", "advocate", "adult_creator", "crypto"):
        idx = w.free_benign(counts.get(kind, 0), mask=adult_pool)
        w.set_confounder(idx, kind)
        _styled(w, kind, idx)
    _searchers(w)
    teens = w.free_benign(counts.get("teen", 0), mask=(w.age == MINOR) & w.pop.teen[w.community])
    w.set_confounder(teens, "teen")
    m = len(teens)
    topics = V.gather(w.truth["community_names"], w.community[teens])
    age = pl.Series(rng.integers(13, 18, m)).cast(pl.String)
    form = V.pick(rng, ("{a} y/o | ", "im {a} 😜 ", "{a} 🎂 ", "age {a} · "), m)
    bio = pl.DataFrame({"f": form, "a": age, "t": topics}).select(pl.col("f").str.replace("{a}", pl.col("a"), literal=True) + pl.col("t")).to_series()
    base = profiles_like_benign(w, teens).with_columns(bio=bio)
    w.add("profiles", base.to_dict())
    _bots(w, counts.get("f4f_bot", 0))
    _single_follow(w, counts.get("single_follow", 0))
    _mass_reported(w, counts.get("mass_reported", 0))


def _styled(w: World, kind: str, idx: np.ndarray) -> None:
    """Profiles and 2-4 posts in the style of ``kind`` for accounts ``idx``."""
    rng = w.rng
    spec = KINDS[kind]
    m = len(idx)
    if m == 0:
        return
    base = profiles_like_benign(w, idx)
    link = V.pick(rng, spec["host"], m) + V.random_tokens(rng, m, 9)
    has_link = rng.random(m) < (0.0 if spec["host"] == ("",) else 0.9)
    w.add("profiles", base.with_columns(bio=V.pick(rng, spec["bio"], m), links=V.maybe_list(link, has_link)).to_dict())
    author = np.repeat(idx, rng.integers(2, 5, m))
    k = len(author)
    qi = rng.integers(0, len(QUOTED), k)
    q1, q2 = V.gather(QUOTED, qi), V.gather(QUOTED, (qi + rng.integers(1, len(QUOTED), k)) % len(QUOTED))
    width = len(spec["tags"])
    j1 = rng.integers(0, width, k)
    j2 = (j1 + rng.integers(1, width, k)) % width
    text = (
        pl.DataFrame({"p": V.pick(rng, spec["post"], k), "q1": q1, "q2": q2, "t1": V.gather(spec["tags"], j1), "t2": V.gather(spec["tags"], j2)})
        .select(
            text=pl.col("p").str.replace("{q1}", pl.col("q1"), literal=True).str.replace("{q2}", pl.col("q2"), literal=True)
            + " #" + pl.col("t1") + " #" + pl.col("t2"),
            q1=pl.col("q1"), q2=pl.col("q2"), t1=pl.col("t1"), t2=pl.col("t2"), p=pl.col("p"),
        )
    )
    quotes = pl.when(pl.col("p").str.contains("{q2}", literal=True)).then(pl.concat_list("q1", "q2")).otherwise(
        pl.when(pl.col("p").str.contains("{q1}", literal=True)).then(pl.concat_list("q1")).otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )
    hashtags = text.select(pl.concat_list(quotes, pl.concat_list("t1", "t2")).list.unique(maintain_order=True)).to_series()
    post_link = pl.DataFrame({"a": author}).join(
        pl.DataFrame({"a": idx, "l": V.maybe_list(link, has_link & (kind in ("crypto", "adult_creator")))}), on="a", how="left"
    )["l"]
    pdq, quality, md5 = post_media(w, k, np.zeros(k, bool))
    w.add(
        "posts",
        {"author": author, "t": w.times_after(w.created[author]), "text": text["text"], "hashtags": hashtags, "pdq": pdq, "quality": quality, "md5": md5, "links": post_link},
    )


def _searchers(w: World) -> None:
    """Journalists and advocates search the coded terms they write about; in the hard
    preset journalists also open a seller's profile or two."""
    rng = w.rng
    for kind, per in (("journalist", 4), ("advocate", 2)):
        who = w.indices(confounder=kind)
        actor = np.repeat(who, 1 + rng.poisson(per, len(who)))
        query = "#" + V.pick(rng, QUOTED, len(actor))
        w.add("events", {"actor": actor, "kind": "search", "query": query, "t": w.times_after(w.created[actor])})
    if w.cfg.journalists_view_sellers:
        who = w.indices(confounder="journalist")
        sellers = np.flatnonzero((w.role == ROLE_SELLER) & ~w.disabled)
        actor = np.repeat(who, rng.integers(1, 3, len(who)))
        target = sellers[rng.integers(0, len(sellers), len(actor))]
        w.add("events", {"actor": actor, "kind": "view", "target": target, "target_post": False, "t": w.times_after(w.created[actor])})


def _bots(w: World, k: int) -> None:
    """Follow-for-follow bots: each follows thousands of accounts chosen uniformly."""
    rng, cfg = w.rng, w.cfg
    if k == 0:
        return
    idx = w.add_accounts(k, age=rng.choice([ADULT, UNKNOWN], size=k))
    w.set_confounder(idx, "f4f_bot")
    _styled(w, "f4f_bot", idx)
    lo, hi = cfg.f4f_follows
    per = np.minimum(rng.integers(lo, hi + 1, k), w.n - 1)
    src = np.repeat(idx, per)
    dst = rng.integers(0, w.n, len(src))
    w.add_follows(src, dst)


def _single_follow(w: World, k: int) -> None:
    """Accounts that follow exactly one seller and do nothing else."""
    rng = w.rng
    sellers = np.flatnonzero((w.role == ROLE_SELLER) & ~w.disabled)
    if k == 0 or len(sellers) == 0:
        return
    idx = w.add_accounts(k, age=rng.choice([ADULT, UNKNOWN, MINOR], size=k, p=[0.6, 0.3, 0.1]))
    w.set_confounder(idx, "single_follow")
    base = profiles_like_benign(w, idx).with_columns(bio=pl.lit(""), links=pl.lit([], dtype=pl.List(pl.String)))
    w.add("profiles", base.to_dict())
    w.add_follows(idx, sellers[rng.integers(0, len(sellers), k)])


def _mass_reported(w: World, k: int) -> None:
    """A tight harassment group (following each other) mass-reports ``k`` benign accounts
    for child safety, each target in one burst of a few hours."""
    rng, cfg = w.rng, w.cfg
    if k == 0:
        return
    adults = (w.age == ADULT) & ~w.pop.teen[w.community]
    group = w.free_benign(cfg.harassment_group, mask=adults)
    targets = w.free_benign(k, mask=adults & ~np.isin(np.arange(w.n), group))
    w.set_confounder(targets, "mass_reported")
    g_src, g_dst = np.repeat(group, len(group)), np.tile(group, len(group))
    w.add_follows(g_src[g_src != g_dst], g_dst[g_src != g_dst])
    take = rng.random((k, len(group))) < 0.8
    t_idx, g_idx = np.nonzero(take)
    burst = rng.integers(w.start + 30 * DAY, w.end - DAY, k)
    t = burst[t_idx] + rng.integers(0, 3 * 3_600, len(t_idx))
    _add_reports(w, group[g_idx], targets[t_idx], np.full(len(t_idx), "child_safety"), np.zeros(len(t_idx), bool), anonymous=0.0, t=t)
    w.truth["harassment_group_idx"] = group.tolist()
