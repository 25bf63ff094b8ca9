"""Per-account evidence from a snapshot: lexicon hits, profile signals, media matches.

:func:`detect_signals` gathers every text surface of an account (bio, display
name, handle, profile links, post captions, post hashtags, post links, its search
queries), runs the lexicon over all of them in one batch, adds the profile
signals (:mod:`firebreak.detect.profile`) and, given a hash bank, the media
matches, and returns one evidence frame.

Hits in an account's own texts are ``lexicon:<category>`` rows; hits in its
search queries are ``search:<category>`` rows (searching coded terms is a buyer
behaviour, and journalists search them too).

**Corroboration.** Published codes are weak signals with innocent uses (a
pizzeria's "cheese pizza", an artist's "commissions", a journalist quoting a
hashtag). An account's *ambiguous* evidence keeps its weight only if the account
is corroborated, that is it has, in its own texts and profile (searches never
corroborate),

- a non-ambiguous signal outside news/advocacy wording (an explicit hashtag, a
  stated minor age next to selling wording, a media hash match), or
- an ambiguous *coded* signal (coded term, emoji code) outside news/advocacy
  wording **together with** at least two distinct commerce signals among menu or
  price wording, off-platform destinations or invitations, and age claims.

Otherwise its ambiguous rows stay in the frame (a reviewer sees them) with
weight 0 and ``uncorroborated`` in the detail. Hits inside news or advocacy
wording already carry the context rule's lowered weight and name it in
``context``; they never corroborate anything.
"""

from __future__ import annotations

import polars as pl

from firebreak.detect.lexicon import Lexicon, load_lexicon
from firebreak.detect.media.banks import HashBank
from firebreak.detect.profile import destinations, profile_signals
from firebreak.evidence import Signal, Unit, category_of, empty_evidence, evidence_frame
from firebreak.exprs import fmt
from firebreak.snapshot.model import Snapshot

__all__ = ["SURFACES", "destinations", "detect_signals", "texts_of"]

#: text surfaces scanned by the lexicon.
SURFACES = ("bio", "display_name", "handle", "profile_link", "caption", "hashtags", "post_link", "search")
#: weight factor for ambiguous evidence of an uncorroborated account.
UNCORROBORATED_FACTOR = 0.0
_CODED = ("explicit_hashtag", "coded_term", "emoji_code")
_CATEGORY = {s.value: category_of(s) for s in Signal}
_UNIT = {s.value: s.info.unit.value for s in Signal}
_COMMERCE_GROUP = {"menu_price": "menu", "offplatform_invite": "offplatform", "age_claim": "age"}


def texts_of(snapshot: Snapshot) -> pl.DataFrame:
    """Every text surface of every account: ``account, surface, ref, text``.

    ``ref`` is the post id for post surfaces, else null. Empty texts are dropped.
    Post hashtags become one ``#a #b`` text per post.
    """
    acc, posts, ev = snapshot.accounts, snapshot.posts, snapshot.events
    none = pl.lit(None, pl.String)
    parts = [
        acc.select(account=pl.col("id"), surface=pl.lit("bio"), ref=none, text=pl.col("bio")),
        acc.select(account=pl.col("id"), surface=pl.lit("display_name"), ref=none, text=pl.col("display_name")),
        acc.select(account=pl.col("id"), surface=pl.lit("handle"), ref=none, text=pl.col("handle")),
        acc.select(account=pl.col("id"), surface=pl.lit("profile_link"), ref=none, text=pl.col("links").list.join(" ")),
        posts.select(account=pl.col("author"), surface=pl.lit("caption"), ref=pl.col("id"), text=pl.col("text")),
        posts.select(
            account=pl.col("author"),
            surface=pl.lit("hashtags"),
            ref=pl.col("id"),
            text=pl.col("hashtags").list.eval(pl.lit("#") + pl.element()).list.join(" "),
        ),
        posts.select(account=pl.col("author"), surface=pl.lit("post_link"), ref=pl.col("id"), text=pl.col("links").list.join(" ")),
        ev.filter(pl.col("kind") == "search").select(account=pl.col("actor"), surface=pl.lit("search"), ref=none, text=pl.col("query")),
    ]
    return pl.concat(parts, how="vertical_relaxed").filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))


