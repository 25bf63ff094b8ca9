"""Fixtures for the snapshot tests: a small valid snapshot touching every table and field."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from firebreak.snapshot import Snapshot
from firebreak.snapshot.schema import SCHEMAS

UTC = dt.UTC
PDQ = "a" * 64
MD5 = "0123456789abcdef" * 2


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """A canonical frame for ``table`` from row dicts (missing keys are null)."""
    return pl.DataFrame(rows, schema=SCHEMAS[table])


def small_snapshot() -> Snapshot:
    """Three accounts, follows among them, posts, events, reports and labels."""
    t = dt.datetime(2023, 6, 7, 12, 0, tzinfo=UTC)
    return Snapshot(
        accounts=frame(
            "accounts",
            [
                {"id": "a1", "handle": "pizza_place", "display_name": "Pizza, \"best\"", "bio": "hot pies\nnew line",
                 "created_at": t, "age_group": "adult", "links": ["https://example.org/menu"], "status": "active"},
                {"id": "a2", "handle": "ünï", "display_name": None, "bio": "", "created_at": None,
                 "age_group": "minor", "links": [], "status": "active"},
                {"id": "a3", "handle": "gone", "created_at": dt.datetime(2020, 1, 1, 0, 0, 0, 500000, tzinfo=UTC),
                 "age_group": "unknown", "links": None, "status": "disabled"},
            ],
        ),
        follows=frame("follows", [{"src": "a1", "dst": "a2", "created_at": t}, {"src": "a2", "dst": "a3"}]),
        posts=frame(
            "posts",
            [
                {"id": "p1", "author": "a1", "created_at": t, "text": "fresh #pizza today", "hashtags": ["pizza"],
                 "media": [{"pdq": PDQ, "quality": 90, "md5": MD5}, {"pdq": None, "quality": None, "md5": MD5}],
                 "links": ["https://example.org"]},
                {"id": "p2", "author": "a2", "text": "no tags", "hashtags": [], "media": None, "links": None},
            ],
        ),
        events=frame(
            "events",
            [
                {"actor": "a2", "kind": "view", "target": "a1", "created_at": t},
                {"actor": "a2", "kind": "search", "target": None, "query": "pizza near me"},
            ],
        ),
        reports=frame(
            "reports",
            [
                {"id": "r1", "reporter": "a2", "target_kind": "account", "target": "a1", "reason": "spam",
                 "text": "too many posts", "created_at": t},
                {"id": "r2", "reporter": None, "target_kind": "post", "target": "p1", "reason": "other"},
            ],
        ),
        labels=frame("labels", [{"account": "a1", "role": "benign", "network": None}]),
        manifest={"platform": "test", "exported_at": "2023-06-08T00:00:00Z"},
    )


@pytest.fixture
def snapshot() -> Snapshot:
    """A small valid snapshot."""
    return small_snapshot()
