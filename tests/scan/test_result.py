import json

import polars as pl
import pytest

from firebreak.atomic import atomic_results
from firebreak.errors import FirebreakError, ResultsError
from firebreak.evidence import Signal
from firebreak.lab.sim import generate, preset
from firebreak.scan import ScanResult, read_scan, scan


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
        {"account": "a", "risk": 0.9, "role": "seller", "network": "n1", "evidence": [{"signal": "graph:follows_sellers", "detail": "d", "weight": 1}]},
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


def test_a_result_round_trips_through_its_files(tmp_path):
    out = generate(preset("default", seed=3, accounts=2000))
    result = scan(out.snapshot)
    result.write(tmp_path)
    back = ScanResult.read(tmp_path)
    assert back.scores.select("account", "risk", "role", "network").equals(result.scores.select("account", "risk", "role", "network"))
    assert back.scores.get_column("evidence").equals(result.scores.get_column("evidence"))
    assert back.networks.equals(result.networks)
    assert back.terms.equals(result.terms)


def test_evidence_of_unknown_signal_or_wrong_types_is_refused(tmp_path):
    unknown = [{"account": "a", "risk": 0.9, "role": "seller", "evidence": [{"signal": "made:up", "detail": "d", "weight": 1}]}]
    with pytest.raises(ResultsError, match="signal"):
        read_scan(_results(tmp_path / "1", {"scores.jsonl": unknown}))
    with pytest.raises(ResultsError, match="risk"):
        read_scan(_results(tmp_path / "2", {"scores.jsonl": [{"account": "a", "risk": "high", "role": "seller"}]}))
    with pytest.raises(ResultsError, match="role"):
        read_scan(_results(tmp_path / "3", {"scores.jsonl": [{"account": "a", "risk": 0.5, "role": "boss"}]}))


def test_spec_minimum_evidence_items_are_read_with_the_rest_null(tmp_path):
    rows = [{"account": "a", "risk": 0.9, "role": "buyer", "network": None,
             "evidence": [{"signal": "search:coded_term", "detail": "d", "weight": 0.5}]}]
    item = read_scan(_results(tmp_path / "r", {"scores.jsonl": rows})).scores.get_column("evidence")[0][0]
    assert Signal(item["signal"]) is Signal.SEARCH_CODED_TERM and item["term"] is None and item["span"] is None


def test_identical_runs_write_identical_files(tmp_path):
    """terms.jsonl's evidence text once changed between identical runs (a partner term picked by group order)."""
    out = generate(preset("hard", seed=2, accounts=3000))
    first, second = scan(out.snapshot), scan(out.snapshot)
    first.write(tmp_path / "a")
    second.write(tmp_path / "b")
    for name in ("scores.jsonl", "networks.jsonl", "terms.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert first.terms.filter(~pl.col("known")).height > 0  # discovered terms and their evidence text are compared
