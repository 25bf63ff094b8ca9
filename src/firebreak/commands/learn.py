"""CLI: ``firebreak learn`` (train the learned risk scorer) and ``firebreak learn-score``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from firebreak.commands.errors import friendly_errors


def _table(path: Path, what: str) -> object:
    import polars as pl

    from firebreak.errors import LearnError

    if not path.is_file():
        raise LearnError(f"{path}: {what} file not found")
    try:
        if path.name.endswith(".parquet"):
            return pl.read_parquet(path)
        if path.name.endswith(".csv"):
            return pl.read_csv(path)
        return pl.read_ndjson(path)
    except Exception as exc:
        raise LearnError(f"{path}: {what} file not readable ({str(exc).splitlines()[0]})") from None


def register(app: typer.Typer) -> None:
    """Add ``learn`` and ``learn-score`` to app."""

    @app.command("learn")
    @friendly_errors
    def learn(
        features: Annotated[Path, typer.Option("--features", help="Per-account features: 'account' plus numeric columns (csv, jsonl, parquet).")],
        labels: Annotated[Path, typer.Option("--labels", help="Past decisions: 'account' and 'label' (1/0, actioned/dismissed) or 'role'.")],
        out: Annotated[Path, typer.Option("--out", help="Where to write the scorer (one JSON file).")],
        edges: Annotated[Path | None, typer.Option("--edges", help="Graph edges: two account columns (csv, jsonl, parquet).")] = None,
        validation: Annotated[Path | None, typer.Option("--validation", help="Decisions for early stopping and calibration (default: a fifth of --labels).")] = None,
        seeds: Annotated[int, typer.Option("--seeds", min=1, help="Boosters averaged.")] = 3,
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    ) -> None:
        """Train the learned risk scorer on past decisions and write it to --out."""
        from firebreak.detect.learn import fit_scorer, read_decisions

        feats = _table(features, "features")
        edge = _table(edges, "edges") if edges else None
        val = read_decisions(validation) if validation else None
        scorer = fit_scorer(feats, edge, read_decisions(labels), validation=val, seeds=seeds, seed=seed)  # type: ignore[arg-type]
        scorer.save(out)
        info = scorer.info
        print(f"scorer written to {out}: {info['train']} training and {info['validation']} validation decisions, rounds {info['rounds']}, validation ROC-AUC {info['validation_auc']:.4f}")

    @app.command("learn-score")
    @friendly_errors
    def learn_score(
        model: Annotated[Path, typer.Option("--model", help="A scorer written by `firebreak learn`.")],
        features: Annotated[Path, typer.Option("--features", help="Per-account features (same columns as at training).")],
        out: Annotated[Path, typer.Option("--out", help="Directory for predictions.parquet and contributions.parquet.")],
        edges: Annotated[Path | None, typer.Option("--edges", help="Graph edges: two account columns.")] = None,
        labels: Annotated[Path | None, typer.Option("--labels", help="Known decisions for the label features (default: the training decisions).")] = None,
        top: Annotated[int, typer.Option("--top", min=0, help="Contributions kept per account.")] = 5,
    ) -> None:
        """Score accounts with a trained scorer: calibrated probability and the features that drove each score."""
        from firebreak.detect.learn import Scorer, read_decisions

        scorer = Scorer.load(model)
        feats = _table(features, "features")
        edge = _table(edges, "edges") if edges else None
        preds, contrib = scorer.predict(feats, edge, read_decisions(labels) if labels else None, top=top)  # type: ignore[arg-type]
        out.mkdir(parents=True, exist_ok=True)
        preds.write_parquet(out / "predictions.parquet")
        contrib.write_parquet(out / "contributions.parquet")
        print(f"{preds.height} accounts scored; {out / 'predictions.parquet'}, {out / 'contributions.parquet'}")
