"""The scan on small simulated platforms: result format, quality, and how quality moves with the simulator's knobs."""

from __future__ import annotations

import json

import polars as pl
import pytest

from firebreak.evidence import EVIDENCE_ITEM, Signal
from firebreak.lab.evaluate import evaluate_frames
from firebreak.lab.sim import generate, preset
from firebreak.scan import scan

ACCOUNTS = 3000


def run(cfg):
    out = generate(cfg)
    result = scan(out.snapshot)
    return out, result, evaluate_frames(out.labels, result.scores, result.networks, result.terms, out.truth)


@pytest.fixture(scope="module")
def default_run():
    return run(preset("default", seed=11, accounts=ACCOUNTS))


def test_result_files_follow_the_spec(default_run, tmp_path) -> None:
    _out, result, _ev = default_run
    paths = result.write(tmp_path)
    scores = [json.loads(line) for line in paths["scores"].read_text().splitlines()]
    assert scores
    ids = set()
    for row in scores:
        assert set(row) == {"account", "risk", "role", "network", "evidence"}
        assert 0.0 <= row["risk"] <= 1.0
        assert row["role"] in ("seller", "buyer", "none")
        assert row["network"] is None or isinstance(row["network"], str)
        for ev in row["evidence"]:
            assert {"signal", "detail", "weight"} <= set(ev) and isinstance(ev["weight"], (int, float))
            assert set(ev) == {f.name for f in EVIDENCE_ITEM.fields} and Signal(ev["signal"])
        if row["role"] != "none":
            assert row["evidence"], "every flag carries evidence"
            assert row["risk"] >= 0.5
        else:
            assert row["risk"] < 0.5 and row["network"] is None
        ids.add(row["account"])
    nets = [json.loads(line) for line in paths["networks"].read_text().splitlines()]
    assert nets
    for net in nets:
        assert {"id", "members", "sellers", "buyers", "unique_followers", "risk", "evidence"} <= set(net)
        assert set(net["members"]) <= ids and net["sellers"] >= 1 and net["unique_followers"] >= 1
        assert net["sellers"] + net["buyers"] == len(net["members"]) and 0 <= net["risk"] <= 1
        member_nets = {r["network"] for r in scores if r["account"] in set(net["members"])}
        assert member_nets == {net["id"]}
    terms = [json.loads(line) for line in paths["terms"].read_text().splitlines()]
    assert terms and all(set(t) == {"term", "known", "accounts", "evidence"} for t in terms)
    assert any(not t["known"] for t in terms)
    assert pl.read_parquet(paths["scores_parquet"]).height == len(scores)


def test_default_platform_quality(default_run) -> None:
    _out, _result, ev = default_run
    assert ev["precision"] >= 0.97
    assert ev["recall"] >= 0.93
    for cam in ("silent", "recreated"):
        assert ev["camouflage"][cam]["recall"] >= 0.85
    assert all(c["flagged"] <= 1 for c in ev["confounders"].values())
    assert ev["networks"]["mean_jaccard"] >= 0.8
    assert ev["novel_terms"]["recall"] >= 0.7


def test_hard_platform_keeps_precision() -> None:
    _out, _result, ev = run(preset("hard", seed=12, accounts=ACCOUNTS))
    assert ev["precision"] >= 0.95
    assert ev["recall"] >= 0.6
    assert sum(c["flagged"] for c in ev["confounders"].values()) <= 2


VARIATIONS = {
    "more_silent": {"seller_mix": {"overt": 0.2, "obfuscated": 0.2, "silent": 0.45, "recreated": 0.15}},
    "noisy_benign_follows": {"benign_follows_seller": 0.02},
    "busy_buyers": {"buyer_benign_follows": 30.0},
    "quiet_buyers": {"buyer_search": 0.2, "buyer_message": 0.2},
    "many_bots": {"confounders": {**preset("default").confounders, "f4f_bot": 40}},
}


@pytest.mark.parametrize("name", sorted(VARIATIONS))
def test_quality_under_simulator_variations(name, capsys) -> None:
    cfg = preset("default", seed=13, accounts=ACCOUNTS).replace(**VARIATIONS[name])
    _out, _result, ev = run(cfg)
    with capsys.disabled():
        print(
            f"\n[{name}] precision {ev['precision']} recall {ev['recall']} "
            f"silent {ev['camouflage'].get('silent', {}).get('recall')} "
            f"jaccard {ev['networks']['mean_jaccard']} "
            f"confounders flagged {sum(c['flagged'] for c in ev['confounders'].values())}"
        )
    assert ev["precision"] >= 0.93
    assert ev["recall"] >= 0.6
    assert sum(c["flagged"] for c in ev["confounders"].values()) <= 2
