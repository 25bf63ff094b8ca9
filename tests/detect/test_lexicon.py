"""Lexicon: loading and validation, obfuscated terms found at their original spans,
agreement with the brute-force reference, word boundaries, benign false-positive rates."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from confusable_homoglyphs.confusables import confusables_data
from hypothesis import given, settings
from hypothesis import strategies as st

from firebreak.detect.lexicon import load_lexicon
from firebreak.detect.normalize import LEET_DIGITS
from firebreak.errors import LexiconError
from tests.shared_data import shared_path

LEX = load_lexicon()
TWIBOT = shared_path("data", "text", "TwiBot-20_sample.json")

# letter -> look-alikes listed by the Unicode confusables data (via the library)
HOMOGLYPHS: dict[str, list[str]] = {
    c: [g["c"] for g in confusables_data.get(c, []) if len(g["c"]) == 1 and not g["c"].isascii()]
    for c in "abcdefghijklmnopqrstuvwxyz"
}
LEET = {v: k for k, v in LEET_DIGITS.items()}
SEPARATORS = [".", "*", "-", "_", "\u200b", "\u200d", "\u00ad", "\u2060"]


@st.composite
def obfuscate(draw: st.DrawFn, term: str) -> str:
    """A generated obfuscation of ``term``: per letter case, homoglyph or leet, doubling,
    separators and zero-width characters between letters; or, for one-word terms,
    every letter spaced out."""
    spaced = " " not in term and term.isalpha() and len(term) > 1 and draw(st.booleans())
    out: list[str] = []
    letters = list(term)
    for i, c in enumerate(letters):
        piece = c
        if c.isascii() and c.isalpha():
            mode = draw(st.sampled_from(["keep", "upper", "homoglyph", "leet"]))
            if mode == "upper":
                piece = c.upper()
            elif mode == "homoglyph" and HOMOGLYPHS.get(c):
                piece = draw(st.sampled_from(HOMOGLYPHS[c]))
            elif mode == "leet" and c in LEET:
                piece = LEET[c]
            if not spaced and draw(st.integers(0, 3)) == 0:
                piece = piece * draw(st.integers(2, 3))
        out.append(piece)
        nxt = letters[i + 1] if i + 1 < len(letters) else None
        if nxt is None:
            continue
        if spaced:
            out.append(" ")
        elif c.isalnum() and nxt.isalnum() and draw(st.integers(0, 2)) == 0:
            out.append(draw(st.sampled_from(SEPARATORS)))
        elif unicodedata.category(c) == "So" and unicodedata.category(nxt) == "So" and draw(st.booleans()):
            out.append(draw(st.sampled_from(["\u200b", "\ufe0f", " "])))  # between emoji
    return "".join(out)


@pytest.mark.parametrize("term", sorted({t.text for t in LEX.terms}))
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_every_term_found_through_obfuscation(term: str, data: st.DataObject) -> None:
    family = next(t.family for t in LEX.terms if t.text == term)
    obf = data.draw(obfuscate(term))
    text = f"hello there {obf} see you"
    start, end = len("hello there "), len("hello there ") + len(obf)
    hits = LEX.match(text)
    assert any(h.family == family and h.span == (start, end) for h in hits), (obf, hits)


@pytest.mark.parametrize("term", sorted({t.text for t in LEX.terms}))
def test_plain_term_is_a_raw_hit(term: str) -> None:
    hits = LEX.match(f"x {term} y")
    assert any(h.term == term and h.form == "raw" and h.span == (2, 2 + len(term)) for h in hits)


NOISE = st.text(alphabet=st.sampled_from(list("abcdpeo ._*1305🧀🍕\u200bР")), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(NOISE, st.sampled_from(sorted({t.text for t in LEX.terms})), NOISE), min_size=1, max_size=5))
def test_automatons_agree_with_brute_force_reference(parts: list[tuple[str, str, str]]) -> None:
    texts = [a + t.upper() + b if i % 2 else a + t + b for i, (a, t, b) in enumerate(parts)]
    fast = LEX.occurrences(texts)
    ref = {(r, *occ) for r, text in enumerate(texts) for occ in LEX.reference_match(text)}
    assert fast == ref


def test_word_boundaries() -> None:
    assert not LEX.match("my cpu is hot, accept it")
    assert [h.span for h in LEX.match("cp! and cp_x")] == [(0, 2), (8, 10)]
    assert LEX.match("pedobaiting")[:1] == []


def test_context_lowers_weight_and_news_wording() -> None:
    plain = LEX.match("selling #mnsfw")[0]
    news = LEX.match("Police investigation found #mnsfw was used")[0]
    assert news.weight < plain.weight and news.context == "news"


def test_ambiguous_flags() -> None:
    amb = {h.term: h.ambiguous for h in LEX.match("cheese pizza and cp menu, also pedobait")}
    assert amb == {"cheese pizza": True, "cp": True, "menu": True, "pedobait": False}


def test_every_family_has_source_and_valid_category() -> None:
    for t in LEX.terms:
        assert t.source.strip() and t.category and 0 < t.weight <= 1
    assert {"explicit_hashtag", "coded_term", "emoji_code", "menu_price", "offplatform_invite", "age_claim"} == {t.category for t in LEX.terms}


# ---------------------------------------------------------------- loading
GOOD = 'version = "t1"\n[[family]]\nname = "{name}"\ncategory = "coded_term"\nweight = 0.5\nsource = "test"\nterms = ["zorblax"]\n'


def test_operator_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mine.toml").write_text(GOOD.format(name="op"), encoding="utf-8")
    lex = load_lexicon(tmp_path)
    assert [h.term for h in lex.match("new zorb-lax tag")] == ["zorblax"]
    assert "mine.toml=t1" in lex.version
    monkeypatch.setenv("FIREBREAK_LEXICON", str(tmp_path / "mine.toml"))
    assert load_lexicon().match("zorblax")[0].family == "op"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("version = \n", "invalid TOML"),
        ('[[family]]\nname="x"\n', "'version'"),
        (GOOD.format(name="x").replace('category = "coded_term"', 'category = "nope"'), "'category' must be one of"),
        (GOOD.format(name="x").replace('source = "test"\n', ""), "'source'"),
        (GOOD.format(name="x").replace("weight = 0.5", "weight = 3"), "out of range"),
        (GOOD.format(name="x").replace("weight = 0.5", "wieght = 0.5"), "unknown key"),
        (GOOD.format(name="x").replace('["zorblax"]', '["..."]'), "normalises to nothing"),
        (GOOD.format(name="x").replace('["zorblax"]', "[]"), "non-empty list"),
        (GOOD.format(name="pedo-hashtag"), "duplicate family"),
        (GOOD.format(name="x") + 'context = ["nosuch"]\n', "context"),
    ],
)
def test_malformed_files_give_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError, match=message) as exc:
        load_lexicon(p)
    assert "bad.toml" in str(exc.value) and "\n" not in str(exc.value)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="does not exist"):
        load_lexicon(tmp_path / "nope.toml")


# ---------------------------------------------------------------- benign corpora
BENIGN = [
    "Great day out at the beach with the kids",
    "New favourite coffee place downtown #coffee #weekend",
    "Finally finished the marathon! #running #fitness",
    "Our menu: margherita $11, cheese pizza $12, pepperoni $13",
    "Lunch menu today: soup of the day, caesar salad, fish and chips",
    "Kids eat free on Tuesdays, see our menu in store",
    "The council approved the new budget on Tuesday after a long debate",
    "Police said the suspect was arrested near the station on Friday",
    "Shares fell 3% as investors worried about rising interest rates",
    "The team's CPU benchmark results are in the appendix",
    "Copy the file with cp -r src dst, then restart",
    "Map of the hiking trail 🗺️ #hiking #outdoors",
    "Ramen night 🍜 and corn on the cob 🌽",
    "I am 15 and I love basketball #schoolteam",
    "Chapter 14 of my novel is finally done #amwriting",
    "Link in bio for my pottery shop, prices from $20",
    "#tbt to summer 2019 #photooftheday #friends",
    "Please report accounts you find suspicious to the platform",
]


def _nonambiguous_rate(texts: list[str]) -> tuple[int, float]:
    frame = LEX.match_batch(texts)
    rows = frame.filter(~frame["ambiguous"])["row"].n_unique()
    return rows, rows / max(len(texts), 1)


def test_benign_corpus_rate() -> None:
    rows, rate = _nonambiguous_rate(BENIGN)
    assert rows == 0, rate


def test_twibot_real_tweets_rate() -> None:
    users = json.loads(TWIBOT.read_text(encoding="utf-8"))
    tweets = [t for u in users for t in (u.get("tweet") or [])]
    assert len(tweets) == 17_372
    rows, rate = _nonambiguous_rate(tweets)
    amb = LEX.match_batch(tweets)["row"].n_unique() / len(tweets)
    print(f"\nTwiBot-20 sample: {len(tweets)} tweets, {rows} with a non-ambiguous hit ({rate:.4%}); any hit {amb:.3%}")
    assert rows == 0, rate


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(NOISE, st.sampled_from(sorted({t.text for t in LEX.terms})), NOISE), min_size=1, max_size=6))
def test_screened_batch_equals_exact_path(parts: list[tuple[str, str, str]]) -> None:
    texts = [a + t + b for a, t, b in parts] + ["plain words only", "x y z", ""]
    screened = LEX.match_batch(texts)
    exact = LEX._finish(*LEX._collect(texts))
    assert screened.equals(exact)


def test_screen_keeps_every_hit_on_real_tweets() -> None:
    users = json.loads(TWIBOT.read_text(encoding="utf-8"))
    tweets = [t for u in users for t in (u.get("tweet") or [])][:6000]
    assert LEX.match_batch(tweets).equals(LEX._finish(*LEX._collect(tweets)))


PHRASES = [
    "selling #mnsfw", "Police investigation found #mnsfw was used", "cheese pizza and cp menu, also pedobait",
    "c h e e s e p i z z a see", "my cpu is hot, accept it", "", "just here for jazz", "cp! and cp_x", "pedobaiting",
]


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), st.sampled_from(PHRASES), st.text(max_size=30)), max_size=25), batch=st.integers(1, 6))
def test_matching_a_series_in_slices_changes_nothing(texts: list[str | None], batch: int) -> None:
    import polars as pl

    import firebreak.detect.lexicon as lexicon

    whole_hits, whole_ctx = LEX.match_batch_with_context(texts)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lexicon, "TEXT_BATCH", batch)
        hits, ctx = LEX.match_batch_with_context(pl.Series("text", texts, dtype=pl.String))
    assert hits.equals(whole_hits)
    assert ctx.sort(pl.all()).equals(whole_ctx.sort(pl.all()))
