"""The simulator's words: what sellers, buyers and ordinary people write.

The *known* coded vocabulary below is what sellers in the simulation use. It is
derived only from conventions that public reporting documented (digest in
``shared/research/public-findings.md`` section 3), kept non-sexual, and is
deliberately independent of the detector's lexicon (sellers do not read it):

- "cheese pizza" / "cp" / "c*p" and the cheese+pizza emoji as a code
  (WSJ/SIO/UMass, June 2023; Telegraph/NZ Herald, Aug 2020; back2facts 2022);
- the map emoji, "lovers of the little things in life" (Levine, WSJ 2023);
- corn and noodle emoji puns (Childhood Brasil, 2025);
- "#pedobait" and "#mnsfw", hashtags named as searchable (CNBC-TV18, desensitizedmedia, 2023);
- Mega-related hashtags such as "#megalinks" (NBC News, Jan 2023);
- age in code: "on chapter 14", a number followed by a reverse-arrow emoji (WSJ via blinkscoop);
- selling wording: "menu", prices, "DM for content", commissions, cross-site links (WSJ 2023);
- obfuscation of trigger words and spelling mutations after bans (SIO §5.1; WSJ Dec 2023).

Everything else here (community topics, captions, names, novel coded terms) is invented.
"""

from __future__ import annotations

import numpy as np
import polars as pl

#: known coded hashtags (without ``#``), each with the public source that documents it.
KNOWN_HASHTAGS: dict[str, str] = {
    "cheesepizza": "WSJ/SIO 2023: cheese pizza = 'CP'",
    "cp": "WSJ/SIO 2023: 'CP'",
    "pedobait": "CNBC-TV18 2023: searchable hashtag named by WSJ",
    "mnsfw": "desensitizedmedia 2023: searchable hashtag named by WSJ",
    "megalinks": "NBC News Jan 2023; back2facts 2022: Mega-related hashtags",
    "littlethings": "Levine, WSJ 2023: 'lovers of the little things in life'",
}
#: known emoji codes (Tier C: innocent uses abound).
KNOWN_EMOJI: dict[str, str] = {
    "🧀🍕": "WSJ/SIO 2023; Telegraph 2020: cheese pizza",
    "🗺️": "Levine, WSJ 2023: map = minor-attracted person",
    "🌽": "Childhood Brasil 2025: corn ~ porn",
    "🍜": "Childhood Brasil 2025: noodles ~ nudes",
}
#: known coded phrases.
KNOWN_PHRASES: dict[str, str] = {
    "lovers of the little things in life": "Levine, WSJ 2023",
    "c*p": "back2facts 2022",
}
#: selling wording (weak alone: adult creators and shops use it too).
SELLING_WORDS = ("menu", "prices", "DM for content", "commissions open", "trade", "link in bio")
#: age-in-code forms; ``{n}`` is an age 12-15, ``{r}`` its digits reversed (WSJ via blinkscoop).
AGE_CODES = ("on chapter {n} 📖", "{r}↩️", "chapter {n}")


def known_terms() -> list[str]:
    """Every known coded term the simulator may use (hashtags, emoji codes, phrases)."""
    return [*KNOWN_HASHTAGS, *KNOWN_EMOJI, *KNOWN_PHRASES]


