"""Watchers: benign accounts whose work is to follow, search and report the sellers.

The 2023 investigation itself was done by researchers who followed sellers from
research accounts; child-safety advocates, NGO staff, journalists and
law-enforcement accounts do the same. Each kind follows sellers (researchers many,
across several networks), searches their coded terms, and reports most of what it
follows; none messages a seller. NGO and law-enforcement accounts, and half of
the researchers, belong to vetted organisations: they are listed in the trusted
flagger registry the simulator writes (``trusted_flaggers.csv``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from firebreak.lab.sim import vocabulary as V
from firebreak.lab.sim.activity import _add_reports, profiles_like_benign
from firebreak.lab.sim.config import CONFOUNDERS, WATCHER_KINDS
from firebreak.lab.sim.confounders import QUOTED, _styled
from firebreak.lab.sim.population import ADULT
from firebreak.lab.sim.world import ROLE_SELLER, World

DAY = 86_400
#: per kind: (sellers followed lo, hi), (networks lo, hi), share of followed sellers reported, share in the registry
WATCHERS: dict[str, tuple[tuple[int, int], tuple[int, int], float, float]] = {
    "researcher": ((10, 25), (3, 6), 0.7, 0.5),
    "ngo": ((2, 8), (1, 3), 0.9, 0.9),
    "law_enforcement": ((3, 12), (1, 4), 0.6, 0.9),
}
ORGANISATIONS = {
    "researcher": ("Example University Internet Observatory", "Example Child Safety Research Lab"),
    "ngo": ("Example Child Protection Hotline", "Example Online Safety Foundation"),
    "law_enforcement": ("Example Police Online Child Protection Unit", "Example National Crime Agency"),
}
BIOS = {
    "researcher": ("Researcher · platform safety, research account", "PhD student studying online harms (research account)"),
    "ngo": ("Child-protection hotline staff · report abuse to us", "Online safety NGO · analyst"),
    "law_enforcement": ("Official account of the online child protection unit", "Police · digital investigations"),
}


def plant_watchers(w: World) -> None:
    """Add researcher, NGO and law-enforcement accounts, and make journalists and advocates watch sellers too.

    Records the registry rows in ``w.truth["trusted_idx"]`` (index, organisation).
    """
    cfg, rng = w.cfg, w.rng
    sellers = np.flatnonzero((w.role == ROLE_SELLER) & ~w.disabled & (w.network >= 0))
    if sellers.size == 0:
        return
    adult_pool = (w.age == ADULT) & ~w.pop.teen[w.community]
    trusted: list[tuple[int, str]] = []
    for kind, ((lo, hi), (nlo, nhi), report_share, registry_share) in WATCHERS.items():
        idx = w.free_benign(cfg.confounders.get(kind, 0), mask=adult_pool)
        if idx.size == 0:
            continue
        w.set_confounder(idx, kind)
        base = profiles_like_benign(w, idx)
        w.add("profiles", base.with_columns(bio=V.pick(rng, BIOS[kind], len(idx))).to_dict())
        if kind != "law_enforcement":  # researchers and NGO staff write warnings quoting the codes
            _styled_posts(w, idx, "journalist" if kind == "researcher" else "advocate")
        _watch(w, idx, sellers, (lo, hi), (nlo, nhi), report_share, searches=3)
        listed = idx[rng.random(len(idx)) < registry_share]
        orgs = V.pick(rng, ORGANISATIONS[kind], len(listed)).to_list()
        trusted.extend(zip(listed.tolist(), orgs, strict=True))
    share = cfg.watchers_follow_sellers
    for kind in ("journalist", "advocate"):
        who = w.indices(confounder=kind)
        who = who[rng.random(len(who)) < share]
        if who.size:
            _watch(w, who, sellers, (1, 4), (1, 2), 0.8, searches=0)
    w.truth["trusted_idx"] = trusted


def _styled_posts(w: World, idx: np.ndarray, style: str) -> None:
    """Posts in ``style``'s wording (news or advocacy) for ``idx``, without replacing their profiles."""
    n_before = len(w.profiles)
    _styled(w, style, idx)
    del w.profiles[n_before:]  # keep the watcher's own profile


