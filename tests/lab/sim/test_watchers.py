"""The simulator's watchers (researchers, NGO staff, police, watching journalists and advocates) and the invented preset."""

from __future__ import annotations

import polars as pl

from firebreak.detect.signals import detect_signals
from firebreak.evidence import LEXICON_SIGNALS
from firebreak.lab.sim import generate, preset, simulate
from firebreak.lab.sim.config import WATCHER_KINDS
from firebreak.scan.trusted import read_trusted_flaggers


def _seller_follows(out, kind: str) -> pl.DataFrame:
    labels = out.labels
    who = labels.filter(pl.col("confounder") == kind).select(pl.col("account").alias("src"))
    sellers = labels.filter(pl.col("role") == "seller").select(pl.col("account").alias("dst"), "network")
    return out.snapshot.follows.join(who, on="src").join(sellers, on="dst")


def test_researchers_follow_many_sellers_across_networks_and_report_most(small) -> None:
    per = _seller_follows(small, "researcher").group_by("src").agg(pl.len().alias("k"), pl.col("network").n_unique().alias("nets"))
    assert per.height > 0 and per["k"].min() >= 5 and per["nets"].min() >= 2
    reports = small.snapshot.reports.filter(pl.col("reporter").is_in(per["src"].implode()) & (pl.col("reason") == "child_safety"))
    assert reports.height >= 0.5 * per["k"].sum()


def test_watchers_never_message_sellers(small) -> None:
    watchers = small.labels.filter(pl.col("confounder").is_in(list(WATCHER_KINDS)))["account"]
    sellers = small.labels.filter(pl.col("role") == "seller")["account"]
    msgs = small.snapshot.events.filter(
        (pl.col("kind") == "message") & pl.col("actor").is_in(watchers.implode()) & pl.col("target").is_in(sellers.implode())
    )
    assert msgs.height == 0
    assert _seller_follows(small, "journalist").height > 0, "some journalists watch sellers too"


def test_the_trusted_registry_lists_vetted_watchers_only(small, tmp_path) -> None:
    reg = small.trusted
    assert reg.height > 0
    kinds = reg.join(small.labels, on="account")["confounder"]
    assert set(kinds) <= {"researcher", "ngo", "law_enforcement"}
    assert reg["organisation"].str.starts_with("Example").all()
    out = simulate(tmp_path, seed=4, accounts=3_000)
    assert read_trusted_flaggers(tmp_path / "trusted_flaggers.csv").equals(out.trusted)


def test_the_invented_network_uses_no_lexicon_term() -> None:
    out = generate(preset("invented", seed=2, accounts=4_000))
    last = sorted(out.truth["networks"])[-1]
    members = out.labels.filter((pl.col("network") == last) & (pl.col("role") != "benign"))["account"]
    ev = detect_signals(out.snapshot)
    hits = ev.filter(pl.col("account").is_in(members.implode()) & pl.col("signal").is_in(sorted(s.value for s in LEXICON_SIGNALS)))
    assert hits.height == 0, hits.select("account", "signal", "term").head()
    searches = out.snapshot.events.filter(
        (pl.col("kind") == "search") & pl.col("actor").is_in(members.implode()) & pl.col("query").str.starts_with("#")
    )
    assert searches.height > 0
    novel = set(out.truth["networks"][last]["novel_terms"])
    assert searches["query"].str.strip_chars_start("#").is_in(sorted(novel)).all(), "its buyers search its own words only"