# ---------------------------------------------------------------- obfuscation
_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})
_HOMOGLYPH = str.maketrans({"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "i": "і", "x": "х"})
_ZW = "\u200b"
_EMOJI_FORM = {"cheesepizza": "🧀🍕", "cp": "🧀🍕", "littlethings": "🗺️"}


def obfuscations(term: str) -> list[str]:
    """Obfuscated spellings of a known hashtag: leetspeak, Cyrillic homoglyphs,
    separators, zero-width characters, doubled letters and emoji forms."""
    out = [
        term.translate(_LEET),
        term.translate(_HOMOGLYPH),
        "_".join(term) if len(term) <= 4 else term[: len(term) // 2] + "_" + term[len(term) // 2 :],
        _ZW.join(term),
        term[:2] + term[1] + term[2:],  # doubled letter, a spelling mutation
        ".".join(term[:4]) + term[4:],
    ]
    if term in _EMOJI_FORM:
        out.append(_EMOJI_FORM[term])
    return list(dict.fromkeys(v for v in out if v != term))


def obfuscate_word(word: str) -> list[str]:
    """Obfuscated forms of a selling word ("menu" -> "m3nu", "m.e.n.u", ...)."""
    return [word.translate(_LEET), ".".join(word), word.translate(_HOMOGLYPH)]


# ---------------------------------------------------------------- novel terms
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sh", "tr", "kl", "br")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "oo")


def novel_terms(rng: np.random.Generator, n: int, avoid: set[str]) -> list[str]:
    """``n`` distinct pronounceable invented hashtags (three or four syllables), none in ``avoid``."""
    out: list[str] = []
    while len(out) < n:
        syll = rng.integers(3, 5)
        word = "".join(_ONSETS[rng.integers(len(_ONSETS))] + _VOWELS[rng.integers(len(_VOWELS))] for _ in range(syll))
        word += ("x", "z", "n", "")[rng.integers(4)]
        if word not in avoid and word not in out:
            out.append(word)
    return out


def random_tokens(rng: np.random.Generator, n: int, length: int = 8) -> pl.Series:
    """``n`` random lowercase-alphanumeric tokens (link slugs, handles' tails)."""
    alphabet = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype="S1")
    chars = alphabet[rng.integers(0, len(alphabet), size=(n, length))]
    return pl.Series(chars.view(f"S{length}").ravel().astype(f"U{length}"), dtype=pl.String)


# ---------------------------------------------------------------- benign text
TOPICS = (
    "hiking", "baking", "gardening", "running", "cycling", "photography", "vinyl", "jazz", "indie",
    "knitting", "cooking", "vegan", "coffee", "tea", "travel", "vanlife", "surfing", "climbing",
    "yoga", "chess", "boardgames", "anime", "scifi", "fantasy", "books", "poetry", "painting",
    "pottery", "woodwork", "cars", "motorbikes", "football", "basketball", "tennis", "golf",
    "fishing", "birding", "astronomy", "physics", "coding", "startups", "design", "fashion",
    "sneakers", "makeup", "skincare", "fitness", "crossfit", "dogs", "cats", "aquarium",
    "houseplants", "diy", "thrifting", "film", "theatre", "opera", "history", "politics", "finance",
)
TEEN_TOPICS = (
    "highschool", "cheer", "gymnastics", "skatepark", "fortnite", "minecraft", "kpop", "schoolband",
    "softball", "swimteam", "robotics", "dance", "volleyball", "theatrekids", "studygram",
)
TOPIC_SUFFIXES = ("", "life", "daily", "lovers", "club", "gram", "community", "vibes")
GENERIC_TAGS = ("photooftheday", "weekend", "love", "instagood", "happy", "tbt", "friends", "summer", "mood")
CAPTIONS = (
    "Great day out", "New favourite thing", "Can't believe this happened", "Throwback to last week",
    "Finally finished it", "Sunday mood", "Who else loves this?", "Trying something new",
    "Best part of my week", "Look what I found", "Progress, not perfection", "A little update",
    "Small wins", "Back at it", "So proud of this one", "Morning routine", "Weekend plans sorted",
)
BIO_PARTS = (
    "{topic} enthusiast", "into {topic}", "{topic} | coffee | dogs", "just here for {topic}",
    "{topic} and good vibes", "amateur {topic}", "{topic} nerd", "living for {topic}",
)
TEEN_BIO_PARTS = ("{topic} 💫", "{topic} | class of 2027", "{topic} girl", "{topic} kid", "{topic} ✨ bff")
PLACES = ("London", "Austin", "Lagos", "Lyon", "Osaka", "Leeds", "Denver", "Porto", "Perth", "Quito", "Oslo")
FIRST_NAMES = (
    "Alex", "Sam", "Jordan", "Maria", "Li", "Priya", "Omar", "Noah", "Emma", "Ava", "Lucas", "Mia",
    "Zoe", "Ivan", "Sara", "Kofi", "Aiko", "Diego", "Lena", "Ravi", "Chloe", "Mateo", "Nina", "Yusuf",
)
HANDLE_WORDS = (
    "sunny", "blue", "wild", "quiet", "lucky", "tiny", "north", "river", "pixel", "maple", "echo",
    "velvet", "cosmic", "lemon", "stone", "amber", "foggy", "silver", "brave", "zen",
)
BENIGN_LINK_HOSTS = ("linktr.ee/", "youtube.com/@", "shop.example/", "blog.example/", "www.example.com/")
INNOCENT_SEARCHES = ("cheese pizza near me", "pizza", "cheese pizza recipe", "corn recipes", "noodles", "map of europe", "mega sale")
SEARCH_WORDS = ("recipes", "near me", "tips", "best", "ideas", "tutorial", "news")
REPORT_TEXTS = {
    "spam": ("spam account", "fake giveaway", "keeps posting the same link"),
    "harassment": ("rude comments", "keeps messaging me", "bullying my friend"),
    "other": ("not sure", "seems fake", "impersonation"),
    "child_safety": ("this account seems unsafe for kids", "please check this account", "worried about this"),
    "nudity": ("inappropriate", "not suitable"),
}


def gather(choices: tuple[str, ...] | list[str], idx: np.ndarray) -> pl.Series:
    """``choices[idx]`` as a Polars string Series (vectorised pick)."""
    return pl.Series(list(choices), dtype=pl.String).gather(pl.Series(np.asarray(idx, dtype=np.int64)))


def pick(rng: np.random.Generator, choices: tuple[str, ...] | list[str], n: int) -> pl.Series:
    """``n`` uniform picks from ``choices`` as a Polars string Series."""
    return gather(choices, rng.integers(0, len(choices), n))


def community_topics(rng: np.random.Generator, n: int, teen: np.ndarray) -> tuple[list[str], list[list[str]]]:
    """A topic name and four hashtags per community; ``teen`` marks teen communities.

    Topics repeat with a numeric suffix when there are more communities than topics,
    so every community's hashtags are its own.
    """
    names: list[str] = []
    tags: list[list[str]] = []
    pools = {True: list(TEEN_TOPICS), False: list(TOPICS)}
    used: dict[str, int] = {}
    for c in range(n):
        pool = pools[bool(teen[c])]
        base = pool[rng.integers(len(pool))]
        used[base] = used.get(base, 0) + 1
        name = base if used[base] == 1 else f"{base}{used[base]}"
        suffixes = rng.choice(len(TOPIC_SUFFIXES) - 1, size=3, replace=False) + 1
        names.append(name)
        tags.append([name, *(name + TOPIC_SUFFIXES[s] for s in suffixes)])
    return names, tags


def maybe(values: pl.Series, keep: np.ndarray) -> pl.Series:
    """``values`` where ``keep`` is true, null elsewhere."""
    return pl.select(pl.when(pl.lit(pl.Series(keep))).then(pl.lit(values)).otherwise(None)).to_series().alias("")


def maybe_list(values: pl.Series, keep: np.ndarray) -> pl.Series:
    """One-element lists ``[values[i]]`` where ``keep[i]``, empty lists elsewhere."""
    return (
        pl.DataFrame({"v": values, "k": keep})
        .select(pl.when(pl.col("k")).then(pl.concat_list("v")).otherwise(pl.lit([], dtype=pl.List(pl.String))))
        .to_series()
        .cast(pl.List(pl.String))
    )


def join(parts: list[pl.Series], separator: str) -> pl.Series:
    """Row-wise ``separator.join`` of equal-length string Series."""
    return pl.select(pl.concat_str([pl.lit(p) for p in parts], separator=separator)).to_series()
