"""The scan's stages, each a plain function from typed inputs to typed outputs.

read -> signals -> graph units -> roles -> evasion -> terms -> propagation -> networks -> results::

    snapshot ─▶ detect_stage ─▶ Detection (evidence, destinations)
             └▶ graph_stage ──▶ Graph
    Graph + snapshot ──▶ reports_stage ─▶ ReportSignal
    Detection + Graph + reports ─▶ units_stage ─▶ Units (per-account arrays, destination codes)
    Units ─────────────▶ roles_stage ──▶ RoleScores
    roles ─────────────▶ evasion_stage ─▶ (EvasionMatch, RoleScores)
    roles ─────────────▶ terms_stage ──▶ (Discovery, RoleScores)
    roles ─────────────▶ propagate_stage ─▶ proximity per account
    roles ─────────────▶ networks_stage ─▶ Networks (network per account)
    everything ────────▶ results_stage ─▶ ScanResult

The CLI, the benchmarks and any other engine call these same functions; the
lexicon is loaded and destinations are computed once, in :func:`detect_stage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from firebreak.detect.discovery import discover_terms, token_usage
from firebreak.detect.lexicon import Lexicon, load_lexicon
from firebreak.detect.media.banks import HashBank
from firebreak.detect.profile import destinations
from firebreak.detect.signals import detect_signals
from firebreak.evidence import EVIDENCE, empty_evidence
from firebreak.exprs import fmt
from firebreak.graph.communities import find_communities
from firebreak.graph.csr import Graph, build_graph, follow_edges, induced_adjacency
from firebreak.graph.evasion import EvasionMatch, find_evasion
from firebreak.graph.ids import IdMap
from firebreak.graph.propagate import personalized_pagerank, transition_from_transpose
from firebreak.graph.reports import ReportSignal, report_signal
from firebreak.graph.roles import AccountSignals, RoleScores, score_roles
from firebreak.scan.explain import discovered_evidence, graph_evidence, trusted_evidence
from firebreak.scan.memory import release_free_memory
from firebreak.scan.networks import network_table
from firebreak.scan.params import ScanParams
from firebreak.scan.result import EVIDENCE_LIST, ScanResult
from firebreak.scan.terms import terms_table
from firebreak.scan.trusted import empty_registry
from firebreak.scan.units import destination_codes, term_usage, term_uses, unit_vectors
from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import empty


@dataclass(frozen=True, slots=True)
class Detection:
    """What the detectors found: ``evidence`` (:data:`~firebreak.evidence.EVIDENCE`),
    ``destinations`` (``account, destination, kind, source``) and the ``lexicon`` used."""

    evidence: pl.DataFrame
    destinations: pl.DataFrame
    lexicon: Lexicon


@dataclass(slots=True)
class Units:
    """Per-account detector units for role scoring, and the destination code table."""

    signals: AccountSignals
    search_units: np.ndarray  # distinct ambiguous terms searched (before discovered terms join them)
    dest_table: pl.DataFrame  # code -> destination key


#: columns of :attr:`Discovery.uses`.
USES = pl.Schema(
    {"account": pl.String(), "term": pl.String(), "search": pl.Boolean(), "weight": pl.Float64(), "accounts": pl.Int64(), "lift": pl.Float64()}
)


@dataclass(frozen=True, slots=True)
class Discovery:
    """Terms discovered around the flagged accounts (``term, known, accounts, evidence``), the novel ones, and
    their uses as evidence (``account, term, search, weight, accounts, lift``: the weight each use counts)."""

    terms: pl.DataFrame
    novel: list[str]
    uses: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=USES))



@dataclass(frozen=True, slots=True)
class Networks:
    """Network number per account (``-1`` for none) and how many networks there are."""

    of: np.ndarray
    count: int


def detect_stage(snapshot: Snapshot, bank: HashBank | None = None, lexicon: Lexicon | None = None) -> Detection:
    """Run the detectors once: lexicon, profile (destinations computed once) and media."""
    lex = load_lexicon() if lexicon is None else lexicon
    dests = destinations(snapshot)
    return Detection(detect_signals(snapshot, bank=bank, lexicon=lex, dests=dests), dests, lex)


def graph_stage(snapshot: Snapshot, *, release: bool = False) -> Graph:
    """Dense ids and the follow / interaction CSR matrices.

    With ``release``, ``snapshot.follows`` is emptied as soon as its ids are encoded, before the
    matrices are built (no later stage reads it; the caller is done with the snapshot).
    """
    if not release:
        return build_graph(snapshot)
    ids = IdMap.from_ids(snapshot.accounts.get_column("id"))
    edges = follow_edges(snapshot.follows, ids)
    snapshot.follows = empty("follows")
    return build_graph(snapshot, ids, follows=edges)


def trusted_mask(registry: pl.DataFrame | None, graph: Graph) -> np.ndarray:
    """Bool per account: in the trusted-flagger ``registry`` (``account, organisation, since``)."""
    mask = np.zeros(graph.n, dtype=bool)
    if registry is None or registry.height == 0:
        return mask
    idx = graph.ids.encode(registry.get_column("account"))
    mask[idx[idx >= 0]] = True
    return mask


def units_stage(
    detection: Detection, graph: Graph, reports: ReportSignal, params: ScanParams, trusted: np.ndarray | None = None
) -> Units:
    """Condense detector evidence and reports into per-account units; one destination code per account.

    ``trusted``: bool per account (:func:`trusted_mask`); what each account reported and its
    report history come from ``reports``.
    """
    units = unit_vectors(detection.evidence, graph.ids)
    pairs = detection.destinations.select("account", "destination").drop_nulls().unique()
    destination, dest_table = destination_codes(pairs, graph.ids, params.roles.destination_max_sharers)
    signals = AccountSignals(
        content=units["content"],
        ambiguous=units["ambiguous"],
        search=units["search"],
        reports=reports.units,
        destination=destination,
        evasion=np.zeros(graph.n),
        media=units["media"],
        weak_search=units["ambiguous_search"],
        reporting=units["reporting"],
        filed=reports.filed,
        history=reports.history if reports.history.shape[0] == graph.n else np.zeros(graph.n),
        trusted=trusted if trusted is not None else np.zeros(graph.n, dtype=bool),
    )
    return Units(signals, units["ambiguous_search"], dest_table)


def reports_stage(
    snapshot: Snapshot, graph: Graph, trusted: np.ndarray | None = None, params: ScanParams | None = None
) -> ReportSignal:
    """Child-safety reports per account, discounted for repeat reporters and harassment groups; trusted
    flaggers' reports (``trusted``: bool per account) weigh ``params.trusted_report_weight`` and are never discounted."""
    weight = (params or ScanParams()).trusted_report_weight
    return report_signal(snapshot, graph, trusted=trusted, trusted_weight=weight)


