"""CLI: `firebreak lexicon check` and `firebreak detect` output shapes."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from firebreak.cli import app

runner = CliRunner()


def test_lexicon_check_lines_in_order() -> None:
    res = runner.invoke(app, ["lexicon", "check"], input="hello world\n#P3D0BAIT and menu\n\ncp\n")
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x["text"] for x in lines] == ["hello world", "#P3D0BAIT and menu", "", "cp"]
    assert lines[0]["hits"] == [] and lines[2]["hits"] == []
    hit = lines[1]["hits"][0]
    assert set(hit) == {"term", "family", "category", "form", "span", "weight", "ambiguous"}
    assert hit["term"] == "pedobait" and hit["form"] == "normalised" and hit["span"] == [1, 9] and hit["ambiguous"] is False
    assert lines[3]["hits"][0]["ambiguous"] is True


def test_lexicon_check_operator_file_and_bad_file(tmp_path: Path) -> None:
    good = tmp_path / "t.toml"
    good.write_text('version = "1"\n[[family]]\nname = "z"\ncategory = "coded_term"\nweight = 0.4\nsource = "test"\nterms = ["zorblax"]\n')
    res = runner.invoke(app, ["lexicon", "check", "--lexicon", str(good)], input="a z0rbl4x b\n")
    assert json.loads(res.stdout)["hits"][0]["family"] == "z"
    bad = tmp_path / "bad.toml"
    bad.write_text('version = "1"\n[[family]]\nname = "z"\n')
    res = runner.invoke(app, ["lexicon", "check", "--lexicon", str(bad)], input="x\n")
    assert res.exit_code == 2 and "error: lexicon file" in res.stderr


def test_detect_writes_outputs(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    snap.mkdir()
    accounts = [
        {"id": "a", "handle": "x", "bio": "menu $10 $20 dm for menu 🧀🍕", "links": ["t.me/abc"]},
        {"id": "b", "handle": "y", "bio": "gardening", "links": ["t.me/abc"]},
    ]
    (snap / "accounts.jsonl").write_text("\n".join(json.dumps(a) for a in accounts) + "\n")
    (snap / "follows.jsonl").write_text(json.dumps({"src": "b", "dst": "a"}) + "\n")
    (snap / "posts.jsonl").write_text(json.dumps({"id": "p", "author": "a", "text": "#mnsfw new"}) + "\n")
    out = tmp_path / "out"
    res = runner.invoke(app, ["detect", str(snap), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in (out / "signals.jsonl").read_text().splitlines()]
    assert {r["account"] for r in rows} == {"a", "b"}
    ev = rows[[r["account"] for r in rows].index("a")]["evidence"]
    assert all({"signal", "detail", "weight"} <= set(e) for e in ev)
    assert any(e["signal"] == "lexicon:explicit_hashtag" and e["weight"] > 0 for e in ev)
    frame = pl.read_parquet(out / "signals.parquet")
    assert {"account", "signal", "detail", "weight", "source", "term", "span"} <= set(frame.columns)
    d = pl.read_parquet(out / "destinations.parquet")
    assert d.columns == ["account", "destination", "kind", "source"] and set(d["destination"]) == {"telegram:abc"}


def test_detect_missing_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["detect", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and res.stderr.startswith("error:")


def test_lexicon_show_lists_families() -> None:
    res = runner.invoke(app, ["lexicon", "show"])
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0].startswith("version codes.toml=")
    assert any(line.startswith("cheese-pizza\tcoded_term\t0.3 ambiguous") for line in lines)
