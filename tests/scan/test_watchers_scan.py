"""The scan with watchers and a trusted-flagger registry, and a network that uses only invented words."""

from __future__ import annotations

import polars as pl
import pytest

from firebreak.detect.media import HashBank
from firebreak.evidence import LEXICON_SIGNALS, Signal
from firebreak.lab.sim import generate, preset
from firebreak.lab.sim.config import WATCHER_KINDS
from firebreak.scan import ScanParams, scan


def _scan(name: str, seed: int, accounts: int, trusted: bool = True):
    sim = generate(preset(name, seed=seed, accounts=accounts))
    bank = HashBank.from_hashes(sim.bank, name="sim")
    result = scan(sim.snapshot, bank, params=ScanParams(seed=seed), trusted=sim.trusted if trusted else None)
    return sim, result


@pytest.fixture(scope="module")
def hard_run():
    return _scan("hard", 5, 8_000)


def _signals(scores: pl.DataFrame) -> pl.DataFrame:
    return scores.select("account", "role", "network", pl.col("evidence")).explode("evidence").unnest("evidence")


def test_trusted_flaggers_are_never_buyers_nor_network_members(hard_run) -> None:
    sim, result = hard_run
    trusted = sim.trusted.get_column("account")
    assert trusted.len() >= 10
    rows = result.scores.filter(pl.col("account").is_in(trusted.implode()))
    assert rows.filter(pl.col("role") != "none").height == 0
    assert rows.filter(pl.col("network").is_not_null()).height == 0
    members = result.networks.select(pl.col("members").explode()).to_series()
    assert not members.is_in(trusted.implode()).any()
    ev = _signals(result.scores)
    named = ev.filter(pl.col("signal") == Signal.TRUSTED_FLAGGER.value)
    assert set(named["account"]) == set(trusted) & set(result.scores["account"])
    assert named["detail"].str.contains("Example").all()
    on_trusted = ev.filter(pl.col("account").is_in(trusted.implode()))["signal"].cast(pl.String)
    assert Signal.GRAPH_FOLLOWS_SELLERS.value not in set(on_trusted), "the guard must not treat their watching as seeking"


def test_trusted_flaggers_reports_are_prioritised_in_evidence(hard_run) -> None:
    sim, result = hard_run
    reports = sim.snapshot.reports.filter(pl.col("reporter").is_in(sim.trusted["account"].implode()) & (pl.col("reason") == "child_safety"))
    ev = _signals(result.scores).filter(pl.col("signal") == Signal.REPORTS_TRUSTED_FLAGGER.value)
    assert ev.height > 0 and set(ev["account"]) <= set(reports["target"])
    assert (ev["weight"] > 0).all() and ev["detail"].str.contains("priority").all()


def test_watchers_are_not_flagged_and_carry_counter_evidence(hard_run) -> None:
    sim, result = hard_run
    watchers = sim.labels.filter(pl.col("confounder").is_in(list(WATCHER_KINDS)))
    got = watchers.join(result.scores.select("account", pl.col("role").alias("got")), on="account", how="left")
    flagged = got.filter(pl.col("got").fill_null("none") != "none")
    assert flagged.height <= max(1, watchers.height // 50), flagged
    ev = _signals(result.scores).filter(pl.col("account").is_in(watchers["account"].implode()))
    kinds = set(ev["signal"].cast(pl.String))
    assert {Signal.GRAPH_REPORTS_SELLERS.value, Signal.GRAPH_RESEARCH_PATTERN.value} <= kinds
    counter = ev.filter(pl.col("signal").is_in([Signal.GRAPH_REPORTS_SELLERS.value, Signal.GRAPH_RESEARCH_PATTERN.value]))
    assert (counter["weight"] <= 0).all()


def test_buyers_stay_found_beside_the_watchers(hard_run) -> None:
    sim, result = hard_run
    buyers = sim.labels.filter(pl.col("role") == "buyer").join(result.scores.select("account", "role"), on="account", how="left", suffix="_scan")
    assert buyers.select((pl.col("role_scan") == "buyer").mean()).item() >= 0.93


def test_a_network_of_invented_words_is_found_through_graph_and_discovered_terms() -> None:
    sim, result = _scan("invented", 2, 6_000)
    last = sorted(sim.truth["networks"])[-1]
    members = sim.labels.filter((pl.col("network") == last) & (pl.col("role") != "benign"))
    ev = _signals(result.scores)
    lexicon = ev.filter(pl.col("signal").is_in(sorted(s.value for s in LEXICON_SIGNALS)) & (pl.col("weight") > 0))
    assert not lexicon["account"].is_in(members["account"].implode()).any(), "the invented network uses no lexicon term"
    found = members.join(result.scores.select("account", pl.col("role").alias("got")), on="account", how="left")
    assert found.select((pl.col("got").fill_null("none") != "none").mean()).item() >= 0.9
    discovered = ev.filter(pl.col("signal").is_in([Signal.LEXICON_DISCOVERED_TERM.value, Signal.SEARCH_DISCOVERED_TERM.value]))
    assert discovered.height > 0
    assert discovered["weight"].max() <= ScanParams().discovered_weight_max < 0.9
    assert discovered["detail"].str.contains("not reviewed").all()


def test_discovered_terms_weigh_by_support_and_lift_and_reach_their_users() -> None:
    from firebreak.scan.explain import discovered_evidence
    from firebreak.scan.stages import discovered_weights
    from firebreak.scan.units import term_uses

    found = pl.DataFrame(
        {
            "term": ["#Zorblax", "quibbit", "weak", "known", "rare", "surfing"],
            "known": [False, False, False, True, False, False],
            "accounts": [40, 7, 40, 40, 3, 3],
            "lift": [30.0, 30.0, 1.0, 30.0, 30.0, 2.1],
            "evidence": [""] * 6,
        }
    )
    p = ScanParams()
    w = discovered_weights(found, p)
    assert w["term"].to_list() == ["zorblax", "quibbit"], "known terms, lift at chance and three users carry no weight"
    assert w["weight"].to_list() == [p.discovered_weight_max, pytest.approx(p.discovered_weight_max * 4 / 7, abs=1e-3)]
    sim = generate(preset("default", seed=3, accounts=2_000))
    snap = sim.snapshot
    term = sim.truth["novel_terms"][0]
    uses = term_uses(snap, [term])
    assert uses.height > 0 and set(uses["term"]) == {term}
    posted = snap.posts.filter(pl.col("hashtags").list.contains(term))["author"]
    assert set(posted) <= set(uses.filter(~pl.col("search"))["account"])
    rows = discovered_evidence(
        uses.with_columns(pl.lit(0.4).alias("weight"), pl.lit(12, dtype=pl.Int64).alias("accounts"), pl.lit(9.0).alias("lift"))
    )
    assert rows.height == uses.height
    assert set(rows["signal"].cast(pl.String)) <= {Signal.LEXICON_DISCOVERED_TERM.value, Signal.SEARCH_DISCOVERED_TERM.value}
    assert rows["detail"].str.contains("not reviewed").all()
