"""detect_signals: surfaces, corroboration of ambiguous words, context, media rows."""

from __future__ import annotations

import polars as pl

from firebreak.detect.signals import detect_signals
from firebreak.evidence import EVIDENCE, Signal, category_of
from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import empty


def build() -> Snapshot:
    acc = pl.DataFrame(
        {
            "id": ["pizzeria", "journalist", "seller", "quiet", "buyer"],
            "handle": ["tonys_pizza", "jo_reports", "c_p_4u", "quiet1", "b1"],
            "display_name": ["Tony's", "Jo", "🧀🍕", "Q", "B"],
            "bio": [
                "Family pizzeria · cheese pizza Tuesdays 🧀🍕 menu & prices on our site",
                "Reporter covering online safety",
                "menu $20 / $40 · dm for menu",
                "gardening and tea",
                "",
            ],
            "links": [["order.example/menu"], [], ["t.me/abc123"], [], []],
        }
    )
    posts = pl.DataFrame(
        {
            "id": ["p1", "p2", "p3", "p4"],
            "author": ["pizzeria", "journalist", "seller", "quiet"],
            "text": [
                "Cheese pizza special $12, full menu in bio",
                "New investigation: networks used hashtags like #pedobait to advertise",
                "new set 🗺️",
                "my tomatoes",
            ],
            "hashtags": [["cheesepizza"], ["pedobait", "journalism"], ["p3d0bait"], ["garden"]],
            "links": [[], [], [], []],
        }
    )
    events = pl.DataFrame({"actor": ["journalist", "buyer"], "kind": ["search", "search"], "query": ["#mnsfw", "#mnsfw"]})
    cat = lambda t, df: pl.concat([empty(t), df], how="diagonal_relaxed")
    return Snapshot(accounts=cat("accounts", acc), posts=cat("posts", posts), events=cat("events", events))


def test_evidence_frame_and_corroboration() -> None:
    ev = detect_signals(build())
    assert ev.schema == EVIDENCE
    ev = ev.with_columns(pl.col("signal").cast(pl.String).map_elements(lambda v: category_of(Signal(v)), return_dtype=pl.String).alias("category"))
    w = ev.group_by("account").agg(pl.col("weight").sum()).to_dict(as_series=False)
    w = dict(zip(w["account"], w["weight"], strict=True))
    # the pizzeria's ambiguous words stay as evidence, with zero weight
    assert w["pizzeria"] == 0 and ev.filter(pl.col("account") == "pizzeria").height >= 3
    assert ev.filter(pl.col("account") == "pizzeria")["detail"].str.contains("uncorroborated").all()
    # the seller: an obfuscated explicit hashtag corroborates its ambiguous codes and menu
    seller = ev.filter(pl.col("account") == "seller")
    assert seller.filter(pl.col("category") == "explicit_hashtag")["weight"].max() > 0.5
    assert seller.filter(pl.col("ambiguous"))["weight"].min() > 0
    assert {"lexicon:emoji_code", "profile:offplatform", "profile:menu_price"} <= set(seller["signal"])
    # the journalist's quote and search are lowered by news wording
    jo = ev.filter(pl.col("account") == "journalist")
    assert (jo["context"] == "news").all() and jo["weight"].max() < 0.3
    assert "search:explicit_hashtag" in set(jo["signal"])
    # the buyer's search has no such context; searches are their own signal
    buyer = ev.filter(pl.col("account") == "buyer")
    assert buyer["signal"].to_list() == ["search:explicit_hashtag"] and buyer["weight"].max() == 0.9
    assert "quiet" not in set(ev["account"])


def test_media_rows_with_a_bank(tmp_path) -> None:
    from firebreak.detect.media import load_bank

    s = build()
    md5 = "0123456789abcdef0123456789abcdef"
    media = pl.Series([[{"pdq": None, "quality": None, "md5": md5}], [], [], []], dtype=empty("posts").schema["media"])
    s.posts = s.posts.with_columns(media=media)
    (tmp_path / "bank.txt").write_text(md5 + "\n", encoding="utf-8")
    ev = detect_signals(s, bank=load_bank(tmp_path / "bank.txt"))
    m = ev.filter(pl.col("signal") == "media:md5")
    assert m["account"].to_list() == ["pizzeria"] and not m["ambiguous"].any()


def test_searching_a_code_does_not_corroborate_commerce() -> None:
    s = build()
    s.events = pl.concat([s.events, pl.DataFrame({"actor": ["pizzeria"], "kind": ["search"], "query": ["cheese pizza"]})], how="diagonal_relaxed")
    ev = detect_signals(s)
    assert ev.filter(pl.col("account") == "pizzeria")["weight"].sum() == 0
