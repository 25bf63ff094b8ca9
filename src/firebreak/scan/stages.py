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

from dataclasses import dataclass

import numpy as np
import polars as pl

from firebreak.detect.discovery import discover_terms
from firebreak.detect.lexicon import Lexicon, load_lexicon
from firebreak.detect.media.banks import HashBank
from firebreak.detect.profile import destinations
from firebreak.detect.signals import detect_signals
from firebreak.evidence import EVIDENCE, empty_evidence
from firebreak.graph.communities import find_communities
from firebreak.graph.csr import Graph, build_graph, induced_adjacency
from firebreak.graph.evasion import EvasionMatch, find_evasion
from firebreak.graph.propagate import personalized_pagerank
from firebreak.graph.reports import ReportSignal, report_signal
from firebreak.graph.roles import AccountSignals, RoleScores, score_roles
from firebreak.scan.explain import graph_evidence
from firebreak.scan.networks import network_table
from firebreak.scan.params import ScanParams
from firebreak.scan.result import EVIDENCE_LIST, ScanResult
from firebreak.scan.terms import terms_table
from firebreak.scan.units import destination_codes, query_terms, term_usage, unit_vectors
from firebreak.snapshot.model import Snapshot


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


@dataclass(frozen=True, slots=True)
class Discovery:
    """Terms discovered around the flagged accounts (``term, known, accounts, evidence``) and the novel ones."""

    terms: pl.DataFrame
    novel: list[str]


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


def graph_stage(snapshot: Snapshot) -> Graph:
    """Dense ids and the follow / interaction CSR matrices."""
    return build_graph(snapshot)


def units_stage(detection: Detection, graph: Graph, reports: ReportSignal, params: ScanParams) -> Units:
    """Condense detector evidence and reports into per-account units; one destination code per account."""
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
    )
    return Units(signals, units["ambiguous_search"], dest_table)


def reports_stage(snapshot: Snapshot, graph: Graph) -> ReportSignal:
    """Child-safety reports per account, discounted for repeat reporters and harassment groups."""
    return report_signal(snapshot, graph)


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


def terms_stage(
    snapshot: Snapshot, graph: Graph, detection: Detection, units: Units, roles: RoleScores, params: ScanParams
) -> tuple[Discovery, RoleScores]:
    """Terms discovered around the flagged accounts; searching a novel one is weak buyer evidence, then roles again.

    Sets ``units.signals.weak_search`` when novel terms are found.
    """
    flagged = graph.ids.decode(np.flatnonzero(roles.seller | roles.buyer))
    found = discover_terms(snapshot, flagged, detection.lexicon).select(
        "term", "known", pl.col("accounts").cast(pl.Int64), "evidence"
    )
    novel = found.filter(~pl.col("known")).get_column("term").to_list()
    if novel:
        units.signals.weak_search = units.search_units + query_terms(snapshot, novel, graph.ids)
        roles = score_roles(graph, units.signals, params.roles)
    return Discovery(found, novel), roles


def propagate_stage(graph: Graph, roles: RoleScores, params: ScanParams) -> np.ndarray:
    """Proximity to the flagged sellers: personalised PageRank over followers and interactions, times n."""
    seller_mass = roles.seller.astype(np.float64)
    if seller_mass.sum() == 0:
        return np.zeros(graph.n)
    ppr = personalized_pagerank(
        graph.followers + graph.interactions.T,
        seller_mass,
        alpha=params.pagerank_alpha,
        max_iter=params.pagerank_max_iter,
        tol=params.pagerank_tol,
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


def account_risk(roles: RoleScores, proximity: np.ndarray, params: ScanParams) -> np.ndarray:
    """Risk per account: the roles' logistic for flagged accounts; unflagged ones get at most the
    proximity risk and stay under ``unflagged_risk_cap``."""
    flagged = roles.seller | roles.buyer
    risk = roles.risk(params.roles.units_to_flag, params.risk_steepness)
    prox = np.clip(params.proximity_cap * (1.0 - np.exp(-proximity / params.proximity_scale)), 0.0, params.proximity_cap)
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
) -> ScanResult:
    """Scores with their evidence, networks and terms in the spec's shapes (no timings or stats)."""
    flagged = roles.seller | roles.buyer
    risk = account_risk(roles, proximity, params)
    prox_risk = np.clip(params.proximity_cap * (1.0 - np.exp(-proximity / params.proximity_scale)), 0.0, params.proximity_cap)
    gev = graph_evidence(graph, roles, reports, evasion, units.dest_table, units.signals.destination)
    all_ev = pl.concat([detection.evidence, gev], how="vertical") if gev.height else detection.evidence
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
        .then(pl.format("net-{}", pl.col("network").cast(pl.String).str.zfill(3)))
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
    "units_stage",
]
