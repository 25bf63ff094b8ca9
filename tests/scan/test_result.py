import json

import pytest

from firebreak.errors import FirebreakError, ResultsError
from firebreak.evidence import Signal
from firebreak.lab.sim import generate, preset
from firebreak.scan import ScanResult, read_scan, scan


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_read_scan_reads_the_spec_shapes(tmp_path):
    _write(
        tmp_path / "scores.jsonl",
        [
            {"account": "a", "risk": 0.9, "role": "seller", "network": "n1", "evidence": [{"signal": "graph:follows_sellers", "detail": "d", "weight": 1}]},
            {"account": "b", "risk": 0.1, "role": "none", "network": None, "evidence": []},
        ],
    )
    _write(tmp_path / "networks.jsonl", [{"id": "n1", "members": ["a", "c"], "sellers": 1, "buyers": 1}])
    res = read_scan(tmp_path)
    assert res.scores.get_column("role").to_list() == ["seller", "none"]
    assert res.networks.get_column("members").to_list() == [["a", "c"]]
    assert res.terms.height == 0 and set(res.terms.columns) >= {"term", "known"}


def test_missing_or_broken_scan_files_are_one_line_errors(tmp_path):
    with pytest.raises(FirebreakError, match="not found"):
        read_scan(tmp_path / "nope")
    with pytest.raises(FirebreakError, match="scores.jsonl"):
        read_scan(tmp_path)
    (tmp_path / "scores.jsonl").write_text('{"account": "a", "risk": 0.5\n')
    with pytest.raises(FirebreakError, match="scores.jsonl"):
        read_scan(tmp_path)
    _write(tmp_path / "scores.jsonl", [{"risk": 0.5}])
    with pytest.raises(FirebreakError, match="account"):
        read_scan(tmp_path)


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
    _write(tmp_path / "scores.jsonl", [{"account": "a", "risk": 0.9, "role": "seller", "evidence": [{"signal": "made:up", "detail": "d", "weight": 1}]}])
    with pytest.raises(ResultsError, match="signal"):
        read_scan(tmp_path)
    _write(tmp_path / "scores.jsonl", [{"account": "a", "risk": "high", "role": "seller"}])
    with pytest.raises(ResultsError, match="risk"):
        read_scan(tmp_path)
    _write(tmp_path / "scores.jsonl", [{"account": "a", "risk": 0.5, "role": "boss"}])
    with pytest.raises(ResultsError, match="role"):
        read_scan(tmp_path)


def test_spec_minimum_evidence_items_are_read_with_the_rest_null(tmp_path):
    _write(tmp_path / "scores.jsonl", [{"account": "a", "risk": 0.9, "role": "buyer", "network": None,
                                        "evidence": [{"signal": "search:coded_term", "detail": "d", "weight": 0.5}]}])
    item = read_scan(tmp_path).scores.get_column("evidence")[0][0]
    assert Signal(item["signal"]) is Signal.SEARCH_CODED_TERM and item["term"] is None and item["span"] is None
