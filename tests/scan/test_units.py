import polars as pl

from firebreak.graph.ids import IdMap
from firebreak.scan.units import unit_vectors


def evidence(rows: list[tuple[str, str, str, float, bool, str | None]]) -> pl.DataFrame:
    """Evidence rows ``(account, signal, term, weight, ambiguous, context)`` in the detector's shape."""
    return pl.DataFrame(
        {
            "account": [r[0] for r in rows],
            "signal": [r[1] for r in rows],
            "detail": [f'"{r[2]}" x1 in ' + ("search" if r[1].startswith("search:") else "caption") for r in rows],
            "weight": [r[3] for r in rows],
            "term": [r[2] for r in rows],
            "ambiguous": [r[4] for r in rows],
            "context": [r[5] for r in rows],
        },
        schema_overrides={"context": pl.String},
    )


IDS = IdMap.from_ids(["journalist", "buyer", "seller", "mixed"])


def test_ambiguous_searches_in_news_or_advocacy_wording_are_not_weak_search() -> None:
    ev = evidence(
        [
            ("journalist", "search:coded_term", "cheesepizza", 0.0, True, "news"),
            ("journalist", "search:coded_term", "cp", 0.0, True, "advocacy"),
            ("buyer", "search:coded_term", "cheesepizza", 0.0, True, None),
            ("buyer", "search:coded_term", "cp", 0.0, True, None),
            ("buyer", "search:coded_term", "cp", 0.0, True, "news"),
        ]
    )
    u = unit_vectors(ev, IDS)
    assert u["ambiguous_search"][IDS.encode(pl.Series(["journalist"]))[0]] == 0
    assert u["ambiguous_search"][IDS.encode(pl.Series(["buyer"]))[0]] == 2


def test_reporting_means_every_own_hit_is_in_news_or_advocacy_wording() -> None:
    ev = evidence(
        [
            ("journalist", "lexicon:explicit_hashtag", "mnsfw", 0.09, False, "news"),
            ("journalist", "search:explicit_hashtag", "mnsfw", 0.09, False, "news"),
            ("seller", "lexicon:explicit_hashtag", "mnsfw", 0.9, False, None),
            ("mixed", "lexicon:explicit_hashtag", "mnsfw", 0.09, False, "news"),
            ("mixed", "lexicon:coded_term", "megalinks", 0.6, False, None),
            ("buyer", "search:explicit_hashtag", "mnsfw", 0.09, False, "news"),  # searching in news words is not writing
        ]
    )
    u = unit_vectors(ev, IDS)
    got = dict(zip(IDS.ids, u["reporting"].tolist(), strict=True))
    assert got == {"journalist": 1.0, "buyer": 0.0, "seller": 0.0, "mixed": 0.0}


def test_no_evidence_gives_zero_vectors_of_every_kind() -> None:
    u = unit_vectors(evidence([]), IDS)
    assert set(u) >= {"content", "ambiguous", "search", "media", "ambiguous_search", "reporting"}
    assert all(v.shape == (IDS.n,) and not v.any() for v in u.values())