def _watch(
    w: World, who: np.ndarray, sellers: np.ndarray, per: tuple[int, int], nets: tuple[int, int], report_share: float, *, searches: int
) -> None:
    """``who`` follow ``per`` sellers drawn from ``nets`` networks, view some, search codes and report ``report_share``."""
    rng = w.rng
    networks = np.unique(w.network[sellers])
    k = rng.integers(per[0], per[1] + 1, len(who))
    m = np.minimum(rng.integers(nets[0], nets[1] + 1, len(who)), len(networks))
    src = np.repeat(who, k)
    # each follow picks one of the watcher's networks, then a seller in it
    chosen = [rng.choice(networks, size=int(mm), replace=False) for mm in m.tolist()]  # one draw per watcher
    net_of_follow = np.concatenate([c[rng.integers(0, len(c), int(kk))] for c, kk in zip(chosen, k.tolist(), strict=True)])
    order = np.argsort(w.network[sellers], kind="stable")
    by_net = sellers[order]
    starts = np.searchsorted(w.network[by_net], net_of_follow, side="left")
    ends = np.searchsorted(w.network[by_net], net_of_follow, side="right")
    dst = by_net[starts + (rng.random(len(src)) * (ends - starts)).astype(np.int64)]
    pair = np.unique(src * w.n + dst)
    src, dst = pair // w.n, pair % w.n
    w.add_follows(src, dst)
    lo = np.maximum(w.created[src], w.created[dst])
    view = rng.random(len(src)) < 0.5
    w.add("events", {"actor": src[view], "kind": "view", "target": dst[view], "target_post": False, "t": w.times_after(lo[view])})
    rep = rng.random(len(src)) < report_share
    _add_reports(w, src[rep], dst[rep], np.full(int(rep.sum()), "child_safety"), np.zeros(int(rep.sum()), bool), anonymous=0.0, t=w.times_after(lo[rep]))
    if searches:
        actor = np.repeat(who, rng.poisson(searches, len(who)))
        terms = list(QUOTED) + [t for t in w.truth.get("novel_terms", [])]
        query = "#" + V.pick(rng, terms, len(actor))
        w.add("events", {"actor": actor, "kind": "search", "query": query, "t": w.times_after(w.created[actor])})


def trusted_frame(w: World, ids: pl.Series, start: int) -> pl.DataFrame:
    """The registry rows (``account, organisation, since``) of ``w.truth["trusted_idx"]``, ids resolved."""
    rows = w.truth.get("trusted_idx", [])
    schema = pl.Schema({"account": pl.String(), "organisation": pl.String(), "since": pl.Datetime("us", "UTC")})
    if not rows:
        return pl.DataFrame(schema=schema)
    idx = np.array([r[0] for r in rows], dtype=np.int64)
    since = (np.full(len(idx), start, dtype=np.int64) - 200 * DAY) * 1_000_000
    return pl.DataFrame(
        {"account": ids.gather(pl.Series(idx)), "organisation": [r[1] for r in rows], "since": pl.Series(since).cast(pl.Datetime("us", "UTC"))}
    ).sort("account")


def drop_watcher_messages(w: World) -> None:
    """Remove messages from watchers to sellers that ordinary activity gave them: watchers report, they do not engage."""
    watcher = np.isin(w.confounder, [CONFOUNDERS.index(k) for k in WATCHER_KINDS])
    seller = pl.Series(np.flatnonzero(w.role == ROLE_SELLER).astype(np.int64))
    watchers = pl.Series(np.flatnonzero(watcher).astype(np.int64))
    w.events = [
        e.filter(~((pl.col("kind") == "message") & pl.col("actor").is_in(watchers.implode()) & pl.col("target").is_in(seller.implode())))
        for e in w.events
    ]
