"""Profile signals: off-platform destinations, menus and prices, stated ages next to selling.

Everything here is vectorised Polars string expressions (``str.extract_all``,
regex) over whole columns; no per-row Python.

- **Destinations** (:func:`destinations`): URLs and app handles in profile links,
  bios, post links and captions are parsed into a *normalised destination key*
  (``telegram:somechannel``, ``mega:folder/AbC``, ``linktree:name``) so that two
  accounts sharing one can be joined. Kinds: ``messaging`` (Telegram, WhatsApp,
  Signal, Session, Wickr, Kik, Snapchat, Discord), ``locker`` (Mega, Dropbox,
  Gofile, file hosts), ``aggregator`` (Linktree, Beacons, AllMyLinks) and ``web``.
  Fictional ``*.example`` hosts are classified by their first label
  (``mega.example`` is a Mega-like locker), as the simulator uses them.
- **Menus/prices**: currency amounts; two or more in one text is a price list.
- **Minor selling**: a stated age under 18 (``15 y/o``, ``age 14``, ``on chapter 14``,
  ``31↩️`` read backwards) in a text that also has selling wording; ages written in
  keycap, circled or fullwidth digits (``on chapter 1️⃣4️⃣``) are read after
  :func:`~firebreak.detect.normalize.fold_numerals_expr`.
"""

from __future__ import annotations

from typing import cast

import polars as pl

from firebreak.detect.normalize import fold_numerals_expr
from firebreak.evidence import Signal, evidence_frame
from firebreak.exprs import fmt
from firebreak.snapshot.model import Snapshot

#: service -> (kind, known hosts, names used in handles/labels)
SERVICES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "telegram": ("messaging", ("t.me", "telegram.me", "telegram.dog"), ("telegram", "tg")),
    "whatsapp": ("messaging", ("wa.me", "whatsapp.com", "chat.whatsapp.com"), ("whatsapp", "wa")),
    "signal": ("messaging", ("signal.me", "signal.group"), ("signal",)),
    "session": ("messaging", ("getsession.org",), ("session",)),
    "wickr": ("messaging", ("wickr.com", "wickr.me"), ("wickr", "wickrme")),
    "kik": ("messaging", ("kik.me", "kik.com"), ("kik",)),
    "snapchat": ("messaging", ("snapchat.com",), ("snapchat", "snap", "sc")),
    "discord": ("messaging", ("discord.gg", "discord.com", "discordapp.com"), ("discord",)),
    "mega": ("locker", ("mega.nz", "mega.io", "mega.co.nz"), ("mega",)),
    "dropbox": ("locker", ("dropbox.com", "db.tt"), ("dropbox",)),
    "gofile": ("locker", ("gofile.io",), ("gofile",)),
    "files": ("locker", ("mediafire.com", "anonfiles.com", "files.fm"), ("files", "mediafire")),
    "linktree": ("aggregator", ("linktr.ee",), ("linktree", "linktr")),
    "beacons": ("aggregator", ("beacons.ai", "beacons.page"), ("beacons",)),
    "allmylinks": ("aggregator", ("allmylinks.com",), ("allmylinks",)),
}
#: path segments that are routing, not identity (``t.me/joinchat/X`` -> ``X``).
_ROUTING = ("joinchat", "invite", "s", "send", "folder", "file", "f", "u", "c", "add")
#: services whose ids are case-insensitive handles.
_CASELESS = ("messaging", "aggregator")

_HOST_TO_SERVICE = {h: s for s, (_, hosts, _) in SERVICES.items() for h in hosts}
_LABEL_TO_SERVICE = {lab: s for s, (_, _, labels) in SERVICES.items() for lab in labels} | {s: s for s in SERVICES}
_KIND = {s: k for s, (k, _, _) in SERVICES.items()}

