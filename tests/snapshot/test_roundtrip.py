"""Property: write_snapshot then read_snapshot gives back the same frames, in every encoding."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from firebreak.snapshot import Snapshot, read_snapshot, write_snapshot
from firebreak.snapshot.schema import AGE_GROUPS, ENCODINGS, EVENT_KINDS, REPORT_REASONS, SCHEMAS, STATUSES

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
maybe_text = st.none() | text
ids = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)
timestamps = st.none() | st.datetimes(
    min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
)
hexes = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
md5s = st.text(alphabet="0123456789ABCDEF", min_size=32, max_size=32)
media = st.fixed_dictionaries(
    {"pdq": st.none() | hexes, "quality": st.none() | st.integers(0, 100), "md5": st.none() | md5s}
)
str_lists = st.none() | st.lists(text, max_size=3)


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    """Random valid snapshots: unique ids, references to existing accounts, given hashtags."""
    account_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    accounts = [
        {"id": a, "handle": draw(maybe_text), "display_name": draw(maybe_text), "bio": draw(maybe_text),
         "created_at": draw(timestamps), "age_group": draw(st.none() | st.sampled_from(AGE_GROUPS)),
         "links": draw(str_lists), "status": draw(st.sampled_from(STATUSES))}
        for a in account_ids
    ]
    who = st.sampled_from(account_ids)
    follows = [
        {"src": draw(who), "dst": draw(who), "created_at": draw(timestamps)} for _ in range(draw(st.integers(0, 6)))
    ]
    post_ids = draw(st.lists(ids, max_size=4, unique=True))
    posts = [
        {"id": p, "author": draw(who), "created_at": draw(timestamps), "text": draw(maybe_text),
         "hashtags": draw(st.lists(text.filter(lambda t: not t.startswith("#")), max_size=3)),
         "media": draw(st.none() | st.lists(media, max_size=2)), "links": draw(str_lists)}
        for p in post_ids
    ]
    events = [
        {"actor": draw(who), "kind": draw(st.sampled_from(EVENT_KINDS)), "target": draw(st.none() | ids),
         "query": draw(maybe_text), "created_at": draw(timestamps)}
        for _ in range(draw(st.integers(0, 3)))
    ]
    reports = [
        {"id": r, "reporter": draw(st.none() | ids), "target_kind": draw(st.none() | st.just("account")),
         "target": draw(ids), "reason": draw(st.none() | st.sampled_from(REPORT_REASONS)), "text": draw(maybe_text),
         "created_at": draw(timestamps)}
        for r in draw(st.lists(ids, max_size=3, unique=True))
    ]
    return Snapshot(
        accounts=pl.DataFrame(accounts, schema=SCHEMAS["accounts"]),
        follows=pl.DataFrame(follows, schema=SCHEMAS["follows"]),
        posts=pl.DataFrame(posts, schema=SCHEMAS["posts"]),
        events=pl.DataFrame(events, schema=SCHEMAS["events"]),
        reports=pl.DataFrame(reports, schema=SCHEMAS["reports"]),
    )


def _csv_view(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV cannot tell an empty string from null in a top-level cell: compare with "" as null."""
    return frame.with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c)
        for c, d in frame.schema.items()
        if d == pl.String
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(snapshot=snapshots())
def test_write_then_read_is_identity(encoding: str, snapshot: Snapshot) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = read_snapshot(write_snapshot(snapshot, Path(tmp), encoding))
    assert result.quarantine.height == 0, result.quarantine.rows()
    for table in ("accounts", "follows", "posts", "events", "reports"):
        got, want = result.snapshot.table(table), snapshot.table(table)
        if encoding == "csv":
            got, want = _csv_view(got), _csv_view(want)
        assert_frame_equal(got, want)
