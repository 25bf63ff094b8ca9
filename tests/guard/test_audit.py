import dataclasses
import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from firebreak.cli import app
from firebreak.detect.lexicon import load_lexicon
from firebreak.guard.audit import holdout_split, run_audit
from firebreak.guard.report import exposure_table
from firebreak.lab.oracle import audit_with_labels, scores_from_labels
from firebreak.scan.result import ScanResult
from firebreak.snapshot.schema import empty

from .toy import CODED_TAG

LEXICON = load_lexicon()
STEPS = 4


def _scan_missing(labels: pl.DataFrame, missing: list[str]) -> ScanResult:
    """A scan that found everything but ``missing`` and discovered the coded hashtag."""
    o = scores_from_labels(labels.filter(~pl.col("account").is_in(missing)))
    terms = pl.DataFrame({"term": [CODED_TAG], "known": [False]})
    return ScanResult(o.scores, o.networks.head(0), terms)


@pytest.fixture(scope="module")
def audit(toy):
    snap, labels, _ = toy
    return audit_with_labels(
        snap, labels, _scan_missing(labels, ["u0"]), steps=STEPS, k=5, accounts=6, lexicon=LEXICON, recall_users=150, probe_terms=10
    )


def test_output_has_the_documented_shape(audit):
    assert {"unguarded", "guarded", "benign_recall_at_k", "blocked"} <= set(audit)
    for run in (audit["unguarded"], audit["guarded"], audit["oracle"]["guarded"]):
        assert len(run["exposure"]) == STEPS
        assert all(0.0 <= x <= 1.0 for x in run["exposure"])
        assert 0.0 <= run["search_exposure"] <= 1.0
        assert len(run["steps_to_first_abusive"]) == 6
    assert set(audit["benign_recall_at_k"]) >= {"unguarded", "guarded"}
    assert all(isinstance(v, int) and v > 0 for v in audit["blocked"].values())
    json.dumps(audit)  # plain JSON values only


def test_unguarded_floods_and_guarded_stays_clean(audit):
    un, gu, orc = audit["unguarded"], audit["guarded"], audit["oracle"]["guarded"]
    assert max(un["exposure"][:3]) > 0.5
    assert un["mean_steps_to_first_abusive"] == 0.0
    assert un["network_reach"] > 0 and un["search_exposure"] > 0.5
    for run in (gu, orc):
        assert run["exposure_max"] == [0.0] * STEPS  # every account, every step
        assert run["search_exposure"] == 0.0 and run["search_exposure_max"] == 0.0
        assert run["accounts_with_abusive"] == 0 and run["network_reach"] == 0.0
        assert min(run["shown_per_step"]) == 5.0  # still k suggestions, just safe ones
    assert audit["blocked"]["flagged_seller"] > 0 and audit["blocked"]["search_discovered_term"] > 0


def test_benign_recall_barely_moves(audit):
    r = audit["benign_recall_at_k"]
    assert r["unguarded"] > 0.05
    assert r["guarded"] >= 0.98 * r["unguarded"]


def test_guard_with_a_missed_buyer_is_reported_not_hidden(toy):
    """A scan that misses accounts lets them through; the oracle shows the mechanism is not at fault."""
    snap, labels, _ = toy
    sellers = labels.filter(pl.col("role") == "seller").get_column("account").to_list()
    res = audit_with_labels(snap, labels, _scan_missing(labels, sellers[:6]), steps=2, k=5, accounts=4, lexicon=LEXICON, recall_users=50, probe_terms=5)
    assert max(res["guarded"]["exposure_max"]) > 0.0
    assert res["oracle"]["guarded"]["exposure_max"] == [0.0, 0.0]


def test_holdout_split_holds_out_only_benign_follows_of_chosen_users(toy, abusive):
    _, _, p = toy
    train, users, held = holdout_split(p.follows, ~abusive, share=0.25, users=50, seed=4)
    assert users.size == 50 and not abusive[users].any()
    assert train.nnz + held.nnz == p.follows.nnz
    assert (np.diff(held.indptr) >= 1).all()
    assert not abusive[held.indices].any()
    full = p.follows[users].toarray() > 0
    assert full[held.toarray() > 0].all()
    assert not (train[users].toarray() > 0)[held.toarray() > 0].any()


def test_exposure_table_lists_every_step(audit):
    t = exposure_table(audit)
    assert t.row_count >= STEPS + 5
    assert len(t.columns) == 4


