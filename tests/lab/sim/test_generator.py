"""The synthetic platform: determinism, the written files, counts and realism."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from firebreak.detect.media.hamming import hamming, hex_to_codes
from firebreak.lab.sim import CAMOUFLAGES, SimConfig, generate, preset, simulate
from firebreak.lab.sim import vocabulary as V
from firebreak.snapshot import read_snapshot
from firebreak.snapshot.schema import SCHEMAS

from .sim_helpers import followers, with_labels


def test_same_seed_same_platform_other_seed_other_platform(small):
    again = generate(preset("default", seed=11, accounts=4_000))
    for table in ("accounts", "follows", "posts", "events", "reports"):
        assert again.snapshot.table(table).equals(small.snapshot.table(table)), table
    assert again.labels.equals(small.labels)
    assert again.bank == small.bank and again.truth == small.truth
    other = generate(preset("default", seed=12, accounts=4_000))
    assert not other.snapshot.follows.equals(small.snapshot.follows)


def test_written_files_are_identical_byte_for_byte(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(a, seed=5, accounts=1_500)
    simulate(b, seed=5, accounts=1_500)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert {"accounts.jsonl", "follows.jsonl", "labels.jsonl", "hashbank.txt", "truth.json", "manifest.json"} <= set(names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.parametrize("encoding", ["jsonl", "jsonl.gz", "csv", "parquet"])
def test_snapshot_reads_back_without_quarantine(tmp_path, encoding):
    out = simulate(tmp_path, seed=3, accounts=1_500, encoding=encoding)
    result = read_snapshot(tmp_path)
    assert result.quarantine.height == 0, result.quarantine.head(5)
    for table in ("accounts", "follows", "posts", "events", "reports"):
        assert result.snapshot.table(table).height == out.snapshot.table(table).height, table
    assert result.snapshot.accounts.schema == SCHEMAS["accounts"]
    labels = pl.read_ndjson(tmp_path / "labels.jsonl", infer_schema_length=None)
    assert labels.columns[:5] == ["account", "role", "network", "camouflage", "confounder"]
    assert labels.height == out.snapshot.accounts.height
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert set(truth) >= {"novel_terms", "known_terms", "networks", "config"}
    bank = [ln for ln in (tmp_path / "hashbank.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    assert {len(h) for h in bank} == {64, 32} and len(bank) == len(out.bank)


def test_counts_match_the_config(small):
    cfg = preset("default", seed=11, accounts=4_000)
    labels = small.labels
    assert labels.height == small.snapshot.accounts.height == cfg.accounts
    conf = dict(labels.filter(pl.col("confounder").is_not_null()).group_by("confounder").len().iter_rows())
    assert conf == cfg.confounders
    assert labels.filter(pl.col("confounder").is_not_null())["role"].unique().to_list() == ["benign"]
    nets = small.truth["networks"]
    assert len(nets) == cfg.networks
    per_net = labels.filter(pl.col("network").is_not_null()).group_by("network", "role").len()
    for net, role, n in per_net.iter_rows():
        assert nets[net][role + "s"] == n
    sellers = labels.filter(pl.col("role") == "seller")
    assert sellers["camouflage"].null_count() == 0 and set(sellers["camouflage"]) <= set(CAMOUFLAGES)
    active = sellers.filter(pl.col("status") == "active")
    lo, hi = cfg.sellers_per_network
    assert lo * cfg.networks <= active.height <= hi * cfg.networks
    assert labels.filter(pl.col("role") != "seller")["camouflage"].null_count() == labels.filter(pl.col("role") != "seller").height


def test_seller_mix_follows_the_config():
    only_silent = preset("default", seed=1, accounts=3_000).replace(seller_mix={"silent": 1.0})
    out = generate(only_silent)
    active = out.labels.filter((pl.col("role") == "seller") & (pl.col("status") == "active"))
    assert active["camouflage"].unique().to_list() == ["silent"]
    default = generate(preset("default", seed=1, accounts=3_000)).labels
    hard = generate(preset("hard", seed=1, accounts=3_000)).labels

    def hidden_share(labels: pl.DataFrame) -> float:
        s = labels.filter((pl.col("role") == "seller") & (pl.col("status") == "active"))
        return s["camouflage"].is_in(["silent", "recreated"]).mean()

    assert hidden_share(hard) > hidden_share(default)


def test_follower_counts_are_heavy_tailed(small):
    indeg = small.snapshot.follows.group_by("dst").len()["len"]
    assert indeg.max() >= 20 * indeg.median()
    benign = with_labels(small, "follows", "src").filter(pl.col("role") == "benign")
    outdeg = benign.group_by("src").len()["len"]
    assert outdeg.quantile(0.99) >= 4 * outdeg.median()


def test_minors_follow_minors_more_than_chance(small):
    acc = small.snapshot.accounts.select("id", "age_group")
    f = small.snapshot.follows.join(acc.rename({"id": "src", "age_group": "a"}), on="src").join(
        acc.rename({"id": "dst", "age_group": "b"}), on="dst"
    )
    base_rate = (acc["age_group"] == "minor").mean()
    minors_follow_minors = f.filter(pl.col("a") == "minor")["b"].eq("minor").mean()
    assert minors_follow_minors > 4 * base_rate


def _texts(out, accounts: pl.Series) -> pl.Series:
    acc = out.snapshot.accounts.filter(pl.col("id").is_in(accounts.implode()))
    posts = out.snapshot.posts.filter(pl.col("author").is_in(accounts.implode()))
    return pl.concat(
        [
            acc["bio"], acc["handle"], acc["display_name"], posts["text"],
            posts["hashtags"].list.join(" "),
        ]
    ).fill_null("").str.to_lowercase()


@pytest.mark.parametrize("which", ["small", "hard"])
def test_silent_sellers_use_no_term_at_all(which, request):
    out = request.getfixturevalue(which)
    silent = out.labels.filter(pl.col("camouflage") == "silent")["account"]
    assert silent.len() > 0
    text = _texts(out, silent)
    forbidden = set(V.known_terms()) | set(out.truth["novel_terms"]) | set(V.SELLING_WORDS)
    forbidden |= {v for t in V.KNOWN_HASHTAGS for v in V.obfuscations(t)}
    for term in forbidden:
        assert not text.str.contains(term.lower(), literal=True).any(), term
    # ...while overt sellers do use them
    overt = _texts(out, out.labels.filter(pl.col("camouflage") == "overt")["account"])
    assert overt.str.contains("#cheesepizza|#cp |#pedobait|#mnsfw|#megalinks|#littlethings").mean() > 0.2


@pytest.mark.parametrize("which", ["small", "hard"])
def test_recreated_sellers_inherit_a_disabled_predecessors_audience(which, request):
    out = request.getfixturevalue(which)
    status = dict(out.snapshot.accounts.select("id", "status").iter_rows())
    roles = dict(out.labels.select("account", "role").iter_rows())
    fol = followers(out)
    pairs = out.truth["recreated"]
    assert len(pairs) == out.labels.filter(pl.col("camouflage") == "recreated").height > 0
    shares = []
    for pair in pairs:
        old, new = pair["old"], pair["new"]
        assert status[old] == "disabled" and status[new] == "active"
        assert roles[old] == roles[new] == "seller"
        old_f = {a for a in fol.get(old, set()) if roles[a] == "buyer"}
        if len(old_f) >= 5:
            shares.append(len(old_f & fol.get(new, set())) / len(old_f))
    lo = out.truth["config"]["recreated_audience_moved"][0]
    assert shares and min(shares) > 0.1 and np.mean(shares) > 0.75 * lo


def test_novel_terms_are_used_in_posts_and_searches(small):
    tags = set(small.snapshot.posts["hashtags"].explode().drop_nulls())
    novel = small.truth["novel_terms"]
    assert len(novel) == len(set(novel)) == small.truth["config"]["novel_terms_per_network"] * len(small.truth["networks"])
    assert set(novel) <= tags
    assert not set(novel) & set(V.known_terms())
    queries = set(small.snapshot.events.filter(pl.col("kind") == "search")["query"].str.strip_prefix("#"))
    assert len(set(novel) & queries) >= len(novel) // 2
    for net in small.truth["networks"].values():  # used beside known terms, by that network's sellers
        assert set(net["novel_terms"]) <= tags


def test_buyers_follow_several_sellers_and_search_message_view(small):
    f = with_labels(small, "follows", "dst").filter(pl.col("role") == "seller")
    buyers = small.labels.filter(pl.col("role") == "buyer")["account"]
    per_buyer = f.filter(pl.col("src").is_in(buyers.implode())).group_by("src").len()
    assert per_buyer.height == buyers.len()  # every buyer follows a seller
    assert per_buyer["len"].max() >= 3 * per_buyer["len"].median()
    assert per_buyer["len"].mean() > per_buyer["len"].median()  # right-skewed
    ev = small.snapshot.events.filter(pl.col("actor").is_in(buyers.implode()))
    kinds = ev.group_by("kind").len()
    assert set(kinds["kind"]) >= {"search", "message", "view"}
    lone = per_buyer.filter(pl.col("len") == 1)["src"]
    acted = ev.filter(pl.col("kind").is_in(["search", "message"]))["actor"].unique()
    assert lone.is_in(acted.implode()).all()


def test_media_near_the_bank_only_for_sellers(small):
    bank = small.bank
    pdq_bank = hex_to_codes([h for h in bank if len(h) == 64])
    md5_bank = {h for h in bank if len(h) == 32}
    media = with_labels(small, "posts", "author").explode("media").unnest("media").filter(pl.col("pdq").is_not_null())
    pdq = hex_to_codes(media["pdq"])
    # nearest bank entry for each post's PDQ (brute force: small sizes)
    dist = hamming(pdq[:, None, :], pdq_bank[None, :, :]).min(axis=1)
    near = media.with_columns(near=pl.Series(dist <= 31), md5_hit=pl.col("md5").is_in(list(md5_bank)))
    by_role = near.group_by("role").agg(pl.col("near").sum(), pl.col("md5_hit").sum())
    counts = {r: (n, m) for r, n, m in by_role.iter_rows()}
    assert counts["seller"][0] > 0 and counts["seller"][1] > 0
    assert counts["benign"] == (0, 0) and counts["buyer"] == (0, 0)


def test_confounders_look_like_what_they_confound(small):
    text = with_labels(small, "posts", "author")
    pizza = text.filter(pl.col("confounder") == "pizzeria")
    assert pizza["text"].str.to_lowercase().str.contains("cheese pizza").any()
    quoting = text.filter(pl.col("confounder").is_in(["journalist", "advocate"]))
    assert quoting["hashtags"].list.eval(pl.element().is_in(list(V.KNOWN_HASHTAGS))).list.any().mean() > 0.3
    acc = with_labels(small, "accounts", "id")
    crypto = acc.filter(pl.col("confounder") == "crypto")
    assert crypto["links"].list.join(" ").str.contains("t.me/").mean() > 0.5
    creators = acc.filter(pl.col("confounder") == "adult_creator")
    assert creators["bio"].str.contains("menu|prices|link").all()
    teens = acc.filter(pl.col("confounder") == "teen")
    assert (teens["age_group"] == "minor").all() and teens["bio"].str.contains(r"1[3-7]").all()


def test_bots_single_followers_and_mass_reports(small):
    f = with_labels(small, "follows", "src")
    out_deg = dict(f.group_by("src").len().iter_rows())
    bots = small.labels.filter(pl.col("confounder") == "f4f_bot")["account"]
    assert min(out_deg[b] for b in bots) >= 1_000
    roles = dict(small.labels.select("account", "role").iter_rows())
    bot_targets = f.filter(pl.col("src").is_in(bots.implode()))["dst"]
    assert any(roles[d] == "seller" for d in bot_targets)  # sellers among them by chance
    singles = small.labels.filter(pl.col("confounder") == "single_follow")["account"]
    sf = f.filter(pl.col("src").is_in(singles.implode()))
    assert sf.height == singles.len() and all(roles[d] == "seller" for d in sf["dst"])
    assert not small.snapshot.events["actor"].is_in(singles.implode()).any()
    assert not small.snapshot.posts["author"].is_in(singles.implode()).any()
    targets = small.labels.filter(pl.col("confounder") == "mass_reported")["account"]
    group = set(small.truth["harassment_group"])
    reps = small.snapshot.reports.filter(pl.col("target").is_in(targets.implode()) & (pl.col("reason") == "child_safety"))
    per = reps.group_by("target").agg(
        pl.len(),
        pl.col("reporter").is_in(list(group)).all().alias("group"),
        (pl.col("created_at").max() - pl.col("created_at").min()).dt.total_seconds().alias("span"),
    )
    assert per.height == targets.len()
    assert (per["len"] >= 5).all() and per["group"].all() and (per["span"] <= 3 * 3_600).all()


def test_reports_are_mostly_ordinary(small):
    reasons = dict(small.snapshot.reports.group_by("reason").len().iter_rows())
    assert reasons.get("spam", 0) > 0 and reasons.get("harassment", 0) > 0
    assert small.snapshot.reports["target_kind"].is_in(["account", "post"]).all()


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="preset"):
        preset("nope")
    with pytest.raises(ValueError, match="at least"):
        preset("default", accounts=10)
    with pytest.raises(ValueError, match="too few benign"):
        generate(SimConfig(accounts=600, buyers_per_network=(400, 500)))


def test_nobody_follows_a_disabled_account_after_its_successor_appears(small):
    created = dict(small.snapshot.accounts.select("id", "created_at").iter_rows())
    f = small.snapshot.follows
    for pair in small.truth["recreated"]:
        to_old = f.filter(pl.col("dst") == pair["old"])["created_at"]
        assert to_old.len() == 0 or to_old.max() <= created[pair["new"]]
