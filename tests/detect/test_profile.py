"""Profile signals: destination keys and joins, price lists, stated minor ages next to selling."""

from __future__ import annotations

import polars as pl

from firebreak.detect.profile import destinations, profile_signals
from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import empty


def snap(rows: list[dict], posts: list[dict] | None = None) -> Snapshot:
    acc = pl.concat([empty("accounts"), pl.DataFrame(rows)], how="diagonal_relaxed")
    p = empty("posts") if not posts else pl.concat([empty("posts"), pl.DataFrame(posts)], how="diagonal_relaxed")
    return Snapshot(accounts=acc, posts=p)


def test_destination_keys_join_spellings() -> None:
    s = snap(
        [
            {"id": "a", "bio": "", "links": ["https://t.me/SellerX/"]},
            {"id": "b", "bio": "telegram: @sellerx", "links": ["telegram.me/joinchat/SELLERX?x=1"]},
            {"id": "c", "bio": "files at mega.example/folder/AbC9", "links": ["https://mega.nz/folder/AbC9#key"]},
            {"id": "d", "bio": "my shop", "links": ["linktr.ee/Foo", "https://www.youtube.com/@me"]},
        ]
    )
    d = destinations(s)
    assert d.columns == ["account", "destination", "kind", "source"]
    keys = {(r["account"], r["destination"], r["kind"]) for r in d.iter_rows(named=True)}
    assert {("a", "telegram:sellerx", "messaging"), ("b", "telegram:sellerx", "messaging"), ("c", "mega:AbC9", "locker")} <= keys
    assert ("d", "linktree:foo", "aggregator") in keys and ("d", "youtube.com/@me", "web") in keys
    shared = d.group_by("destination").agg(pl.col("account").n_unique()).filter(pl.col("account") > 1)
    assert shared["destination"].to_list() == ["telegram:sellerx"]


def test_post_links_and_captions_count() -> None:
    s = snap([{"id": "a", "bio": None, "links": []}], [{"id": "p1", "author": "a", "text": "new set at gofile.io/d/XyZ", "links": ["session.example/05abc"]}])
    d = destinations(s)
    assert set(zip(d["destination"], d["source"], strict=True)) == {("gofile:d/XyZ", "caption"), ("session:05abc", "post_link")}


def test_menu_prices_and_minor_selling() -> None:
    s = snap(
        [
            {"id": "seller", "bio": "15 y/o · menu $20 / $35 · dm for prices", "links": []},
            {"id": "teen", "bio": "im 15 😜 basketball", "links": []},
            {"id": "shop", "bio": "Pizza $11, pasta $9", "links": []},
            {"id": "coded", "bio": "on chapter 14 📖", "links": []},
            {"id": "arrow", "bio": "31↩️ dm for menu", "links": []},
        ]
    )
    ev = profile_signals(s)
    got = {(r["account"], r["signal"]) for r in ev.iter_rows(named=True)}
    assert ("seller", "profile:minor_selling") in got and ("seller", "profile:menu_price") in got
    assert ("arrow", "profile:minor_selling") in got  # 31 + reverse arrow = 13
    assert ("coded", "profile:age_code") in got
    assert not any(a == "teen" for a, _ in got)  # a stated age alone is not evidence
    assert ("shop", "profile:menu_price") in got and not any(sig == "profile:minor_selling" for a, sig in got if a == "shop")
    assert ev.filter(pl.col("signal") == "profile:minor_selling")["ambiguous"].to_list() == [False, False]


def test_ages_written_in_keycap_and_other_numerals_are_read() -> None:
    s = snap(
        [
            {"id": "keycap", "bio": "on chapter 1\ufe0f\u20e34\ufe0f\u20e3", "links": []},
            {"id": "circled", "bio": "\u2460\u2464 y/o \u00b7 menu in bio, dm for prices", "links": []},
            {"id": "arrow", "bio": "3\ufe0f\u20e31\ufe0f\u20e3\u21a9\ufe0f dm for menu", "links": []},
            {"id": "adult", "bio": "on chapter 3\ufe0f\u20e30\ufe0f\u20e3", "links": []},
        ]
    )
    ev = profile_signals(s)
    got = {(r["account"], r["signal"], r["detail"]) for r in ev.iter_rows(named=True)}
    assert ("keycap", "profile:age_code") in {(a, sig) for a, sig, _ in got}
    assert any(a == "keycap" and "age 14" in d for a, _, d in got)
    assert any(a == "circled" and sig == "profile:minor_selling" and "age 15" in d for a, sig, d in got)
    assert any(a == "arrow" and sig == "profile:minor_selling" and "age 13" in d for a, sig, d in got)
    assert not any(a == "adult" for a, _, _ in got)
