import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.detect.lexicon import load_lexicon
from firebreak.guard.decisions import DecisionLog
from firebreak.guard.policy import HELP_NOTICE, Guard
from firebreak.guard.probes import VARIANTS, obfuscate
from firebreak.guard.search import SearchIndex
from firebreak.lab.oracle import scores_from_labels

from .toy import CODED_TAG

LEXICON = load_lexicon()


@pytest.fixture(scope="module")
def index(toy) -> SearchIndex:
    return SearchIndex().fit(toy[2])


@pytest.fixture()
def guard(toy) -> Guard:
    _, labels, p = toy
    terms = pl.DataFrame({"term": [CODED_TAG, "cheesepizza"], "known": [False, True]})
    empty = scores_from_labels(labels.head(0))
    return Guard().fit(p.ids, empty.scores, terms=terms, minor=p.minor, lexicon=LEXICON).logged(DecisionLog())


def test_unguarded_search_ranks_hashtags_by_use_and_returns_their_posters(index, abusive):
    res = index.search("#NEWYEAR")
    assert res.hashtags[0] == "newyear"
    assert len(res.posts) == 20 and res.accounts.size == 20
    found = index.search(CODED_TAG)
    assert found.hashtags == [CODED_TAG]
    assert abusive[found.shown_accounts].all()  # the harm: a coded hashtag leads straight to sellers
    assert not found.blocked and found.notice is None


def test_account_search_matches_handles_ranked_by_followers(index, toy):
    p = toy[2]
    res = index.search("user_b1")
    assert res.accounts.size > 0
    handles = p.accounts.get_column("handle_l").to_numpy()[res.accounts]
    assert all("user_b1" in h for h in handles)
    f = p.followers[res.accounts]
    assert (np.diff(f) <= 0).all()


@pytest.mark.parametrize("variant", VARIANTS)
def test_discovered_term_in_any_obfuscation_returns_only_the_notice(index, guard, variant):
    res = index.search(obfuscate(CODED_TAG, variant), guard=guard)
    assert res.blocked and res.reason == "search_discovered_term"
    assert res.notice == HELP_NOTICE
    assert res.accounts.size == 0 and res.posts == [] and res.hashtags == []
    assert guard.log_.counts() == {"search_discovered_term": 1}


@pytest.mark.parametrize("query", ["pedobait", "#PEDOBAIT", "p3d0bait", "p e d o b a i t", "ρеdоbаit", "pe\u200bdobait", "m.e.g.a.l.i.n.k.s"])
def test_lexicon_terms_and_their_obfuscations_are_blocked(index, guard, query):
    res = index.search(query, guard=guard)
    assert res.blocked and res.reason == "search_lexicon_term"
    assert res.shown_accounts.size == 0 and "see results" not in (res.notice or "").lower()


def test_ambiguous_codes_block_only_when_searched_as_the_code(guard):
    assert guard.check_query("#cheesepizza").blocked
    assert guard.check_query("C H E E S E P I Z Z A").blocked
    assert guard.check_query("🧀🍕").blocked
    assert not guard.check_query("cheese pizza near me").blocked
    assert not guard.check_query("menu").blocked  # selling words alone never block
    assert not guard.check_query("pizza").blocked
    strict = Guard(ambiguous_search="any").fit(_ids_n(3), lexicon=LEXICON)
    assert strict.check_query("cheese pizza near me").blocked


def test_known_scan_terms_are_left_to_the_lexicon_rules(guard):
    # "cheesepizza" came in with known: true, so only the lexicon's ambiguous rule applies to it
    assert not guard.check_query("best cheesepizza in town").blocked


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=30))
@settings(max_examples=80, deadline=None)
def test_benign_words_are_not_blocked_unless_they_spell_a_term(words):
    g = Guard(block_search_terms=True).fit(_ids_n(3), lexicon=LEXICON, terms=pl.DataFrame({"term": [CODED_TAG], "known": [False]}))
    blocked = g.check_query(words).blocked
    has_term = bool(LEXICON.match(words)) or CODED_TAG in words.replace(" ", "")
    assert blocked <= has_term


def _ids_n(n):
    from firebreak.graph.ids import IdMap

    return IdMap.from_ids([f"x{i}" for i in range(n)])


def test_guarded_search_drops_flagged_posters_and_hides_coded_hashtags(toy, index, abusive):
    _, labels, p = toy
    o = scores_from_labels(labels)
    g = Guard().fit(p.ids, o.scores, networks=o.networks, minor=p.minor, lexicon=LEXICON)
    res = index.search("newyear", guard=g)  # sellers use this everyday hashtag too
    assert res.shown_accounts.size > 0
    assert not abusive[res.shown_accounts].any()
    assert abusive[index.search("newyear").shown_accounts].any()
    # a partial query that autofills to the discovered coded hashtag never shows it
    tg = Guard().fit(p.ids, o.scores, terms=pl.DataFrame({"term": [CODED_TAG], "known": [False]}), lexicon=LEXICON).logged(DecisionLog())
    partial = index.search(CODED_TAG[:6], guard=tg)
    assert CODED_TAG not in partial.hashtags and not partial.blocked
    assert tg.log_.counts()["search_hashtag_hidden"] == 1


def test_minor_searching_is_not_shown_buyer_like_accounts(toy, index):
    _, labels, p = toy
    o = scores_from_labels(labels)
    g = Guard(risk_threshold=1.01).fit(p.ids, o.scores.with_columns(pl.lit("none").alias("role"), pl.lit(None, dtype=pl.String).alias("network")), minor=p.minor, lexicon=LEXICON)
    assert not g.blocked_[p.encode(["s0"])[0]] and g.buyer_like_[p.encode(["s0"])[0]]
    res = index.search("user_s", guard=g, viewer_minor=True)
    assert res.accounts.size == 0
    adult = index.search("user_s", guard=g)
    assert adult.accounts.size > 0