def lexicon_evidence(snapshot: Snapshot, lexicon: Lexicon) -> pl.DataFrame:
    """Lexicon evidence rows (:data:`firebreak.evidence.EVIDENCE`), one per (account, term, form,
    context), with counts and surfaces in ``detail``.

    Context wording reaches beyond its own text: a post's caption context covers
    its hashtags and links, and an account whose own bio or posts use news or
    advocacy wording has its *searches* lowered the same way (journalists and
    advocates search the terms they write about).
    """
    texts = texts_of(snapshot).with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    hits, ctx = lexicon.match_batch_with_context(texts.get_column("text"))
    if hits.height == 0:
        return empty_evidence()
    meta = texts.select("row", "account", "surface", "ref")
    hits = hits.join(meta, on="row")
    ctx = ctx.join(meta, on="row")
    post_ctx = ctx.filter(pl.col("ref").is_not_null()).group_by("account", "ref", "context").agg(pl.col("factor").min())
    acct_ctx = ctx.filter(pl.col("surface") != "search").group_by("account", "context").agg(pl.col("factor").min())
    allowed = pl.DataFrame(
        [(t.text, c) for t in lexicon.terms for c in t.context], schema={"term": pl.String, "context": pl.String}, orient="row"
    ).unique()
    base = {t.text: t.weight for t in lexicon.terms}
    hits = hits.with_row_index("_h")
    cand = pl.concat(
        [
            hits.filter(pl.col("context").is_null() & pl.col("ref").is_not_null()).select("_h", "term", "account", "ref").join(post_ctx, on=["account", "ref"]),
            hits.filter(pl.col("context").is_null() & (pl.col("surface") == "search")).select("_h", "term", "account").join(acct_ctx, on="account"),
        ],
        how="diagonal_relaxed",
    ).join(allowed, on=["term", "context"])
    # ties between contexts of equal factor are broken by a fixed order, never by the join's
    best = cand.sort(["factor", "context"], descending=[False, True]).unique("_h", keep="first").select("_h", ctx2="context", f2="factor")
    hits = (
        hits.join(best, on="_h", how="left")
        .with_columns(
            weight=pl.when(pl.col("f2").is_not_null())
            .then(pl.min_horizontal(pl.col("weight"), pl.col("term").replace_strict(base, return_dtype=pl.Float64) * pl.col("f2")))
            .otherwise(pl.col("weight")),
            context=pl.coalesce("context", "ctx2"),
        )
        .drop("_h", "ctx2", "f2")
    )
    hits = hits.with_columns(kind=pl.when(pl.col("surface") == "search").then(pl.lit("search")).otherwise(pl.lit("lexicon")))
    return (
        hits.group_by("account", "kind", "category", "term", "family", "form", "context", "ambiguous", "source", maintain_order=True)
        .agg(
            pl.len().alias("n"),
            pl.col("surface").unique().sort().str.join(","),
            pl.col("weight").max(),
            pl.col("ref").first(),
            pl.concat_list("start", "end").first().alias("span"),
        )
        .select(
            "account",
            signal=pl.col("kind") + ":" + pl.col("category"),
            detail=fmt('"{}" ({} {}) x{} in {}', "term", "family", "form", "n", "surface")
            + pl.when(pl.col("context").is_not_null()).then(fmt(" [{} wording]", "context")).otherwise(pl.lit("")),
            weight="weight",
            source="source",
            term="term",
            ambiguous="ambiguous",
            context="context",
            ref="ref",
            span="span",
        )
        .pipe(evidence_frame)
    )


def media_evidence(snapshot: Snapshot, bank: HashBank) -> pl.DataFrame:
    """Media-match evidence rows from ``firebreak.detect.media.match_posts``."""
    from firebreak.detect.media.match import match_posts

    m = match_posts(snapshot.posts, bank)
    if m.height == 0:
        return empty_evidence()
    return evidence_frame(
        m.select(
            "account",
            "signal",
            detail=fmt("post {}: {}", "post", "detail"),
            weight=pl.col("weight").cast(pl.Float64),
            source=fmt("hash bank {}", "bank"),
            hash=pl.col("hash"),
            ref=pl.col("post"),
        )
    )


def corroborate(evidence: pl.DataFrame) -> pl.DataFrame:
    """Apply the corroboration rule (module docstring) to an evidence frame."""
    if evidence.height == 0:
        return evidence
    category = pl.col("signal").cast(pl.String).replace_strict(_CATEGORY, default=None, return_dtype=pl.String)
    own = pl.col("signal").cast(pl.String).replace_strict(_UNIT, return_dtype=pl.String) != Unit.SEARCH.value
    clean = pl.col("context").is_null() & (pl.col("weight") > 0) & own
    per = evidence.with_columns(category=category).group_by("account").agg(
        strong=(clean & ~pl.col("ambiguous")).any(),
        coded=(clean & pl.col("category").is_in(_CODED)).any(),
        commerce=pl.col("category").replace_strict(_COMMERCE_GROUP, default=None, return_dtype=pl.String).filter(clean).drop_nulls().n_unique(),
    )
    per = per.select("account", corroborated=pl.col("strong") | (pl.col("coded") & (pl.col("commerce") >= 2)))
    out = evidence.join(per, on="account", how="left", maintain_order="left")
    weak = pl.col("ambiguous") & ~pl.col("corroborated")
    return out.with_columns(
        weight=pl.when(weak).then(pl.col("weight") * UNCORROBORATED_FACTOR).otherwise(pl.col("weight")),
        detail=pl.when(weak).then(pl.col("detail") + " [ambiguous, uncorroborated]").otherwise(pl.col("detail")),
    ).drop("corroborated")


def detect_signals(
    snapshot: Snapshot,
    bank: HashBank | None = None,
    lexicon: Lexicon | None = None,
    dests: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per-account evidence for ``snapshot``.

    Returns one row per evidence item with columns ``account, signal, detail,
    weight, source, term, ambiguous, context, counterpart, hash, ref, span``
    (:data:`firebreak.evidence.EVIDENCE`),
    sorted by account then weight (descending). ``bank`` (a
    :class:`firebreak.detect.media.HashBank`) adds ``media:*`` rows; ``lexicon``
    defaults to :func:`load_lexicon`; ``dests`` reuses a :func:`destinations` frame.
    """
    lexicon = load_lexicon() if lexicon is None else lexicon
    parts = [lexicon_evidence(snapshot, lexicon), profile_signals(snapshot, dests)]
    if bank is not None:
        parts.append(media_evidence(snapshot, bank))
    evidence = corroborate(pl.concat(parts, how="vertical"))
    return evidence.sort([pl.col("account"), pl.col("weight"), pl.col("signal").cast(pl.String), pl.col("detail")], descending=[False, True, False, False])
