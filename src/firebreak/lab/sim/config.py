"""The simulator's parameters (:class:`SimConfig`) and its named presets.

Every knob that changes what the platform looks like lives here, so tests can
vary one at a time: population size and shape, the abusive networks and their
camouflage mix, buyer behaviour, confounder counts and noise levels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

CAMOUFLAGES = ("overt", "obfuscated", "silent", "recreated")
CONFOUNDERS = (
    "pizzeria",
    "journalist",
    "advocate",
    "adult_creator",
    "crypto",
    "teen",
    "f4f_bot",
    "single_follow",
    "mass_reported",
    "researcher",
    "ngo",
    "law_enforcement",
)
#: confounder kinds whose work is to follow, search and report sellers (journalists and advocates included).
WATCHER_KINDS = ("journalist", "advocate", "researcher", "ngo", "law_enforcement")
PRESETS = ("default", "hard", "large", "invented")


def _default_confounders() -> dict[str, int]:
    return {
        "pizzeria": 40,
        "journalist": 20,
        "advocate": 20,
        "adult_creator": 40,
        "crypto": 40,
        "teen": 200,
        "f4f_bot": 20,
        "single_follow": 60,
        "mass_reported": 20,
        "researcher": 10,
        "ngo": 10,
        "law_enforcement": 10,
    }


@dataclass(frozen=True)
class SimConfig:
    """Parameters of one synthetic platform; equal configs give identical platforms.

    Counts given per 20,000 accounts (``seller_*``, ``buyers_*``, confounders) are
    scaled with ``accounts`` by :func:`preset` so a bigger platform keeps the same mix.
    """

    seed: int = 0
    accounts: int = 20_000
    preset: str = "default"
    # benign population
    communities: int = 60
    teen_community_share: float = 0.12
    minor_share_teen: float = 0.7
    minor_share_other: float = 0.02
    unknown_age_share: float = 0.08
    mean_follows: float = 15.0
    intra_community: float = 0.85
    popularity_alpha: float = 1.3  # Pareto shape of followee popularity (smaller = heavier tail)
    posts_per_account: float = 1.5
    events_per_account: float = 4.0
    report_rate: float = 0.01  # ordinary reports per account
    false_report_share: float = 0.1  # share of ordinary reports with a wrong child_safety/nudity reason
    # abusive networks
    networks: int = 6
    sellers_per_network: tuple[int, int] = (20, 50)
    buyers_per_network: tuple[int, int] = (150, 400)
    seller_mix: dict[str, float] = field(
        default_factory=lambda: {"overt": 0.35, "obfuscated": 0.3, "silent": 0.2, "recreated": 0.15}
    )
    novel_terms_per_network: int = 3
    destinations_per_network: int = 4
    silent_shared_destination: float = 0.5  # silent sellers linking a destination shared with their network
    buyer_min_sellers: int = 2
    buyer_seller_alpha: float = 1.6  # Pareto shape of how many sellers a buyer follows
    buyer_cross_network: float = 0.1  # share of a buyer's seller follows outside its network
    buyer_benign_follows: float = 8.0
    buyer_search: float = 0.7  # share of buyers who search coded terms
    buyer_message: float = 0.5  # share of buyers who message a seller
    recreated_audience_moved: tuple[float, float] = (0.6, 0.9)
    benign_follows_seller: float = 0.0  # share of benign accounts that follow one random seller (noise)
    seller_report_share: float = 0.3  # share of sellers with true child-safety reports
    bank_pdq: int = 200
    bank_md5: int = 100
    seller_bank_media: float = 0.5  # share of overt/obfuscated sellers posting near-bank media
    pdq_max_flips: int = 24
    # confounders, per kind
    confounders: dict[str, int] = field(default_factory=_default_confounders)
    harassment_group: int = 12
    f4f_follows: tuple[int, int] = (1_500, 3_000)
    journalists_view_sellers: bool = False
    watchers_follow_sellers: float = 0.5  # share of journalists and advocates who follow (and mostly report) 1-4 sellers
    invented_networks: int = 0  # networks (the last ones) whose sellers and buyers use only invented words, no lexicon term
    base_graph: str | None = None  # a real edge list for the benign follow structure
    base_graph_directed: bool | None = None  # None: read it from the file's SNAP comment
    start: str = "2023-01-01T00:00:00Z"
    end: str = "2023-06-01T00:00:00Z"

    def to_dict(self) -> dict[str, Any]:
        """The config as plain JSON-able values (tuples become lists)."""
        return dict(json_safe(dataclasses.asdict(self)))

    def replace(self, **changes: Any) -> SimConfig:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)


def json_safe(value: Any) -> Any:
    """``value`` with tuples turned into lists, recursively."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def _scaled(counts: dict[str, int], factor: float) -> dict[str, int]:
    return {k: max(1, round(v * factor)) for k, v in counts.items()}


