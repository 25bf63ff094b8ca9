"""Abusive networks: sellers at four camouflage levels, their buyers, and what they write.

Per network: sellers (``overt`` coded hashtags; ``obfuscated`` spellings and emoji
codes; ``silent`` with no term at all; ``recreated`` after a ban, whose disabled
predecessor stays in the snapshot and whose audience moves over), buyers that
follow a heavy-tailed number of sellers, search coded terms, view and message
sellers, a few invented (novel) hashtags and a pool of off-platform destinations
the network shares. Menus use placeholders ("[menu item]"), never content.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from firebreak.lab.sim import vocabulary as V
from firebreak.lab.sim.activity import post_media, profiles_like_benign
from firebreak.lab.sim.config import CAMOUFLAGES, SimConfig
from firebreak.lab.sim.population import ADULT, MINOR, UNKNOWN
from firebreak.lab.sim.world import ROLE_BUYER, ROLE_SELLER, World

DEST_HOSTS = ("t.me/", "linktr.ee/", "mega.example/folder/", "session.example/", "files.example/f/", "discord.example/invite/")
OVERT, OBFUSCATED, SILENT, RECREATED = range(4)
DAY = 86_400


def _weighted_choice(rng: np.random.Generator, pool: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """``k`` draws from ``pool`` with probability proportional to ``weights`` (with replacement)."""
    cum = np.cumsum(weights)
    return np.asarray(pool[np.minimum(np.searchsorted(cum, rng.random(k) * cum[-1], side="right"), len(pool) - 1)])


def _repeat_pick(rng: np.random.Generator, who: np.ndarray, counts: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each ``who[i]`` paired with ``counts[i]`` uniform picks from ``pool``."""
    src = np.repeat(who, counts)
    return src, pool[rng.integers(0, len(pool), len(src))] if len(pool) else src[:0]


def _two_distinct(rng: np.random.Generator, choices: list[str], m: int) -> tuple[pl.Series, pl.Series]:
    """Two picks per row from ``choices``, never the same entry twice in a row."""
    first = rng.integers(0, len(choices), m)
    second = (first + rng.integers(1, len(choices), m)) % len(choices)
    return V.gather(choices, first), V.gather(choices, second)


def _obfuscated_tags() -> list[str]:
    return [v for t in V.KNOWN_HASHTAGS for v in V.obfuscations(t)]


def _obfuscated_selling() -> list[str]:
    return [v for word in ("menu", "prices", "DM for content", "trade") for v in V.obfuscate_word(word)]


def _age_codes(rng: np.random.Generator, k: int, obfuscate: bool) -> pl.Series:
    ages = rng.integers(12, 16, k)
    form = rng.integers(0, len(V.AGE_CODES), k)
    texts = [
        V.AGE_CODES[f].format(n=a, r=str(a)[::-1]) for f, a in zip(form.tolist(), ages.tolist(), strict=True)
    ]  # at most a few thousand sellers: per-seller formatting is cheap
    s = pl.Series(texts, dtype=pl.String)
    if obfuscate:
        s = s.str.replace("chapter", "ch4pt3r").str.replace("on ", "0n ")
    return s


def plan_sizes(cfg: SimConfig) -> list[tuple[np.ndarray, int]]:
    """Per network, the camouflage code of each seller and the number of buyers.

    Drawn from its own stream (seeded by ``cfg.seed``) so the simulator can size
    the benign population before planting networks.
    """
    rng = np.random.default_rng([cfg.seed, 7])
    mix = np.array([cfg.seller_mix.get(c, 0.0) for c in CAMOUFLAGES], dtype=float)
    mix = mix / mix.sum()
    out = []
    for _ in range(cfg.networks):
        n_s = int(rng.integers(cfg.sellers_per_network[0], cfg.sellers_per_network[1] + 1))
        cams = rng.choice(4, size=n_s, p=mix)
        n_b = int(rng.integers(cfg.buyers_per_network[0], cfg.buyers_per_network[1] + 1))
        out.append((cams, n_b))
    return out