def roles_stage(graph: Graph, signals: AccountSignals, params: ScanParams) -> RoleScores:
    """Seller and buyer roles from the units (alternating propagation, :func:`~firebreak.graph.roles.score_roles`)."""
    return score_roles(graph, signals, params.roles)


def evasion_stage(
    snapshot: Snapshot, graph: Graph, signals: AccountSignals, roles: RoleScores, params: ScanParams
) -> tuple[EvasionMatch, RoleScores]:
    """Ban evasion: active accounts whose audience is a disabled seller's (MinHash/LSH); roles scored again if any.

    Sets ``signals.evasion`` (units inherited from the disabled seller).
    """
    status = snapshot.accounts.get_column("status").fill_null("active")
    disabled = (status == "disabled").to_numpy()
    evasion = find_evasion(
        graph.followers, np.flatnonzero(disabled & roles.seller), np.flatnonzero(~disabled), seed=params.seed
    )
    return evasion, inherit_evasion(graph, signals, evasion, roles, params)


def inherit_evasion(graph: Graph, signals: AccountSignals, evasion: EvasionMatch, roles: RoleScores, params: ScanParams) -> RoleScores:
    """Units inherited from disabled sellers by the ``evasion`` matches, and the roles scored again (``roles`` if none).

    Sets ``signals.evasion``; any engine that finds the matches its own way calls this.
    """
    p = params.roles
    if evasion.new.size == 0:
        return roles
    signals.evasion = np.zeros(graph.n)
    span = p.evasion_jaccard_full - p.evasion_jaccard_zero
    strength = np.clip((evasion.jaccard - p.evasion_jaccard_zero) / span, 0.0, 1.0)
    np.maximum.at(signals.evasion, evasion.new, p.evasion_units * strength)
    return score_roles(graph, signals, p)


