"""evaluate(): figures from hand-built labels and results, and the scan/map/evaluate commands end to end."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from firebreak.cli import app
from firebreak.errors import LabelsError, ResultsError, SnapshotError
from firebreak.lab.evaluate import evaluate, evaluate_frames


def labels() -> pl.DataFrame:
    return pl.DataFrame({
        "account": ["s1", "s2", "s3", "b1", "b2", "b3", "c1", "c2", "x"],
        "role": ["seller", "seller", "seller", "buyer", "buyer", "buyer", "benign", "benign", "benign"],
        "network": ["n1", "n1", "n2", "n1", "n1", "n2", None, None, None],
        "camouflage": ["overt", "silent", "silent", None, None, None, None, None, None],
        "confounder": [None, None, None, None, None, None, "pizzeria", "pizzeria", None],
    })


def test_figures_from_frames() -> None:
    scores = pl.DataFrame({
        "account": ["s1", "s2", "b1", "b2", "b3", "c1"],
        "role": ["seller", "buyer", "buyer", "buyer", "none", "seller"],
        "network": ["net-0", "net-0", "net-0", "net-0", None, None],
    })
    networks = pl.DataFrame({"id": ["net-0"], "members": [["s1", "s2", "b1", "b2"]]})
    terms = pl.DataFrame({"term": ["#NewCode", "known1", "junk"], "known": [False, True, False]})
    ev = evaluate_frames(labels(), scores, networks, terms, {"novel_terms": ["newcode", "other"]})
    assert ev["precision"] == pytest.approx(4 / 5)  # s1 s2 b1 b2 right, c1 wrong
    assert ev["recall"] == pytest.approx(4 / 6, abs=1e-4)
    assert ev["roles"]["seller"]["precision"] == pytest.approx(1 / 2)
    assert ev["roles"]["seller"]["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert ev["roles"]["seller"]["recall_any_role"] == pytest.approx(2 / 3, abs=1e-4)
    assert ev["camouflage"]["silent"] == {"sellers": 2, "recall": 0.5}
    assert ev["confounders"]["pizzeria"] == {"accounts": 2, "flagged": 1, "rate": 0.5}
    assert ev["networks"]["best"] == {"n1": 1.0, "n2": 0.0}
    assert ev["networks"]["mean_jaccard"] == 0.5
    assert ev["novel_terms"]["recall"] == 0.5 and ev["novel_terms"]["discovered"] == 2


def test_missing_inputs_are_one_line_errors(tmp_path) -> None:
    with pytest.raises(LabelsError, match="no labels file"):
        evaluate(tmp_path, tmp_path)
    (tmp_path / "labels.jsonl").write_text('{"account": "a", "role": "seller", "network": null}\n')
    with pytest.raises(ResultsError, match="no scores.jsonl"):
        evaluate(tmp_path, tmp_path)
    assert not issubclass(LabelsError, SnapshotError) and not issubclass(ResultsError, SnapshotError)


def test_scan_map_evaluate_commands(tmp_path) -> None:
    from firebreak.lab.sim import simulate

    snap, res, mapped = tmp_path / "snap", tmp_path / "res", tmp_path / "map"
    simulate(snap, seed=5, accounts=2500)
    runner = CliRunner()
    r = runner.invoke(app, ["scan", str(snap), "--out", str(res), "--hashes", str(snap / "hashbank.txt")])
    assert r.exit_code == 0, r.output
    assert {"scores.jsonl", "networks.jsonl", "terms.jsonl"} <= {p.name for p in res.iterdir()}
    r = runner.invoke(app, ["evaluate", str(snap), str(res)])
    assert r.exit_code == 0, r.output
    figures = json.loads((res / "evaluation.json").read_text())
    assert "precision (flagged)" in r.output and figures["precision"] >= 0.9
    sellers = [json.loads(x)["account"] for x in (res / "scores.jsonl").read_text().splitlines() if '"role":"seller"' in x]
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# sellers\n" + "\n".join(sellers[:10]) + "\nnot-an-account\n")
    r = runner.invoke(app, ["map", str(snap), "--seeds", str(seeds), "--out", str(mapped), "--top", "20"])
    assert r.exit_code == 0, r.output
    m = json.loads((mapped / "map.json").read_text())
    assert m["missing_seeds"] == ["not-an-account"] and m["unique_followers"] <= m["total_followers"]
    assert (mapped / "map.png").stat().st_size > 1000 and "data:image/png;base64" in (mapped / "map.html").read_text()
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    r = runner.invoke(app, ["map", str(snap), "--seeds", str(empty), "--out", str(mapped)])
    assert r.exit_code == 2 and "error:" in r.output


def test_evaluate_reads_the_labels_of_an_ingest_workdir(tmp_path) -> None:
    from firebreak.ingestion import ingest
    from firebreak.lab.sim import simulate
    from firebreak.scan import scan
    from firebreak.snapshot import load_snapshot

    simulate(tmp_path / "snap", seed=4, accounts=1500)
    ingest(tmp_path / "snap", tmp_path / "work")
    scan(load_snapshot(tmp_path / "work").snapshot).write(tmp_path / "res")
    figures = evaluate(tmp_path / "work", tmp_path / "res")
    assert figures["precision"] is not None and figures["recall"] is not None and figures["recall"] > 0.5
