"""CLI: `firebreak terms promote/reject` write a review file the lexicon loads;
`firebreak learn` / `learn-score` train, save and score; bad input is one `error:` line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from firebreak.cli import app
from firebreak.detect.lexicon import load_lexicon

runner = CliRunner()


def test_promote_then_reject_moves_the_term(tmp_path: Path) -> None:
    f = tmp_path / "review.toml"
    res = runner.invoke(app, ["terms", "promote", "#Zeblonix", "--file", str(f), "--reviewer", "ana"])
    assert res.exit_code == 0, res.output
    lex = load_lexicon(f)
    t = next(t for t in lex.terms if t.text == "Zeblonix")
    assert t.source == f"reviewer promotion, reviewer ana, date {t.source.rsplit(' ', 1)[-1]}"
    res = runner.invoke(app, ["terms", "reject", "zeblonix", "--file", str(f)])
    assert res.exit_code == 0, res.output
    lex = load_lexicon(f)
    assert "zeblonix" in lex.rejected and not [t for t in lex.terms if t.family == "reviewer-promoted"]
    res = runner.invoke(app, ["terms", "reject", "..", "--file", str(f)])
    assert res.exit_code == 2 and "error:" in res.output


def test_learn_and_score(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 400
    y = (rng.random(n) < 0.3).astype(int)
    ids = [f"a{i}" for i in range(n)]
    pl.DataFrame({"account": ids, "x": y + rng.normal(0, 0.7, n)}).write_csv(tmp_path / "f.csv")
    pl.DataFrame({"src": [ids[i] for i in rng.integers(0, n, 2000)], "dst": [ids[i] for i in rng.integers(0, n, 2000)]}).write_csv(tmp_path / "e.csv")
    pl.DataFrame({"account": ids[:300], "label": y[:300]}).write_csv(tmp_path / "l.csv")
    res = runner.invoke(app, ["learn", "--features", str(tmp_path / "f.csv"), "--edges", str(tmp_path / "e.csv"), "--labels", str(tmp_path / "l.csv"), "--out", str(tmp_path / "m.json"), "--seeds", "1"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["learn-score", "--model", str(tmp_path / "m.json"), "--features", str(tmp_path / "f.csv"), "--edges", str(tmp_path / "e.csv"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    preds = pl.read_parquet(tmp_path / "o" / "predictions.parquet")
    assert preds.height == n and preds["probability"].is_between(0, 1).all()
    p = preds["probability"].to_numpy()[300:]
    assert p[y[300:] == 1].mean() > p[y[300:] == 0].mean()
    assert pl.read_parquet(tmp_path / "o" / "contributions.parquet").height == 5 * n
    res = runner.invoke(app, ["learn", "--features", str(tmp_path / "nope.csv"), "--labels", str(tmp_path / "l.csv"), "--out", str(tmp_path / "m2.json")])
    assert res.exit_code == 2 and "error:" in res.output and "not found" in res.output
