import json

import polars as pl
import pytest

from firebreak.errors import FirebreakError
from firebreak.lab.oracle import scores_from_labels
from firebreak.labels import read_labels


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


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