def discovered_weights(found: pl.DataFrame, params: ScanParams) -> pl.DataFrame:
    """``term, accounts, lift, weight`` for the novel terms of a discovery frame (``term, known, accounts, lift``).

    Weight grows linearly with support from ``discovered_support_zero`` to ``discovered_support_full``
    accounts and with log lift from ``discovered_lift_zero`` to ``discovered_lift_full``, to at most
    ``discovered_weight_max``; weights under ``discovered_min_weight`` are dropped.
    """
    s0, s1 = params.discovered_support_zero, max(params.discovered_support_full, params.discovered_support_zero + 1e-9)
    l0, l1 = max(params.discovered_lift_zero, 1.0), max(params.discovered_lift_full, params.discovered_lift_zero * 1.0001, 1.0001)
    support = ((pl.col("accounts").cast(pl.Float64) - s0) / (s1 - s0)).clip(0.0, 1.0)
    lift = ((pl.col("lift").cast(pl.Float64).clip(lower_bound=1e-9) / l0).log() / np.log(l1 / l0)).clip(0.0, 1.0)
    return (
        found.filter(~pl.col("known"))
        .select(
            pl.col("term").str.strip_chars_start("#").str.to_lowercase().alias("term"),
            pl.col("accounts").cast(pl.Int64),
            pl.col("lift").cast(pl.Float64),
            (params.discovered_weight_max * support * lift).round(3).alias("weight"),
        )
        .filter(pl.col("weight") >= params.discovered_min_weight)
        .unique("term", keep="first", maintain_order=True)
    )


def anchored_terms(found: pl.DataFrame, params: ScanParams) -> pl.DataFrame:
    """The discovered terms the scan acts on: known spellings, and terms found next to known lexicon terms.

    A term found only because flagged accounts use it much more than others ("concentration"), or
    next to other *discovered* terms (later co-occurrence rounds), can be the hobby of a community
    where buyers live (#pottery: buyers have interests too); acting on it flags that community, whose
    flags then make the hobby look coded: a loop. Such terms count only when ``discovered_partnerless``
    is set; :func:`~firebreak.detect.discovery.discover_terms` still lists them for reviewers.
    """
    if params.discovered_partnerless or "method" not in found.columns:
        return found
    return found.filter(pl.col("known") | ((pl.col("method") == "co-occurrence") & (pl.col("round") == 1)))


