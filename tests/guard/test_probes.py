from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.detect.normalize import normalize_text
from firebreak.guard.probes import VARIANTS, obfuscate, probe_queries


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=15))
@settings(max_examples=100, deadline=None)
def test_every_obfuscation_normalises_back_to_the_term(term):
    key = normalize_text(term)
    for v in VARIANTS:
        assert normalize_text(obfuscate(term, v)) == key, v


def test_scan_terms_always_probed_and_budget_respected():
    probes = probe_queries([f"lex{i}" for i in range(50)], first=["found1", "#found2"], limit=6, seed=1)
    terms = {t for _, t, _ in probes}
    assert {"found1", "found2"} <= terms and len(terms) == 6
    assert len(probes) == 6 * len(VARIANTS)
    assert probe_queries([f"lex{i}" for i in range(50)], limit=6, seed=1) == probe_queries(
        [f"lex{i}" for i in range(50)], limit=6, seed=1
    )
