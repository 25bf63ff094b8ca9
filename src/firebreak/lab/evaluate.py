"""Scoring scan results against a snapshot's ground truth (``labels.*`` and ``truth.json``).

:func:`evaluate` reads a snapshot directory's labels (with the simulator's
extra ``camouflage`` and ``confounder`` fields when present) and a results
directory (``scores.jsonl``, ``networks.jsonl``, ``terms.jsonl``) and returns
plain figures: precision and recall of flagged accounts (flagged = role
seller or buyer), per role and per seller camouflage, the share of each
confounder kind flagged, the best Jaccard of every true network with a found
one, and the recall of the novel terms.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from firebreak.labels import find_labels, read_labels
from firebreak.scan.result import ScanResult

FLAGGED = ("seller", "buyer")


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def evaluate_frames(
    labels: pl.DataFrame, scores: pl.DataFrame, networks: pl.DataFrame, terms: pl.DataFrame, truth: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The evaluation figures for in-memory frames (see the module docstring); a JSON-able dict."""
    pred = scores.select(pl.col("account").cast(pl.String), pl.col("role").cast(pl.String).alias("pred"))
    df = labels.join(pred, on="account", how="left").with_columns(pl.col("pred").fill_null("none"))
    df = df.with_columns(
        pl.col("role").is_in(FLAGGED).alias("truly"),
        pl.col("pred").is_in(FLAGGED).alias("flagged"),
    )
    tp = df.filter(pl.col("truly") & pl.col("flagged")).height
    fp = df.filter(~pl.col("truly") & pl.col("flagged")).height
    pos = df.filter(pl.col("truly")).height
    out: dict[str, Any] = {
        "accounts": df.height,
        "flagged": tp + fp,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, pos),
        "roles": {},
        "camouflage": {},
        "confounders": {},
    }
    for role in FLAGGED:
        truth_r = df.filter(pl.col("role") == role)
        pred_r = df.filter(pl.col("pred") == role)
        out["roles"][role] = {
            "true": truth_r.height,
            "predicted": pred_r.height,
            "precision": _ratio(pred_r.filter(pl.col("role") == role).height, pred_r.height),
            "recall": _ratio(truth_r.filter(pl.col("pred") == role).height, truth_r.height),
            "recall_any_role": _ratio(truth_r.filter(pl.col("flagged")).height, truth_r.height),
        }
    cam = df.filter((pl.col("role") == "seller") & pl.col("camouflage").is_not_null()).group_by("camouflage").agg(
        pl.len().alias("n"), pl.col("flagged").sum().alias("found")
    )
    for row in cam.sort("camouflage").iter_rows(named=True):
        out["camouflage"][row["camouflage"]] = {"sellers": row["n"], "recall": _ratio(row["found"], row["n"])}
    conf = df.filter(pl.col("confounder").is_not_null()).group_by("confounder").agg(
        pl.len().alias("n"), pl.col("flagged").sum().alias("flagged")
    )
    for row in conf.sort("confounder").iter_rows(named=True):
        out["confounders"][row["confounder"]] = {"accounts": row["n"], "flagged": row["flagged"], "rate": _ratio(row["flagged"], row["n"])}
    out["networks"] = _network_jaccard(labels, networks)
    out["novel_terms"] = _novel_recall(truth or {}, terms)
    return out


def _network_jaccard(labels: pl.DataFrame, networks: pl.DataFrame) -> dict[str, Any]:
    true = labels.filter(pl.col("network").is_not_null()).select(pl.col("network").alias("true"), "account")
    if true.height == 0:
        return {"true": 0, "found": networks.height, "mean_jaccard": None, "best": {}}
    found = (
        networks.select(pl.col("id").cast(pl.String).alias("found"), pl.col("members")).explode("members").rename({"members": "account"})
        if networks.height
        else pl.DataFrame(schema={"found": pl.String, "account": pl.String})
    )
    sizes_t = true.group_by("true").agg(pl.len().alias("nt"))
    sizes_f = found.group_by("found").agg(pl.len().alias("nf"))
    inter = true.join(found, on="account").group_by("true", "found").agg(pl.len().alias("both"))
    jac = (
        inter.join(sizes_t, on="true").join(sizes_f, on="found")
        .with_columns((pl.col("both") / (pl.col("nt") + pl.col("nf") - pl.col("both"))).alias("jaccard"))
        .group_by("true").agg(pl.col("jaccard").max())
    )
    best = sizes_t.join(jac, on="true", how="left").with_columns(pl.col("jaccard").fill_null(0.0)).sort("true")
    return {
        "true": best.height,
        "found": networks.height,
        "mean_jaccard": round(float(best.get_column("jaccard").to_numpy().mean()), 4) if best.height else None,
        "best": {r["true"]: round(r["jaccard"], 4) for r in best.iter_rows(named=True)},
    }


def _norm(term: str) -> str:
    return term.strip().lstrip("#").lower()


def _novel_recall(truth: dict[str, Any], terms: pl.DataFrame) -> dict[str, Any]:
    novel = {_norm(t) for t in truth.get("novel_terms", [])}
    found = set()
    if terms.height and "known" in terms.columns:
        found = {_norm(t) for t in terms.filter(~pl.col("known").cast(pl.Boolean)).get_column("term").to_list()}
    hit = novel & found
    return {"novel": len(novel), "discovered": len(found), "found": len(hit), "recall": _ratio(len(hit), len(novel)),
            "precision": _ratio(len(hit), len(found))}


def evaluate(snapshot_dir: str | Path, results_dir: str | Path) -> dict[str, Any]:
    """Evaluate the results in ``results_dir`` against the labels (and ``truth.json``) of ``snapshot_dir``.

    ``snapshot_dir`` may be a snapshot or an ingest WORKDIR (whose ``snapshot/`` holds the labels).
    """
    labels = read_labels(snapshot_dir)
    results = ScanResult.read(results_dir)
    return evaluate_frames(labels, results.scores, results.networks, results.terms, read_truth(snapshot_dir))


def read_truth(snapshot_dir: str | Path) -> dict[str, Any]:
    """The simulator's ``truth.json`` beside the labels of ``snapshot_dir`` (a snapshot or a WORKDIR); ``{}`` if none."""
    found = find_labels(Path(snapshot_dir))
    path = (found.parent if found is not None else Path(snapshot_dir)) / "truth.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}


def summary_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """``(metric, value)`` rows for a table: the headline figures, then per role, camouflage, confounder."""

    def f(x: Any) -> str:
        return "-" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))

    rows = [("precision (flagged)", f(result["precision"])), ("recall (flagged)", f(result["recall"]))]
    for role, r in result["roles"].items():
        rows.append((f"{role}: precision / recall / any-role recall", f"{f(r['precision'])} / {f(r['recall'])} / {f(r['recall_any_role'])}"))
    for cam, r in result["camouflage"].items():
        rows.append((f"seller recall: {cam}", f"{f(r['recall'])} ({r['sellers']})"))
    for kind, r in result["confounders"].items():
        rows.append((f"confounder flagged: {kind}", f"{f(r['rate'])} ({r['flagged']}/{r['accounts']})"))
    nets = result["networks"]
    rows.append(("networks: mean best Jaccard", f"{f(nets['mean_jaccard'])} ({nets['true']} true, {nets['found']} found)"))
    nov = result["novel_terms"]
    rows.append(("novel-term recall", f"{f(nov['recall'])} ({nov['found']}/{nov['novel']}, {nov['discovered']} discovered)"))
    return rows