def preset(
    name: str = "default", *, seed: int = 0, accounts: int | None = None, base_graph: str | None = None
) -> SimConfig:
    """The :class:`SimConfig` for preset ``name`` (``default``, ``hard``, ``large`` or ``invented``: the
    default platform where one network uses only invented words, no lexicon term at all).

    ``accounts`` overrides the preset's size; network and confounder counts scale with it.
    Raises ``ValueError`` for an unknown preset or fewer than 500 accounts.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    base_size = {"default": 20_000, "hard": 20_000, "large": 1_000_000, "invented": 20_000}[name]
    if base_graph and accounts is None:  # size the networks to the real graph
        from firebreak.lab.sim.edgelist import load_edge_list

        base_size = max(500, round(load_edge_list(base_graph).n * 1.12))
    size = int(accounts) if accounts is not None else base_size
    if size < 500:
        raise ValueError(f"--accounts must be at least 500, got {size}")
    factor = size / 20_000
    cfg = SimConfig(seed=seed, accounts=size, preset=name, base_graph=str(base_graph) if base_graph else None)
    if name == "hard":
        cfg = cfg.replace(
            seller_mix={"overt": 0.15, "obfuscated": 0.35, "silent": 0.3, "recreated": 0.2},
            confounders={k: v * 2 for k, v in _default_confounders().items()},
            silent_shared_destination=0.35,
            buyer_min_sellers=1,
            buyer_benign_follows=25.0,
            buyer_search=0.5,
            buyer_message=0.35,
            buyer_cross_network=0.2,
            benign_follows_seller=0.01,
            seller_bank_media=0.3,
            recreated_audience_moved=(0.4, 0.8),
            journalists_view_sellers=True,
            false_report_share=0.2,
            intra_community=0.75,
        )
    if name == "invented":
        cfg = cfg.replace(invented_networks=1, novel_terms_per_network=5)
    if name == "large":
        cfg = cfg.replace(mean_follows=62.0, communities=200, posts_per_account=1.0, events_per_account=2.0)
    # networks: grow slowly with size (more networks, somewhat bigger ones)
    networks = cfg.networks if factor <= 1 else min(64, round(cfg.networks * factor**0.5))
    per_net = min(1.0, factor) if factor <= 1 else (factor / (networks / cfg.networks))
    lo_s, hi_s = cfg.sellers_per_network
    lo_b, hi_b = cfg.buyers_per_network
    net_scale = per_net**0.5 if factor > 1 else per_net
    return cfg.replace(
        networks=max(2, networks),
        sellers_per_network=(max(6, round(lo_s * net_scale)), max(8, round(hi_s * net_scale))),
        buyers_per_network=(max(20, round(lo_b * per_net)), max(30, round(hi_b * per_net))),
        confounders=_scaled(cfg.confounders, min(factor, 10.0) if factor > 1 else factor),
        harassment_group=max(6, cfg.harassment_group),
        communities=max(8, min(cfg.communities, size // 200)),
    )
