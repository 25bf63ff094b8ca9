"""The snapshot format (``shared/spec/snapshot-format.md``, version 1) as Polars schemas.

Each table has a canonical Polars schema. Readers turn any encoding (jsonl,
jsonl.gz, csv, parquet) into frames with exactly these columns and dtypes
(absent optional columns are filled with nulls); writers write them back.
Timestamps are UTC ``Datetime("us", "UTC")``; list fields are ``List``.
"""

from __future__ import annotations

import polars as pl

FORMAT_VERSION = 1

TS = pl.Datetime("us", "UTC")
STR_LIST = pl.List(pl.String)
MEDIA = pl.List(pl.Struct({"pdq": pl.String(), "quality": pl.Int64(), "md5": pl.String()}))

ACCOUNTS = pl.Schema(
    {
        "id": pl.String(),
        "handle": pl.String(),
        "display_name": pl.String(),
        "bio": pl.String(),
        "created_at": TS,
        "age_group": pl.String(),  # "minor" | "adult" | "unknown"
        "links": STR_LIST,
        "status": pl.String(),  # "active" (default) | "disabled"
    }
)
FOLLOWS = pl.Schema({"src": pl.String(), "dst": pl.String(), "created_at": TS})
POSTS = pl.Schema(
    {
        "id": pl.String(),
        "author": pl.String(),
        "created_at": TS,
        "text": pl.String(),
        "hashtags": STR_LIST,
        "media": MEDIA,
        "links": STR_LIST,
    }
)
EVENTS = pl.Schema(
    {
        "actor": pl.String(),
        "kind": pl.String(),  # view | like | comment | message | search
        "target": pl.String(),
        "query": pl.String(),
        "created_at": TS,
    }
)
REPORTS = pl.Schema(
    {
        "id": pl.String(),
        "reporter": pl.String(),
        "target_kind": pl.String(),  # account | post
        "target": pl.String(),
        "reason": pl.String(),  # child_safety | nudity | spam | harassment | other
        "text": pl.String(),
        "created_at": TS,
    }
)
LABELS = pl.Schema({"account": pl.String(), "role": pl.String(), "network": pl.String()})

#: table name -> canonical schema, in the order tables are read.
SCHEMAS: dict[str, pl.Schema] = {
    "accounts": ACCOUNTS,
    "follows": FOLLOWS,
    "posts": POSTS,
    "events": EVENTS,
    "reports": REPORTS,
    "labels": LABELS,
}
#: fields a row must have (non-null) or it is quarantined.
REQUIRED: dict[str, tuple[str, ...]] = {
    "accounts": ("id",),
    "follows": ("src", "dst"),
    "posts": ("id", "author"),
    "events": ("actor", "kind"),
    "reports": ("id", "target"),
    "labels": ("account",),
}
#: tables a snapshot must have (``follows`` may be empty).
REQUIRED_TABLES = ("accounts", "follows")
#: encodings in the order a reader looks for them.
ENCODINGS = ("parquet", "jsonl.gz", "jsonl", "csv")

AGE_GROUPS = ("minor", "adult", "unknown")
STATUSES = ("active", "disabled")
EVENT_KINDS = ("view", "like", "comment", "message", "search")
TARGET_KINDS = ("account", "post")
REPORT_REASONS = ("child_safety", "nudity", "spam", "harassment", "other")
ROLES = ("seller", "buyer", "benign")


def empty(table: str) -> pl.DataFrame:
    """An empty frame with ``table``'s canonical schema."""
    return pl.DataFrame(schema=SCHEMAS[table])