_KNOWN_HOSTS = sorted(_HOST_TO_SERVICE, key=len, reverse=True)
_HOST_ALT = "|".join(h.replace(".", r"\.") for h in _KNOWN_HOSTS)
#: URL-looking strings in free text: known hosts, or any *.example host.
URL_IN_TEXT = rf"(?i)(?:https?://)?(?:www\.)?(?:(?:{_HOST_ALT})|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.example)(?:/[^\s\"'<>)\]]*)?"
#: "telegram: @name", "kik: name", "snap @name" (a colon, equals sign or @ is required).
_HANDLE_LABELS = "|".join(sorted({lab for _, _, labels in SERVICES.values() for lab in labels if len(lab) > 2}, key=len, reverse=True))
HANDLE_IN_TEXT = rf"(?i)\b(?:{_HANDLE_LABELS})(?:\s*id)?\s*(?:[:=]\s*@?|@)[a-z0-9][a-z0-9_.]{{2,}}"

CURRENCY_AMOUNT = r"(?i)(?:[$€£¥₹]\s?\d{1,6}(?:[.,]\d{1,2})?|\b\d{1,6}(?:[.,]\d{1,2})?\s?(?:\$|€|£|usd|eur|gbp|usdt|btc)\b)"
SELLING_WORDS = r"(?i)\b(?:menu|prices?|price list|pricelist|selling|for sale|buy|trade|trading|commissions?|dm for|dm me|content|vip|customs?|paypal|cashapp|venmo|crypto|btc|link in bio)\b|[$€£]\s?\d"
#: stated ages; every pattern captures the age digits in group 1.
AGE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(?i)\b(1[0-7]|[5-9])\s*(?:y/?o|yrs?\s*old|years?\s*old|yo)\b", "stated"),
    (r"(?i)\b(?:age|aged|i'?m|i am)\s*:?\s*(1[0-7]|[5-9])\b", "stated"),
    (r"(?i)\bchapter\s*(1[0-7]|[5-9])\b", "coded"),
)
#: a two-digit number then a reverse arrow: read backwards ("31↩️" = 13).
REVERSED_AGE = r"\b(\d)(\d)\s*(?:\x{21A9}|\x{1F504}|\x{2B05}|\x{1F519})"

DEST_SCHEMA = pl.Schema({"account": pl.String, "destination": pl.String, "kind": pl.String, "source": pl.String})
#: evidence weight per destination kind (web links carry none).
DEST_WEIGHT = {"messaging": 0.25, "locker": 0.35, "aggregator": 0.05}


def destination_key(url: pl.Expr) -> pl.Expr:
    """A struct ``{destination, kind}`` from a URL/handle-ish string expression.

    Scheme, ``www.``, query and fragment are dropped; the host maps to a service by
    exact host or by its first label; routing path segments are skipped; handles of
    messaging services and aggregators are lower-cased.

    >>> urls = pl.DataFrame({"u": ["https://t.me/joinchat/SomeChannel", "mega.example/folder/AbC"]})
    >>> urls.select(d=destination_key(pl.col("u"))).unnest("d").rows()
    [('telegram:somechannel', 'messaging'), ('mega:AbC', 'locker')]
    """
    s = url.str.strip_chars().str.replace(r"(?i)^[a-z][a-z0-9+.-]*://", "").str.replace(r"(?i)^www\.", "")
    s = s.str.replace(r"[?#].*$", "").str.strip_chars_end("/")
    host = s.str.extract(r"^([^/]+)", 1).str.to_lowercase()
    path = s.str.extract(r"^[^/]+/(.*)$", 1).fill_null("")
    label = host.str.extract(r"^([a-z0-9-]+)", 1)
    service = (
        pl.when(host.is_in(_KNOWN_HOSTS))
        .then(host.replace_strict(_HOST_TO_SERVICE, default=None, return_dtype=pl.String))
        .when(host.str.ends_with(".example"))
        .then(label.replace_strict(_LABEL_TO_SERVICE, default=None, return_dtype=pl.String))
        .otherwise(None)
    )
    kind = service.replace_strict(_KIND, default="web", return_dtype=pl.String)
    segs = path.str.split("/").list.eval(pl.element().filter((pl.element() != "") & ~pl.element().str.to_lowercase().is_in(_ROUTING)))
    ident = segs.list.join("/")
    ident = pl.when(kind.is_in(_CASELESS)).then(ident.str.to_lowercase().str.strip_chars_start("@")).otherwise(ident)
    dest = pl.when(service.is_not_null()).then(service + ":" + ident).otherwise(host + pl.when(ident != "").then("/" + ident).otherwise(pl.lit("")))
    return pl.struct(destination=dest, kind=kind)