def terms_stage(
    snapshot: Snapshot, graph: Graph, detection: Detection, units: Units, roles: RoleScores, params: ScanParams
) -> tuple[Discovery, RoleScores]:
    """Terms discovered around the flagged accounts, as weighted evidence for the accounts that use them; roles again.

    Each of ``params.discovery_rounds`` rounds discovers terms around the accounts flagged so far,
    weighs them (:func:`discovered_weights`), counts their weights as own content (posts, bio) or
    search units (``units.signals.discovered_content`` / ``discovered_search``) and scores roles again.
    A round stops the loop when its terms and weights are the last round's (scoring again would
    give the same roles); the terms reported are the last round's.
    """
    found = pl.DataFrame(schema={"term": pl.String, "known": pl.Boolean, "accounts": pl.Int64, "lift": pl.Float64, "evidence": pl.String})
    uses = pl.DataFrame(schema=USES)
    usage = token_usage(snapshot, detection.lexicon)  # the same every round
    weighed: pl.DataFrame | None = None  # the last round's ``term, weight`` pairs
    for _ in range(max(1, params.discovery_rounds)):
        flagged = graph.ids.decode(np.flatnonzero(roles.seller | roles.buyer))
        found = anchored_terms(discover_terms(snapshot, flagged, detection.lexicon, usage=usage), params)
        weights = discovered_weights(found, params)
        if weights.height == 0:
            break
        pairs = weights.select("term", "weight").sort("term")
        if weighed is not None and pairs.equals(weighed):
            break  # the same terms at the same weights: the same units, so the same roles again
        weighed = pairs
        uses = term_uses(snapshot, weights.get_column("term").to_list()).join(weights, on="term").select(list(USES))
        idx = graph.ids.encode(uses.get_column("account"))
        ok = idx >= 0
        w = uses.get_column("weight").to_numpy()
        search = uses.get_column("search").to_numpy()
        content_units, search_units = np.zeros(graph.n), np.zeros(graph.n)
        np.add.at(content_units, idx[ok & ~search], w[ok & ~search])
        np.add.at(search_units, idx[ok & search], w[ok & search])
        units.signals.discovered_content = content_units
        units.signals.discovered_search = search_units
        before = roles.seller | roles.buyer
        release_free_memory()
        roles = score_roles(graph, units.signals, params.roles)
        if np.array_equal(before, roles.seller | roles.buyer):
            break
    terms = found.select("term", "known", pl.col("accounts").cast(pl.Int64), "evidence")
    novel = found.filter(~pl.col("known")).get_column("term").to_list()
    return Discovery(terms, novel, uses), roles


def propagate_stage(graph: Graph, roles: RoleScores, params: ScanParams) -> np.ndarray:
    """Proximity to the flagged sellers: personalised PageRank over followers and interactions, times n.

    The walk goes from an account to its followers and to the accounts that interacted with it
    (``followers + interactions.T``); its transition matrix is built from the transpose
    ``follows + interactions`` directly (:func:`~firebreak.graph.propagate.transition_from_transpose`).
    """
    seller_mass = roles.seller.astype(np.float64)
    if seller_mass.sum() == 0:
        return np.zeros(graph.n)
    ppr = personalized_pagerank(
        transition_from_transpose((graph.follows + graph.interactions).tocsr()),
        seller_mass,
        alpha=params.pagerank_alpha,
        max_iter=params.pagerank_max_iter,
        tol=params.pagerank_tol,
        overwrite=True,
    )
    return np.asarray(ppr.scores * graph.n)


def networks_stage(
    snapshot: Snapshot, graph: Graph, units: Units, roles: RoleScores, discovery: Discovery, params: ScanParams
) -> Networks:
    """Leiden communities of the flagged accounts (follows, interactions, destinations and novel terms tie them).

    A community is a network when it has a seller and at least two members; networks
    are numbered in order of their Leiden labels.
    """
    flagged = roles.seller | roles.buyer
    hubs = term_usage(snapshot, discovery.novel, graph.ids) if discovery.novel else None
    labels = find_communities(
        induced_adjacency(graph, flagged), flagged, units.signals.destination, hubs=hubs, seed=params.seed
    )
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    sellers_per = np.bincount(labels[roles.seller & (labels >= 0)], minlength=k)
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    real = (sellers_per >= 1) & (sizes >= 2)
    rank = np.cumsum(real) - 1
    safe = np.maximum(labels, 0)
    of = np.where((labels >= 0) & real[safe], rank[safe], -1)
    return Networks(of, int(real.sum()))


