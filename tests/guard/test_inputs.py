import json

import polars as pl
import pytest

from firebreak.atomic import atomic_results
from firebreak.errors import FirebreakError, ResultsError
from firebreak.guard.inputs import scores_from_labels
from firebreak.results import read_labels, read_scan


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _results(folder, files):
    """A complete results folder (atomic, with manifest) holding ``files``: name -> rows or raw text."""
    with atomic_results(folder, command="test") as out:
        for name, content in files.items():
            if isinstance(content, str):
                (out.path / name).write_text(content)
            else:
                _write(out.path / name, content)
    return folder


def test_read_scan_reads_the_spec_shapes(tmp_path):
    scores = [
        {"account": "a", "risk": 0.9, "role": "seller", "network": "n1", "evidence": [{"signal": "s", "detail": "d", "weight": 1}]},
        {"account": "b", "risk": 0.1, "role": "none", "network": None, "evidence": []},
    ]
    networks = [{"id": "n1", "members": ["a", "c"], "sellers": 1, "buyers": 1}]
    res = read_scan(_results(tmp_path / "scan", {"scores.jsonl": scores, "networks.jsonl": networks}))
    assert res.scores.get_column("role").to_list() == ["seller", "none"]
    assert res.networks.get_column("members").to_list() == [["a", "c"]]
    assert res.terms.height == 0 and set(res.terms.columns) >= {"term", "known"}


def test_missing_or_broken_scan_files_are_one_line_errors(tmp_path):
    with pytest.raises(FirebreakError, match="not found"):
        read_scan(tmp_path / "nope")
    with pytest.raises(FirebreakError, match="scores.jsonl"):
        read_scan(tmp_path)
    _write(tmp_path / "scores.jsonl", [{"account": "a", "risk": 0.5}])
    with pytest.raises(ResultsError, match="no manifest.json"):
        read_scan(tmp_path)
    broken = _results(tmp_path / "broken", {"scores.jsonl": '{"account": "a", "risk": 0.5\n'})
    with pytest.raises(FirebreakError, match="scores.jsonl"):
        read_scan(broken)
    no_account = _results(tmp_path / "no_account", {"scores.jsonl": [{"risk": 0.5}]})
    with pytest.raises(FirebreakError, match="account"):
        read_scan(no_account)


def test_labels_as_a_perfect_scan(tmp_path):
    _write(
        tmp_path / "labels.jsonl",
        [
            {"account": "s", "role": "seller", "network": "n", "camouflage": "silent", "confounder": None},
            {"account": "u", "role": "buyer", "network": "n", "camouflage": None, "confounder": None},
            {"account": "x", "role": "benign", "network": None, "camouflage": None, "confounder": "pizzeria"},
        ],
    )
    labels = read_labels(tmp_path / "labels.jsonl")
    oracle = scores_from_labels(labels)
    assert sorted(oracle.scores.get_column("account").to_list()) == ["s", "u"]
    assert oracle.networks.filter(pl.col("id") == "n").get_column("members").to_list()[0] == ["s", "u"]
    with pytest.raises(FirebreakError):
        read_labels(tmp_path / "missing.jsonl")