def abusive_accounts(cfg: SimConfig) -> int:
    """How many accounts the networks of ``cfg`` add (sellers, disabled predecessors, buyers)."""
    return sum(len(c) + int((c == RECREATED).sum()) + b for c, b in plan_sizes(cfg))


def plant_networks(w: World) -> None:
    """Add every abusive network to ``w``: accounts, follows, profiles, posts and buyer events.

    Fills ``w.truth`` with ``networks`` (per id: sellers, buyers, novel terms,
    destinations), ``novel_terms``, ``known_terms`` and ``recreated`` pairs (old, new).
    """
    cfg, rng = w.cfg, w.rng
    avoid = set(V.known_terms()) | {t for tags in w.truth.get("community_tags", []) for t in tags}
    nets: list[dict[str, Any]] = []
    # pass 1: accounts
    for k, (cams, n_b) in enumerate(plan_sizes(cfg)):
        n_s = len(cams)
        ages = rng.choice([ADULT, UNKNOWN, MINOR], size=n_s, p=[0.5, 0.3, 0.2])
        sellers = w.add_accounts(n_s, role=ROLE_SELLER, age=ages, created=rng.integers(w.start - 200 * DAY, w.end - 90 * DAY, n_s))
        succ = sellers[cams == RECREATED]
        ban = rng.integers(w.start + 20 * DAY, w.end - 40 * DAY, len(succ))
        w.created[succ] = ban + rng.integers(DAY // 4, 5 * DAY, len(succ))
        pred = w.add_accounts(len(succ), role=ROLE_SELLER, age=w.age[succ], created=ban - rng.integers(60 * DAY, 400 * DAY, len(succ)))
        w.disabled[pred] = True
        buyers = w.add_accounts(n_b, role=ROLE_BUYER, age=rng.choice([ADULT, UNKNOWN], size=n_b, p=[0.8, 0.2]))
        members = np.concatenate([sellers, pred, buyers])
        w.network[members] = k
        w.camouflage[sellers] = cams
        w.camouflage[pred] = np.where(rng.random(len(pred)) < 0.7, OVERT, OBFUSCATED)
        novel = V.novel_terms(rng, cfg.novel_terms_per_network, avoid)
        avoid |= set(novel)
        dests = (
            V.gather(DEST_HOSTS, rng.integers(0, len(DEST_HOSTS), cfg.destinations_per_network))
            + V.random_tokens(rng, cfg.destinations_per_network, 10)
        ).to_list()
        nets.append(
            {
                "id": f"net{k + 1:02d}", "sellers": sellers, "cams": cams, "succ": succ, "pred": pred,
                "ban": ban, "buyers": buyers, "novel": novel, "dests": dests,
                "invented": k >= cfg.networks - cfg.invented_networks,
                "weight": 1.0 + rng.pareto(1.2, n_s + len(pred)),
            }
        )
    # pass 2: follows and activity
    choosable = [np.concatenate([n["sellers"][n["cams"] != RECREATED], n["pred"]]) for n in nets]
    choose_w = [np.concatenate([n["weight"][: len(n["sellers"])][n["cams"] != RECREATED], n["weight"][len(n["sellers"]):]]) for n in nets]
    all_choosable = np.concatenate(choosable)
    all_w = np.concatenate(choose_w)
    for n in nets:
        w.banned_at[n["pred"]] = n["ban"]
    ban_of = w.banned_at
    buyer_edges = []
    succ_of = np.full(w.n, -1, np.int64)
    share_of = np.zeros(w.n)
    for n in nets:
        succ_of[n["pred"]] = n["succ"]
        share_of[n["pred"]] = rng.uniform(*cfg.recreated_audience_moved, len(n["pred"]))
    for k, n in enumerate(nets):
        buyers = n["buyers"]
        kb = cfg.buyer_min_sellers + np.floor(rng.pareto(cfg.buyer_seller_alpha, len(buyers))).astype(np.int64)
        kb = np.minimum(kb, len(choosable[k]))
        src = np.repeat(buyers, kb)
        cross = rng.random(len(src)) < cfg.buyer_cross_network
        # a buyer's first seller is in its own network: the network a buyer is labelled with is
        # one it is bound to by a follow (the spec's definition), whatever else it follows
        cross[np.cumsum(kb) - kb] = False
        dst = _weighted_choice(rng, choosable[k], choose_w[k], len(src))
        dst[cross] = _weighted_choice(rng, all_choosable, all_w, int(cross.sum()))
        # recreated: part of each predecessor's audience (from any network) follows its successor
        moves = (succ_of[dst] >= 0) & (rng.random(len(dst)) < share_of[dst])
        m_src, m_dst = src[moves], succ_of[dst[moves]]
        fresh = rng.random(len(n["succ"])) < 0.5  # successors also pick up a few new followers
        f_src, f_dst = _repeat_pick(rng, n["succ"][fresh], rng.poisson(2, int(fresh.sum())), buyers)
        f_src, f_dst = f_dst, f_src
        all_src = np.concatenate([src, m_src, f_src])
        all_dst = np.concatenate([dst, m_dst, f_dst])
        # a buyer that arrives after a ban finds the successor, not the disabled account
        late = (succ_of[all_dst] >= 0) & (np.maximum(w.created[all_src], w.created[all_dst]) >= ban_of[all_dst])
        all_dst[late] = succ_of[all_dst[late]]
        lo = np.maximum(w.created[all_src], w.created[all_dst])
        t = w.times_after(lo)
        before_ban = ban_of[all_dst] < w.end
        t[before_ban] = lo[before_ban] + (rng.random(int(before_ban.sum())) * np.maximum(ban_of[all_dst][before_ban] - lo[before_ban], 1)).astype(np.int64)
        w.add_follows(all_src, all_dst, t)
        buyer_edges.append(pl.DataFrame({"src": all_src, "dst": all_dst, "t": t}))
        # sellers follow each other, and follow back some buyers; buyers follow some buyers
        active = n["sellers"]
        w.add_follows(*_repeat_pick(rng, active, 1 + rng.poisson(3, len(active)), active))
        w.add_follows(*_repeat_pick(rng, n["pred"], 1 + rng.poisson(3, len(n["pred"])), choosable[k]))
        w.add_follows(*_repeat_pick(rng, active, rng.poisson(2, len(active)), buyers))
        w.add_follows(*_repeat_pick(rng, buyers, rng.poisson(0.5, len(buyers)), buyers))
        # ordinary follows: buyers' everyday interests, sellers' cover; buyers' friends follow them back
        for who, mean in ((buyers, cfg.buyer_benign_follows), (active, 3.0)):
            s = np.repeat(who, rng.poisson(mean, len(who)))
            w.add_follows(s, w.pop.sample_followees(rng, w.community[s], 0.7))
        friends_of = np.repeat(buyers, rng.poisson(3.0, len(buyers)))
        w.add_follows(w.pop.sample_followees(rng, w.community[friends_of], 0.8), friends_of)
        _seller_content(w, n)
        _buyer_content(w, n)
    edges = pl.concat(buyer_edges)
    _buyer_events(w, nets, edges)
    _benign_follow_noise(w, all_choosable)
    w.truth["networks"] = {
        n["id"]: {
            "sellers": len(n["sellers"]) + len(n["pred"]),
            "buyers": len(n["buyers"]),
            "novel_terms": n["novel"],
            "destinations": n["dests"],
        }
        for n in nets
    }
    w.truth["novel_terms"] = [t for n in nets for t in n["novel"]]
    w.truth["recreated_idx"] = [(int(p), int(s)) for n in nets for p, s in zip(n["pred"], n["succ"], strict=True)]


def _seller_content(w: World, n: dict[str, Any]) -> None:
    """Profiles and posts for network ``n``'s sellers, by camouflage level."""
    rng = w.rng
    sellers, cams, pred, succ = n["sellers"], n["cams"], n["pred"], n["succ"]
    dests = pl.Series(n["dests"], dtype=pl.String)
    novel = n["novel"]
    obf_tags = _obfuscated_tags()
    obf_sell = _obfuscated_selling()
    known_tags = list(V.KNOWN_HASHTAGS)
    emoji = list(V.KNOWN_EMOJI)

    def dest_links(m: int, shared: np.ndarray) -> pl.Series:
        own = V.gather(DEST_HOSTS, rng.integers(0, len(DEST_HOSTS), m)) + V.random_tokens(rng, m, 10)
        net = dests.gather(pl.Series(rng.integers(0, len(dests), m)))
        chosen = pl.select(pl.when(pl.lit(pl.Series(shared))).then(pl.lit(net)).otherwise(pl.lit(own))).to_series()
        return V.maybe_list(chosen, np.ones(m, bool))

    groups = {
        "overt": np.concatenate([sellers[cams == OVERT], pred[w.camouflage[pred] == OVERT]]),
        "obfuscated": np.concatenate([sellers[cams == OBFUSCATED], pred[w.camouflage[pred] == OBFUSCATED]]),
        "silent": sellers[cams == SILENT],
        "recreated": succ,
    }
    n_before = len(w.profiles)
    for kind, idx in groups.items():
        m = len(idx)
        if m == 0:
            continue
        base = profiles_like_benign(w, idx)
        if n["invented"] and kind in ("overt", "obfuscated"):  # only the network's own invented words
            first, second = _two_distinct(rng, novel, m)
            bio = "#" + first + " · #" + second
            links = dest_links(m, np.ones(m, bool))
            handle = V.pick(rng, V.HANDLE_WORDS, m) + "_" + first + pl.Series(rng.integers(1, 99, m)).cast(pl.String)
        elif kind == "overt":
            bio = V.join([_age_codes(rng, m, False), V.pick(rng, emoji, m), V.pick(rng, V.SELLING_WORDS, m)], " · ")
            links = dest_links(m, np.ones(m, bool))
            handle = V.pick(rng, V.HANDLE_WORDS, m) + "_" + V.pick(rng, known_tags, m) + pl.Series(rng.integers(1, 99, m)).cast(pl.String)
        elif kind == "obfuscated":
            bio = V.join([_age_codes(rng, m, True), V.pick(rng, emoji, m), V.pick(rng, obf_sell, m)], " ~ ")
            links = dest_links(m, np.ones(m, bool))
            handle = V.pick(rng, V.HANDLE_WORDS, m) + "." + V.pick(rng, obf_tags, m)
        elif kind == "silent":
            bio, handle = base["bio"], base["handle"]
            shared = rng.random(m) < w.cfg.silent_shared_destination
            links = V.maybe_list(dest_links(m, shared).list.first(), shared | (rng.random(m) < 0.6))
        else:  # recreated: the predecessor's handle with a suffix, an ordinary bio
            made = pl.concat(w.profiles[n_before:]).select("idx", "handle")
            p_handles = pl.DataFrame({"idx": pred}).join(made, on="idx", how="left")["handle"]
            stem = p_handles.str.extract(r"^([a-z]+)", 1).fill_null("acc")
            handle = stem + V.pick(rng, ("_backup", "_2", ".back", "_new", "x"), m) + pl.Series(rng.integers(1, 99, m)).cast(pl.String)
            bio = V.pick(rng, ("back again ✨", "new acc", "same me, new page", "☁️", ""), m)
            links = dest_links(m, rng.random(m) < 0.6)
        w.add("profiles", {"idx": idx, "handle": handle, "display_name": base["display_name"], "bio": bio, "links": links})
        _seller_posts(w, kind, idx, dests, novel, obf_tags, obf_sell, invented=bool(n["invented"]))


def _seller_posts(
    w: World, kind: str, idx: np.ndarray, dests: pl.Series, novel: list[str], obf_tags: list[str], obf_sell: list[str], *, invented: bool = False
) -> None:
    """1-5 posts per seller in ``idx``: menus with placeholder items, prices and coded
    hashtags (overt or obfuscated), or ordinary captions (silent, recreated); an
    ``invented`` network's overt and obfuscated sellers post placeholders and its invented hashtags only."""
    rng, cfg = w.rng, w.cfg
    per = 1 + rng.poisson(2, len(idx))
    author = np.repeat(idx, per)
    m = len(author)
    lo = w.created[author]
    hi = np.where(w.disabled[author], w.created[author] + 60 * DAY, w.end)
    t = lo + (rng.random(m) * np.maximum(hi - lo, 1)).astype(np.int64)
    p1, p2 = (pl.Series(rng.integers(2, 30, m) * 5).cast(pl.String) for _ in range(2))
    nov = V.pick(rng, novel, m)
    nov = V.maybe(nov, rng.random(m) < 0.8)
    if kind in ("overt", "obfuscated") and m >= len(novel):  # every novel term is in use
        nov = pl.concat([pl.Series(novel, dtype=pl.String), nov.slice(len(novel))])
    near_bank = np.zeros(m, bool)
    links = pl.Series([[]] * m, dtype=pl.List(pl.String))
    if kind in ("overt", "obfuscated") and invented:
        near_bank = np.repeat(rng.random(len(idx)) < cfg.seller_bank_media, per) & (rng.random(m) < 0.7)
        t1, t2 = _two_distinct(rng, novel, m)
        out = pl.DataFrame({"t1": t1, "t2": t2}).select(
            text=pl.lit("[item] · [item] #") + pl.col("t1") + pl.lit(" #") + pl.col("t2"),
            hashtags=pl.concat_list("t1", "t2"),
        )
        links = V.maybe_list(V.gather(dests.to_list(), rng.integers(0, len(dests), m)), rng.random(m) < 0.4)
    elif kind in ("overt", "obfuscated"):
        near_bank = np.repeat(rng.random(len(idx)) < cfg.seller_bank_media, per) & (rng.random(m) < 0.7)
        if kind == "overt":
            t1, t2 = _two_distinct(rng, list(V.KNOWN_HASHTAGS), m)
            menu, sell = V.pick(rng, ("menu", "Menu", "MENU", "prices"), m), V.pick(rng, V.SELLING_WORDS, m)
        else:
            t1, t2 = _two_distinct(rng, obf_tags, m)
            menu, sell = V.pick(rng, obf_sell, m), V.pick(rng, obf_sell, m)
        frame = pl.DataFrame({"menu": menu, "p1": p1, "p2": p2, "sell": sell, "t1": t1, "t2": t2, "nov": nov})
        out = frame.select(
            text=pl.concat_str(
                [
                    pl.col("menu"), pl.lit(" 📋 [menu item] $"), pl.col("p1"), pl.lit(" · [menu item] $"), pl.col("p2"),
                    pl.lit(" · "), pl.col("sell"), pl.lit(" #"), pl.col("t1"), pl.lit(" #"), pl.col("t2"),
                    pl.when(pl.col("nov").is_not_null()).then(pl.lit(" #") + pl.col("nov")).otherwise(pl.lit("")),
                ]
            ),
            hashtags=pl.concat_list("t1", "t2", "nov").list.drop_nulls().list.unique(maintain_order=True),
        )
        links = V.maybe_list(V.gather(dests.to_list(), rng.integers(0, len(dests), m)), rng.random(m) < 0.4)
    else:
        cap = V.pick(rng, V.CAPTIONS, m)
        g = V.pick(rng, V.GENERIC_TAGS, m)
        if kind == "silent":
            nov = pl.Series([None] * m, dtype=pl.String)
        frame = pl.DataFrame({"cap": cap, "g": g, "nov": nov if kind == "recreated" else pl.Series([None] * m, dtype=pl.String)})
        out = frame.select(
            text=pl.concat_str(
                [
                    pl.col("cap"), pl.lit(" #"), pl.col("g"),
                    pl.when(pl.col("nov").is_not_null()).then(pl.lit(" #") + pl.col("nov")).otherwise(pl.lit("")),
                ]
            ),
            hashtags=pl.concat_list("g", "nov").list.drop_nulls(),
        )
    pdq, quality, md5 = post_media(w, m, near_bank)
    w.add("posts", {"author": author, "t": t, "text": out["text"], "hashtags": out["hashtags"], "pdq": pdq, "quality": quality, "md5": md5, "links": links})


def _buyer_content(w: World, n: dict[str, Any]) -> None:
    """Buyers look like ordinary accounts: ordinary profiles, a few ordinary posts."""
    w.add("profiles", profiles_like_benign(w, n["buyers"]))


def _buyer_events(w: World, nets: list[dict[str, Any]], edges: pl.DataFrame) -> None:
    """Buyers view, like and message the sellers they follow, and search coded terms."""
    rng, cfg = w.rng, w.cfg
    src, dst, t = edges["src"].to_numpy(), edges["dst"].to_numpy(), edges["t"].to_numpy()
    m = len(src)
    view = rng.random(m) < 0.7
    like = rng.random(m) < 0.3
    msg_buyer = np.zeros(w.n, bool)
    for n in nets:
        msg_buyer[n["buyers"]] = rng.random(len(n["buyers"])) < cfg.buyer_message
    searcher = np.zeros(w.n, bool)
    for n in nets:
        searcher[n["buyers"]] = rng.random(len(n["buyers"])) < cfg.buyer_search
    # a buyer that follows a single seller always does something else a buyer does
    is_seller_edge = w.role[dst] == ROLE_SELLER
    pairs = np.unique(src[is_seller_edge] * w.n + dst[is_seller_edge])  # thousands of edges: small
    per_buyer = np.bincount(pairs // w.n, minlength=w.n)
    lone = (per_buyer == 1) & ~msg_buyer & ~searcher & (w.role == ROLE_BUYER)
    coin = rng.random(w.n) < 0.5
    msg_buyer |= lone & coin
    searcher |= lone & ~coin
    msg = msg_buyer[src] & ((rng.random(m) < 0.5) | (per_buyer[src] == 1))

    def later(tt: np.ndarray) -> np.ndarray:
        return tt + (rng.random(len(tt)) * 3 * DAY).astype(np.int64)

    for mask, kind, is_post in ((view, "view", False), (like, "like", True), (msg, "message", False)):
        when = np.minimum(later(t[mask]), w.banned_at[dst[mask]])  # nothing reaches a banned account
        w.add("events", {"actor": src[mask], "kind": kind, "target": dst[mask], "target_post": is_post, "t": when})
    # searches: known hashtags, their obfuscated spellings, emoji codes, the network's novel terms
    obf = _obfuscated_tags()
    for n in nets:
        b = n["buyers"][searcher[n["buyers"]]]
        actor = np.repeat(b, 1 + rng.poisson(1.5, len(b)))
        k = len(actor)
        which = np.full(k, 3) if n["invented"] else rng.choice(4, size=k, p=[0.45, 0.15, 0.1, 0.3])
        options = [
            ("#" + V.pick(rng, list(V.KNOWN_HASHTAGS), k)).to_list(),
            V.pick(rng, obf, k).to_list(),
            V.pick(rng, list(V.KNOWN_EMOJI), k).to_list(),
            ("#" + V.pick(rng, n["novel"], k)).to_list(),
        ]
        query = np.choose(which, [np.asarray(o, dtype=object) for o in options])
        w.add("events", {"actor": actor, "kind": "search", "query": pl.Series(query, dtype=pl.String), "t": w.times_after(w.created[actor])})


def _benign_follow_noise(w: World, sellers: np.ndarray) -> None:
    """A share of benign accounts follow one random seller (overlap with the benign graph)."""
    share = w.cfg.benign_follows_seller
    if share <= 0 or len(sellers) == 0:
        return
    who = w.free_benign(int(share * w.pop.n))
    w.add_follows(who, sellers[w.rng.integers(0, len(sellers), len(who))])
