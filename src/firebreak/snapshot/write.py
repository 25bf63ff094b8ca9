"""Writing a :class:`Snapshot` as a snapshot directory in any of the spec's encodings."""

from __future__ import annotations

import datetime as _dt
import gzip
import json
from pathlib import Path

import polars as pl

from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import ENCODINGS, FORMAT_VERSION, REQUIRED_TABLES, SCHEMAS

#: RFC 3339 in UTC; the fraction is printed only when it is not zero.
RFC3339 = "%Y-%m-%dT%H:%M:%S%.fZ"


def _conform(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """``frame`` with exactly ``table``'s canonical columns, in order (missing ones null)."""
    schema = SCHEMAS[table]
    exprs = [
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in schema.items()
    ]
    return frame.select(exprs)


def _timestamps_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime columns as RFC 3339 strings (``2023-06-07T12:00:00Z``)."""
    return frame.with_columns(
        pl.col(name).dt.to_string(RFC3339)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime)
    )


def _nested_as_json(frame: pl.DataFrame) -> pl.DataFrame:
    """List (and struct) columns as JSON text, for CSV; null stays null (an empty cell)."""
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, (pl.List, pl.Struct, pl.Array)):
            prefix = len(json.dumps(name)) + 2  # '{"name":'
            encoded = pl.struct(pl.col(name)).struct.json_encode()
            exprs.append(
                pl.when(pl.col(name).is_null())
                .then(None)
                .otherwise(encoded.str.slice(prefix, encoded.str.len_chars() - prefix - 1))
                .alias(name)
            )
    return frame.with_columns(exprs) if exprs else frame


#: rows converted to text at a time, so writing a 50M-row table stays within a small memory budget.
WRITE_SLICE = 1_000_000


def write_table(frame: pl.DataFrame, path: Path, encoding: str) -> None:
    """Write one canonical frame to ``path`` in ``encoding`` (see :data:`ENCODINGS`)."""
    if encoding == "parquet":
        frame.write_parquet(path, compression="zstd", statistics=False)
        return
    if encoding not in ("csv", "jsonl", "jsonl.gz"):
        raise ValueError(f"unknown encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}")
    with open(path, "wb") as raw:
        # mtime=0 keeps .gz bytes identical across runs; level 1 because writing speed matters more here than size.
        out = (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1, mtime=0)
            if encoding == "jsonl.gz"
            else raw
        )
        with out:
            if frame.height == 0 and encoding == "csv":
                _nested_as_json(_timestamps_as_text(frame)).write_csv(out)
            for offset in range(0, frame.height, WRITE_SLICE):
                part = _timestamps_as_text(frame.slice(offset, WRITE_SLICE))
                if encoding == "csv":
                    _nested_as_json(part).write_csv(out, include_header=offset == 0)
                else:
                    part.write_ndjson(out)


def write_snapshot(snapshot: Snapshot, out_dir: str | Path, encoding: str = "jsonl") -> Path:
    """Write ``snapshot`` to ``out_dir`` as a spec snapshot directory; return the directory.

    Writes ``<table>.<encoding>`` for ``accounts`` and ``follows`` always and for every
    other non-empty table (``labels`` included), plus ``manifest.json`` (the snapshot's
    manifest with ``format`` set and ``exported_at`` defaulted to now). Text encodings
    write timestamps as RFC 3339 strings; CSV writes list and struct fields as JSON.
    Files of the same table in other encodings are removed so the reader finds this one.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for table in SCHEMAS:
        frame = snapshot.table(table)
        if frame.height == 0 and table not in REQUIRED_TABLES:
            continue
        for other in ENCODINGS:
            if other != encoding:
                (out / f"{table}.{other}").unlink(missing_ok=True)
        write_table(_conform(frame, table), out / f"{table}.{encoding}", encoding)
    manifest: dict[str, object] = {"format": FORMAT_VERSION, "platform": "unknown"}
    manifest.update(snapshot.manifest)
    manifest["format"] = FORMAT_VERSION
    manifest.setdefault(
        "exported_at", _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return out