def test_cli_writes_audit_json_and_plot(toy, tmp_path):
    from firebreak.snapshot import write_snapshot

    snap, labels, _ = toy
    snap_dir = tmp_path / "snap"
    write_snapshot(snap, snap_dir)
    labels.write_ndjson(snap_dir / "labels.jsonl")
    from firebreak.atomic import atomic_results

    scan_dir = tmp_path / "scan"
    sc = _scan_missing(labels, [])
    with atomic_results(scan_dir, command="test") as staged:
        sc.scores.write_ndjson(staged.path / "scores.jsonl")
        sc.networks.write_ndjson(staged.path / "networks.jsonl")
        sc.terms.write_ndjson(staged.path / "terms.jsonl")
    out = tmp_path / "audit"
    r = CliRunner().invoke(
        app,
        ["audit", str(snap_dir), "--scan", str(scan_dir), "--out", str(out), "--steps", "3", "--k", "5",
         "--accounts", "3", "--recall-users", "40"],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "audit.json").read_text())
    assert len(doc["unguarded"]["exposure"]) == 3 and doc["guarded"]["exposure"] == [0.0, 0.0, 0.0]
    assert (out / "exposure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "step 0" in r.output


def test_cli_bad_scan_dir_is_a_one_line_error(toy, tmp_path):
    r = CliRunner().invoke(app, ["audit", str(tmp_path), "--scan", str(tmp_path / "nope"), "--labels", str(tmp_path / "l.jsonl")])
    assert r.exit_code == 2
    assert "error:" in r.output and len(r.output.strip().splitlines()) == 1


def test_cli_records_every_refusal_with_its_reason(toy, tmp_path):
    snap, labels, _ = toy
    out = tmp_path / "a"
    audit_with_labels(snap, labels, _scan_missing(labels, []), steps=2, k=5, accounts=3, lexicon=LEXICON, recall_users=30, probe_terms=5, out=out)
    doc = json.loads((out / "audit.json").read_text())
    dec = pl.read_parquet(out / "decisions.parquet")
    counts = dict(dec.group_by("reason").len().iter_rows())
    assert counts == doc["blocked"]
    refused = dec.filter(pl.col("surface") == "recommendations").get_column("account")
    assert set(refused.to_list()) <= set(labels.filter(pl.col("role") != "benign").get_column("account").to_list())


def test_cli_holds_back_accounts_the_store_has_under_review(toy, tmp_path):
    from firebreak.snapshot import write_snapshot
    from firebreak.store import open_store

    snap, labels, _ = toy
    snap_dir = tmp_path / "snap"
    write_snapshot(snap, snap_dir)
    labels.write_ndjson(snap_dir / "labels.jsonl")
    benign = labels.filter(pl.col("role") == "benign").get_column("account").to_list()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store:
        for account in benign:
            store.set_enforcement(account, "under_review", actor="test", reason="reviewer queue")
    args = ["audit", str(snap_dir), "--out", str(tmp_path / "a"), "--steps", "2", "--k", "5", "--accounts", "3",
            "--recall-users", "30", "--probe-terms", "5"]
    without = CliRunner().invoke(app, args)
    held = CliRunner().invoke(app, [*args[:3], str(tmp_path / "b"), *args[4:], "--db", url])
    assert without.exit_code == 0 and held.exit_code == 0, held.output
    blocked_without = json.loads((tmp_path / "a" / "audit.json").read_text())["blocked"]
    blocked_held = json.loads((tmp_path / "b" / "audit.json").read_text())["blocked"]
    assert blocked_without.get("under_review", 0) == 0
    assert blocked_held["under_review"] > 0


def test_audit_runs_without_labels_measured_against_the_scan(toy):
    """A real platform has no ground truth: exposure is measured against the scan's own flags."""
    snap, labels, _ = toy
    scan = _scan_missing(labels, [])
    res = run_audit(snap, scan, steps=2, k=5, accounts=3, lexicon=LEXICON, recall_users=30, probe_terms=5)
    assert res["config"]["exposure_measured_by"] == "scan" and "oracle" not in res
    assert max(res["unguarded"]["exposure"]) > 0.5
    assert res["guarded"]["exposure_max"] == [0.0, 0.0]
    with pytest.raises(ValueError):
        run_audit(snap, None, steps=1)


def test_cli_audit_without_labels_needs_a_scan_and_runs_on_it(toy, tmp_path):
    from firebreak.snapshot import write_snapshot

    snap, labels, _ = toy
    snap_dir = tmp_path / "snap"
    write_snapshot(dataclasses.replace(snap, labels=empty("labels")), snap_dir)  # no labels: a real export
    assert not list(snap_dir.glob("labels.*"))
    r = CliRunner().invoke(app, ["audit", str(snap_dir), "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "--scan" in r.output
    scan_dir = tmp_path / "scan"
    _scan_missing(labels, []).write(scan_dir)
    r = CliRunner().invoke(
        app, ["audit", str(snap_dir), "--scan", str(scan_dir), "--out", str(tmp_path / "a"), "--steps", "2", "--k", "5",
              "--accounts", "3", "--recall-users", "30", "--probe-terms", "5"],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "a" / "audit.json").read_text())
    assert doc["config"]["exposure_measured_by"] == "scan" and doc["guarded"]["exposure_max"] == [0.0, 0.0]