def handle_key(mention: pl.Expr) -> pl.Expr:
    """A struct ``{destination, kind}`` from a text mention like ``telegram: @name``."""
    m = mention.str.to_lowercase()
    label = m.str.extract(rf"^({_HANDLE_LABELS})", 1)
    name = m.str.extract(r"@?([a-z0-9][a-z0-9_.]{2,})$", 1).str.strip_chars_end(".")
    service = label.replace_strict(_LABEL_TO_SERVICE, default=None, return_dtype=pl.String)
    return pl.struct(destination=service + ":" + name, kind=service.replace_strict(_KIND, default="web", return_dtype=pl.String))


def _surfaces(snapshot: Snapshot) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(link rows ``account, url, source``; text rows ``account, text, source``)."""
    acc = snapshot.accounts
    posts = snapshot.posts
    links = pl.concat(
        [
            acc.select(account=pl.col("id"), url=pl.col("links"), source=pl.lit("profile_link")).explode("url"),
            posts.select(account=pl.col("author"), url=pl.col("links"), source=pl.lit("post_link")).explode("url"),
        ]
    ).filter(pl.col("url").is_not_null() & (pl.col("url").str.strip_chars() != ""))
    texts = pl.concat(
        [
            acc.select(account=pl.col("id"), text=pl.col("bio"), source=pl.lit("bio")),
            posts.select(account=pl.col("author"), text=pl.col("text"), source=pl.lit("caption")),
        ]
    ).filter(pl.col("text").is_not_null() & (pl.col("text") != ""))
    return links, texts


def destinations(snapshot: Snapshot) -> pl.DataFrame:
    """Off-platform destinations per account: ``account, destination, kind, source``.

    One row per distinct (account, destination, source); ``source`` is
    ``profile_link``, ``post_link``, ``bio`` or ``caption``. Two accounts with the
    same ``destination`` share it (the scan joins on it).
    """
    links, texts = _surfaces(snapshot)
    from_links = links.select("account", "source", d=destination_key(pl.col("url"))).unnest("d")
    urls = texts.select("account", "source", url=pl.col("text").str.extract_all(URL_IN_TEXT)).explode("url").drop_nulls("url")
    from_urls = urls.select("account", "source", d=destination_key(pl.col("url"))).unnest("d")
    mentions = texts.select("account", "source", m=pl.col("text").str.extract_all(HANDLE_IN_TEXT)).explode("m").drop_nulls("m")
    from_handles = mentions.select("account", "source", d=handle_key(pl.col("m"))).unnest("d")
    out = pl.concat([from_links, from_urls, from_handles], how="diagonal_relaxed")
    return (
        out.filter(pl.col("destination").is_not_null() & (pl.col("destination") != ""))
        .select(DEST_SCHEMA.names())
        .cast(DEST_SCHEMA)
        .unique(maintain_order=True)
    )


def _evidence(frame: pl.DataFrame, signal: Signal, detail: pl.Expr, weight: pl.Expr | float,
              source: str, term: pl.Expr | str, ambiguous: bool) -> pl.DataFrame:
    """``frame`` (one row per account) as evidence rows (:data:`firebreak.evidence.EVIDENCE`)."""
    return evidence_frame(
        frame.select(
            "account",
            signal=pl.lit(signal.value),
            detail=detail,
            weight=weight if isinstance(weight, pl.Expr) else pl.lit(weight),
            source=pl.lit(source),
            term=term if isinstance(term, pl.Expr) else pl.lit(term),
            ambiguous=pl.lit(ambiguous),
        )
    )


def profile_signals(snapshot: Snapshot, dests: pl.DataFrame | None = None) -> pl.DataFrame:
    """Evidence rows (:data:`firebreak.evidence.EVIDENCE`) for off-platform destinations, price lists,
    coded ages and stated minor ages next to selling wording. ``dests`` reuses a
    :func:`destinations` frame."""
    dests = destinations(snapshot) if dests is None else dests
    off = _evidence(
        dests.filter(pl.col("kind").is_in(list(DEST_WEIGHT)))
        .group_by("account", "destination", "kind", maintain_order=True)
        .agg(pl.col("source").unique().sort().str.join(",")),
        Signal.PROFILE_OFFPLATFORM,
        fmt("{} destination {} (in {})", "kind", "destination", "source"),
        pl.col("kind").replace_strict(DEST_WEIGHT, return_dtype=pl.Float64),
        "public-findings 3.2-3.3: cross-site links, Mega hashtags, chat-group identifiers (WSJ 2023; NBC 2023; SIO 2023)",
        pl.col("destination"),
        ambiguous=True,
    )
    _, texts = _surfaces(snapshot)
    # ages are read with numerals folded: keycap, circled, fullwidth digits ("on chapter 1️⃣4️⃣")
    num = pl.when(pl.col("text").str.contains(r"[^\x00-\x7F]")).then(cast(pl.Expr, fold_numerals_expr(pl.col("text")))).otherwise(pl.col("text"))
    t = texts.with_columns(num=num).with_columns(
        n_prices=pl.col("text").str.count_matches(CURRENCY_AMOUNT),
        selling=pl.col("text").str.contains(SELLING_WORDS),
        age=pl.coalesce(
            [pl.col("num").str.extract(p, 1).cast(pl.Int64, strict=False) for p, _ in AGE_PATTERNS]
            + [(pl.col("num").str.extract(REVERSED_AGE, 2) + pl.col("num").str.extract(REVERSED_AGE, 1)).cast(pl.Int64, strict=False)]
        ),
        coded_age=pl.any_horizontal(
            [pl.col("num").str.contains(p) for p, kind in AGE_PATTERNS if kind == "coded"] + [pl.col("num").str.contains(REVERSED_AGE)]
        ),
    )
    prices = _evidence(
        t.filter(pl.col("n_prices") >= 2).group_by("account", maintain_order=True).agg(pl.len().alias("n"), pl.col("source").unique().sort().str.join(",")),
        Signal.PROFILE_MENU_PRICE,
        fmt("price list ({} text(s) with 2+ currency amounts, in {})", "n", "source"),
        0.2,
        "WSJ June 2023: menus and price lists; caution: shops, restaurants, creators (public-findings 3.6)",
        "price list",
        ambiguous=True,
    )
    minors = t.filter(pl.col("age").is_not_null() & (pl.col("age") < 18))
    youngest = (pl.col("age").min(), pl.col("source").unique().sort().str.join(","))
    selling = _evidence(
        minors.filter(pl.col("selling")).group_by("account", maintain_order=True).agg(*youngest),
        Signal.PROFILE_MINOR_SELLING,
        fmt("stated age {} next to selling wording (in {})", "age", "source"),
        0.5,
        "WSJ June 2023 (via blinkscoop): sellers state a minor's age, also in code ('on chapter 14', '31' + reverse arrow)",
        fmt("age {}", "age"),
        ambiguous=False,
    )
    coded = _evidence(
        minors.filter(pl.col("coded_age") & ~pl.col("selling")).group_by("account", maintain_order=True).agg(*youngest),
        Signal.PROFILE_AGE_CODE,
        fmt("age {} written in code (in {})", "age", "source"),
        0.2,
        "WSJ June 2023 (via blinkscoop): 'on chapter 14', '31' + reverse arrow",
        fmt("age {}", "age"),
        ambiguous=True,
    )
    return pl.concat([off, prices, selling, coded], how="vertical")
