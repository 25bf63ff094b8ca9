"""Fuzzing the snapshot reader: random dirty snapshots in all four encodings (issue 14).

Hypothesis builds a small platform, corrupts its rows (wrong types, unknown ids,
unknown enum values, missing and extra fields, duplicate ids, huge fields), writes
it as jsonl, jsonl.gz, csv or parquet, then may corrupt the bytes (UTF-8 BOM, CRLF
line ends, a bad byte, truncation). Reading it must either raise a
:class:`~firebreak.errors.FirebreakError` whose message is one line naming a file,
or return a result where, for every table, rows in = kept + quarantined; when only
rows were corrupted, rows in is exactly the number of rows written.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from firebreak.errors import FirebreakError
from firebreak.snapshot import read_snapshot

ENCODINGS = ("jsonl", "jsonl.gz", "csv", "parquet")
TS = "2023-06-07T12:00:00Z"

# -- rows ------------------------------------------------------------------------------

_ROW_FAULTS = ("wrong_type", "unknown_id", "unknown_enum", "missing", "extra", "duplicate", "huge", "bad_ts")


def _clean_rows(n_accounts: int) -> dict[str, list[dict[str, Any]]]:
    ids = [f"a{i}" for i in range(n_accounts)]
    return {
        "accounts": [{"id": i, "handle": f"h_{i}", "bio": "pizzeria ü 🍕", "created_at": TS, "age_group": "adult",
                      "links": ["https://example.org"], "status": "active"} for i in ids],
        "follows": [{"src": ids[k], "dst": ids[(k + 1) % n_accounts], "created_at": TS} for k in range(n_accounts)],
        "posts": [{"id": f"p{k}", "author": ids[k % n_accounts], "text": "hi #pizza", "created_at": TS,
                   "hashtags": ["pizza"], "links": []} for k in range(n_accounts)],
        "events": [{"actor": ids[k % n_accounts], "kind": "view", "target": ids[0], "created_at": TS} for k in range(2)],
        "reports": [{"id": f"r{k}", "reporter": ids[0], "target_kind": "account", "target": ids[-1],
                     "reason": "spam", "created_at": TS} for k in range(2)],
    }


def _corrupt_row(row: dict[str, Any], table: str, fault: str, huge: int) -> dict[str, Any]:
    row = dict(row)
    key = {"accounts": "id", "follows": "dst", "posts": "author", "events": "actor", "reports": "target"}[table]
    if fault == "wrong_type":
        row["links" if "links" in row else "created_at"] = {"not": "a list"} if "links" in row else [1, 2]
    elif fault == "unknown_id":
        row[key] = "ghost_account"
    elif fault == "unknown_enum":
        enum = {"accounts": "status", "events": "kind", "reports": "reason"}.get(table)
        if enum:
            row[enum] = "not_a_value"
    elif fault == "missing":
        row.pop(key, None)
    elif fault == "extra":
        row["surprise_column"] = "x"
    elif fault == "huge":
        row["bio" if table == "accounts" else "created_at"] = "z" * huge
    elif fault == "bad_ts":
        row["created_at"] = "next tuesday"
    return row


@st.composite
def dirty_rows(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    tables = _clean_rows(draw(st.integers(1, 6)))
    for table, rows in tables.items():
        for _ in range(draw(st.integers(0, 3))):
            if not rows:
                break
            k = draw(st.integers(0, len(rows) - 1))
            fault = draw(st.sampled_from(_ROW_FAULTS))
            if fault == "duplicate":
                rows.insert(draw(st.integers(0, len(rows))), dict(rows[k]))
            else:
                rows[k] = _corrupt_row(rows[k], table, fault, draw(st.sampled_from([100, 70_000])))
    return tables


# -- encodings -------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _encode(rows: list[dict[str, Any]], encoding: str) -> bytes:
    if encoding == "parquet":
        columns = sorted({k for row in rows for k in row})
        frame = pl.DataFrame({c: [_cell(row.get(c)) if row.get(c) is not None else None for row in rows] for c in columns},
                             schema=dict.fromkeys(columns, pl.String))
        buf = io.BytesIO()
        frame.write_parquet(buf)
        return buf.getvalue()
    if encoding == "csv":
        columns = list(dict.fromkeys(k for row in rows for k in row))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return out.getvalue().encode()
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


_BYTE_FAULTS = ("none", "none", "bom", "crlf", "bad_byte", "truncate")


@st.composite
def dirty_snapshots(draw: st.DrawFn) -> tuple[dict[str, bytes], str, dict[str, int] | None]:
    """``(files, encoding, rows written per table or None if bytes were damaged)``."""
    encoding = draw(st.sampled_from(ENCODINGS))
    tables = draw(dirty_rows())
    files: dict[str, bytes] = {}
    exact: dict[str, int] | None = {t: len(r) for t, r in tables.items()}
    for table, rows in tables.items():
        data = _encode(rows, encoding)
        fault = draw(st.sampled_from(_BYTE_FAULTS))
        if encoding == "parquet" and fault in ("bom", "crlf"):
            fault = "none"
        if fault == "bom":
            data = b"\xef\xbb\xbf" + data
        elif fault == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif fault == "bad_byte":
            at = draw(st.integers(0, max(len(data) - 1, 0)))
            data = data[:at] + b"\xff" + data[at + 1 :]
            exact = None
        elif fault == "truncate":
            data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
            exact = None
        if encoding == "jsonl.gz":
            data = gzip.compress(data, mtime=0)
            if draw(st.booleans()) and fault == "truncate":
                data = data[: len(data) // 2]
        files[f"{table}.{encoding}"] = data
    return files, encoding, exact


@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=dirty_snapshots())
def test_dirty_snapshots_never_crash_and_never_lose_a_row(tmp_path_factory: Any, case: Any) -> None:
    files, _encoding, exact = case
    d: Path = tmp_path_factory.mktemp("snap")
    for name, data in files.items():
        (d / name).write_bytes(data)
    try:
        result = read_snapshot(d)
    except FirebreakError as exc:  # a bad file: one line naming it
        message = str(exc)
        event(f"error: {message.split(': ', 1)[-1][:28]}")
        assert "\n" not in message and str(d) in message and "__line" not in message
        return
    for table, (rows_in, kept, quarantined) in result.accounting().items():
        assert rows_in == kept + quarantined, table
        if exact is not None and table in exact:
            assert rows_in == exact[table], (table, result.quarantine.to_dicts())
    event(f"read, {'some' if result.quarantine.height else 'no'} rows quarantined")
    reasons = result.quarantine["reason"]
    assert reasons.null_count() == 0 and (reasons.str.len_chars() > 0).all()
