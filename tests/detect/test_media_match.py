"""match_posts: PDQ within each bank's distance, MD5 exactly, negative banks suppress."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from firebreak.detect.media import HashBank, load_bank, match_posts
from firebreak.detect.media.hamming import codes_to_hex
from firebreak.snapshot.schema import POSTS

rng = np.random.default_rng(5)
BASE = rng.integers(0, 256, size=(4, 32), dtype=np.uint8)
HEX = codes_to_hex(BASE).to_list()
M_BAD, M_BENIGN = "1" * 32, "2" * 32


def near(row: int, flips: int) -> str:
    """BASE[row] with its first ``flips`` bits flipped (distance exactly ``flips``)."""
    bits = np.unpackbits(BASE[row])
    bits[:flips] ^= 1
    return np.packbits(bits).tobytes().hex()


def posts(rows: list[tuple[str, str, list[dict[str, object]] | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"id": [r[0] for r in rows], "author": [r[1] for r in rows], "media": [r[2] for r in rows]},
        schema={"id": POSTS["id"], "author": POSTS["author"], "media": POSTS["media"]},
    )


def make_bank(tmp_path: Path, toml: str = ""):  # type: ignore[no-untyped-def]
    (tmp_path / "known.txt").write_text(f"{HEX[0]}\n{HEX[1]}\n{M_BAD}\n")
    (tmp_path / "strict.txt").write_text(f"{HEX[2]}\n")
    (tmp_path / "negative_benign.txt").write_text(f"{HEX[3]}\n{M_BENIGN}\n")
    (tmp_path / "banks.toml").write_text("[strict]\ndistance = 8\nweight = 2.5\n" + toml)
    return load_bank(tmp_path)


def test_pdq_match_within_distance_with_evidence(tmp_path: Path) -> None:
    bank = make_bank(tmp_path)
    out = match_posts(posts([("p1", "alice", [{"pdq": near(0, 31), "quality": 90, "md5": None}]),
                             ("p2", "bob", [{"pdq": near(1, 32), "quality": 90, "md5": None}])]), bank)
    assert out.columns[:6] == ["post", "account", "signal", "detail", "weight", "distance"]
    assert out.select("post", "account", "signal", "distance", "bank", "hash").rows() == [
        ("p1", "alice", "media:pdq", 31, "known", HEX[0])
    ]
    assert out["detail"][0] == f"bank known: PDQ {HEX[0]} at distance 31"
    assert out["weight"][0] == 1.0


def test_per_bank_distance_and_weight(tmp_path: Path) -> None:
    bank = make_bank(tmp_path)
    out = match_posts(posts([("p1", "a", [{"pdq": near(2, 8), "quality": None, "md5": None}]),
                             ("p2", "b", [{"pdq": near(2, 9), "quality": None, "md5": None}])]), bank)
    assert out.select("post", "bank", "weight", "distance").rows() == [("p1", "strict", 2.5, 8)]


def test_low_quality_post_media_is_not_matched(tmp_path: Path) -> None:
    bank = make_bank(tmp_path)
    out = match_posts(posts([("p1", "a", [{"pdq": HEX[0], "quality": 49, "md5": None}]),
                             ("p2", "b", [{"pdq": HEX[0].upper(), "quality": 50, "md5": None}])]), bank)
    assert out["post"].to_list() == ["p2"]


def test_md5_exact_match(tmp_path: Path) -> None:
    bank = make_bank(tmp_path)
    out = match_posts(posts([("p1", "a", [{"pdq": None, "quality": None, "md5": M_BAD.upper()}]),
                             ("p2", "b", [{"pdq": None, "quality": None, "md5": "1" * 31 + "0"}])]), bank)
    assert out.select("post", "signal", "distance", "detail").rows() == [
        ("p1", "media:md5", 0, f"bank known: MD5 {M_BAD} exact match")
    ]


def test_negative_bank_suppresses_matches_on_the_same_media(tmp_path: Path) -> None:
    # HEX[3] is benign; make the positive bank also hold a near copy of it
    (tmp_path / "extra.txt").write_text(f"{near(3, 5)}\n")
    bank = make_bank(tmp_path)
    media = posts([
        ("p1", "a", [{"pdq": HEX[3], "quality": 100, "md5": None}]),  # benign, also near "extra": suppressed
        ("p2", "b", [{"pdq": HEX[0], "quality": 100, "md5": M_BENIGN}]),  # benign by MD5: PDQ match suppressed
        ("p3", "c", [{"pdq": HEX[0], "quality": 100, "md5": None}, {"pdq": HEX[3], "quality": 100, "md5": None}]),
    ])
    out = match_posts(media, bank)
    # p3's first item still matches: suppression is per media item, not per post
    assert out.select("post", "bank").rows() == [("p3", "known")]
    # without the negative bank, both items showing HEX[3] match "extra"
    assert match_posts(media, load_bank(tmp_path / "extra.txt"))["post"].to_list() == ["p1", "p3"]


def test_no_media_and_malformed_hashes_give_an_empty_typed_frame(tmp_path: Path) -> None:
    bank = make_bank(tmp_path)
    out = match_posts(posts([("p1", "a", None), ("p2", "b", []),
                             ("p3", "c", [{"pdq": "not-hex", "quality": 90, "md5": "xyz"}])]), bank)
    assert out.height == 0
    assert out.schema["distance"] == pl.Int64 and out.schema["weight"] == pl.Float64


def test_duplicate_media_in_one_post_gives_one_row(tmp_path: Path) -> None:
    bank = make_bank(tmp_path)
    item = {"pdq": HEX[1], "quality": 100, "md5": None}
    out = match_posts(posts([("p1", "a", [item, item, {"pdq": near(1, 3), "quality": 100, "md5": None}])]), bank)
    assert out.select("post", "bank", "distance").rows() == [("p1", "known", 0)]


def test_full_posts_schema_and_a_saved_bank(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    make_bank(tmp_path / "src").save(tmp_path / "saved")
    bank = load_bank(tmp_path / "saved")
    frame = pl.DataFrame(
        {"id": ["p9"], "author": ["zed"], "text": ["[caption]"], "media": [[{"pdq": near(0, 4), "quality": 80, "md5": M_BAD}]]},
    )
    full = pl.concat([pl.DataFrame(schema=POSTS), frame], how="diagonal_relaxed")
    out = match_posts(full, bank)
    assert out.select("post", "account", "signal", "distance").sort("signal").rows() == [
        ("p9", "zed", "media:md5", 0),
        ("p9", "zed", "media:pdq", 4),
    ]


def test_loosely_typed_posts_frame_is_accepted() -> None:
    bank = HashBank.from_hashes([HEX[0]])
    loose = pl.DataFrame({"id": ["p"], "author": ["a"], "media": [[{"pdq": HEX[0], "quality": None, "md5": None}]]})
    assert match_posts(loose, bank).select("post", "distance").rows() == [("p", 0)]
