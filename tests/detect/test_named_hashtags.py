"""The two hashtags the 2023 reporting named are in the shipped lexicon, with their source,
and are caught through every obfuscation the audit probes (leet, dotted, spaced,
look-alike letters, zero-width characters, upper case)."""

from __future__ import annotations

import pytest

from firebreak.detect.lexicon import load_lexicon

LEX = load_lexicon()
NAMED = ("pedowhore", "preteensex")


def _spellings(term: str) -> dict[str, str]:
    leet = term.replace("e", "3").replace("o", "0")
    homo = term.replace("p", "\u0440").replace("e", "\u0435").replace("o", "\u03bf")  # Cyrillic er, ie; Greek omicron
    return {
        "plain": term,
        "hashtag": f"#{term}",
        "upper": f"#{term.upper()}",
        "leet": leet,
        "dotted": ".".join(term),
        "spaced": " ".join(term),
        "homoglyph": homo,
        "zero-width": "\u200b".join(term),
        "mixed": "#" + ".".join(leet.upper()),
    }


@pytest.mark.parametrize("term", NAMED)
def test_named_hashtag_is_shipped_with_its_source(term: str) -> None:
    found = [t for t in LEX.terms if t.text == term]
    assert len(found) == 1
    t = found[0]
    assert t.category == "explicit_hashtag" and not t.ambiguous and t.weight >= 0.9
    assert "WSJ" in t.source and "7 June 2023" in t.source and "Stanford Internet Observatory" in t.source


@pytest.mark.parametrize("term", NAMED)
@pytest.mark.parametrize("kind", ["plain", "hashtag", "upper", "leet", "dotted", "spaced", "homoglyph", "zero-width", "mixed"])
def test_named_hashtag_caught_through_obfuscation(term: str, kind: str) -> None:
    spelling = _spellings(term)[kind]
    text = f"new post {spelling} dm me"
    hits = [h for h in LEX.match(text) if h.term == term]
    assert hits, (kind, spelling)
    s, e = hits[0].span
    assert text[s:e].strip("#") == spelling.strip("#")
    assert not hits[0].ambiguous


def test_named_hashtags_not_inside_longer_words() -> None:
    assert not [h for h in LEX.match("xpedowhorex preteensexy") if h.term in NAMED]