def proximity_risk(proximity: np.ndarray, params: ScanParams) -> np.ndarray:
    """Risk from closeness to the flagged sellers alone: rises toward ``proximity_cap``, never above it."""
    return np.asarray(np.clip(params.proximity_cap * (1.0 - np.exp(-proximity / params.proximity_scale)), 0.0, params.proximity_cap))


def account_risk(roles: RoleScores, proximity: np.ndarray, params: ScanParams) -> np.ndarray:
    """Risk per account: the roles' logistic for flagged accounts; unflagged ones get at most the
    proximity risk and stay under ``unflagged_risk_cap``."""
    flagged = roles.seller | roles.buyer
    risk = roles.risk(params.roles.units_to_flag, params.risk_steepness)
    prox = proximity_risk(proximity, params)
    risk = np.where(flagged, risk, np.minimum(risk, params.unflagged_risk_cap))
    return np.asarray(np.maximum(risk, np.where(flagged, 0.0, prox)))


def results_stage(
    graph: Graph,
    detection: Detection,
    units: Units,
    reports: ReportSignal,
    roles: RoleScores,
    evasion: EvasionMatch,
    discovery: Discovery,
    proximity: np.ndarray,
    networks: Networks,
    params: ScanParams,
    registry: pl.DataFrame | None = None,
) -> ScanResult:
    """Scores with their evidence, networks and terms in the spec's shapes (no timings or stats).

    ``registry``: the trusted flaggers (``account, organisation, since``), named in their evidence.
    """
    flagged = roles.seller | roles.buyer
    risk = account_risk(roles, proximity, params)
    prox_risk = proximity_risk(proximity, params)
    gev = graph_evidence(graph, roles, reports, evasion, units.dest_table, units.signals.destination)
    dev = discovered_evidence(discovery.uses, roles.components)
    tev = trusted_evidence(graph, registry if registry is not None else empty_registry(), reports)
    all_ev = pl.concat([f for f in (detection.evidence, gev, dev, tev) if f.height] or [detection.evidence], how="vertical")
    if all_ev.height == 0:
        all_ev = empty_evidence()
    items = [c for c in EVIDENCE if c != "account"]
    per_account = all_ev.group_by("account", maintain_order=True).agg(pl.struct(items).alias("evidence"))
    role = np.where(roles.seller, "seller", np.where(roles.buyer, "buyer", "none"))
    base = pl.DataFrame({
        "account": graph.ids.ids,
        "risk": np.round(risk, 4),
        "role": role,
        "network": networks.of,
        "keep": flagged | (prox_risk >= params.keep_risk),
    }).with_columns(
        pl.when(pl.col("network") >= 0)
        .then(fmt("net-{}", pl.col("network").cast(pl.String).str.zfill(3)))
        .otherwise(None)
        .alias("network")
    )
    scores = (
        base.join(per_account, on="account", how="left", maintain_order="left")
        .filter(pl.col("keep") | pl.col("evidence").is_not_null())
        .with_columns(pl.col("evidence").fill_null(pl.lit([], dtype=EVIDENCE_LIST)))
        .select("account", "risk", "role", "network", "evidence")
        .sort(["risk", "account"], descending=[True, False])
    )
    nets = network_table(graph, roles, networks.of, networks.count, risk, units.signals.destination, units.dest_table)
    terms = terms_table(detection.evidence, scores, discovery.terms)
    return ScanResult(scores=scores, networks=nets, terms=terms)


__all__ = [
    "EVIDENCE",
    "Detection",
    "Discovery",
    "Networks",
    "Units",
    "account_risk",
    "detect_stage",
    "evasion_stage",
    "graph_stage",
    "inherit_evasion",
    "networks_stage",
    "propagate_stage",
    "reports_stage",
    "results_stage",
    "roles_stage",
    "terms_stage",
    "trusted_mask",
    "units_stage",
]
