"""Reading a snapshot directory (any encoding) into canonical frames plus a quarantine.

Decisions (the spec leaves them open):

* An empty ``.jsonl`` / ``.jsonl.gz`` file, or a CSV file with only its header, is an
  empty table. A zero-byte CSV (no header) or Parquet file is unreadable.
* ``line`` in the quarantine is the 1-based line of the row in JSON lines (blank
  lines are skipped by the fast reader and then not counted), the file line in CSV
  (header = line 1, one line per record), the 1-based row number in Parquet.
* A JSON line that is not valid JSON, or whose list fields have the wrong type, is a
  quarantined row, not a reason to stop; a file that is not UTF-8 or not complete
  gzip stops the command.
* JSON numbers and booleans in text fields are read as their text (``"id": 7`` is ``"7"``).
* ``hashtags`` absent or null: extracted from ``text`` (``#word``, Unicode word
  characters); a leading ``#`` in given hashtags is stripped.
* References: a follow whose ``src`` or ``dst`` is not an account, a post whose
  ``author`` is not an account and an event whose ``actor`` is not an account are
  quarantined ("known" means an account row that was itself kept, so rows pointing at
  a quarantined account are quarantined too). Event ``target`` and report
  ``reporter`` / ``target`` are not checked: they may name posts, deleted or external
  accounts, and a report is kept whatever it is about (the review queue must see it).
  Membership is tested on 64-bit hashes of the ids (see ``validate._is_known``).
* A quarantined row lists every check it failed, ``; ``-separated.
* Duplicate ids (accounts, posts, reports; ``account`` in labels): the first valid
  row wins, later ones are quarantined.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from polars.exceptions import PolarsError

from firebreak.atomic import RESULTS_KEY, verify_results
from firebreak.errors import ResultsError, SnapshotError
from firebreak.exprs import fmt
from firebreak.snapshot.files import check_magic, diagnose, find_table, unreadable
from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import ENCODINGS, REQUIRED_TABLES, SCHEMAS, empty
from firebreak.snapshot.validate import (
    LINE,
    QUARANTINE,
    REASON,
    ROW,
    UNIQUE,
    conform,
    empty_quarantine,
    finish,
    row_json,
    typed_stage,
)

#: rows per batch when streaming a table through validation.
BATCH_ROWS = 2_000_000
#: manifest key the canonical Parquet copy carries (see :func:`firebreak.ingestion.ingest`).
CANONICAL_KEY = "firebreak_canonical"


@dataclass(slots=True)
class ReadResult:
    """A snapshot read from disk: the canonical frames and the rows that broke the spec.

    ``quarantine`` has columns ``table, file, line, reason, row`` (``row`` is JSON text).
    ``files`` maps each table read to the file it came from. ``rows_in`` counts the
    rows each table's file held (JSON lines: non-blank lines; CSV: records; Parquet:
    rows), counted while reading, so that ``rows_in == kept + quarantined`` per table
    can be stated and checked (:meth:`accounting`).
    """

    snapshot: Snapshot
    quarantine: pl.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    rows_in: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Rows kept per table."""
        return {table: self.snapshot.table(table).height for table in SCHEMAS}

    def quarantined(self) -> dict[str, int]:
        """Rows quarantined per table (every table, 0 where none)."""
        found = dict(self.quarantine.group_by("table").len().iter_rows()) if self.quarantine.height else {}
        return {table: int(found.get(table, 0)) for table in SCHEMAS}

    def accounting(self) -> dict[str, tuple[int, int, int]]:
        """Per table: ``(rows in, kept, quarantined)``; rows in is kept + quarantined for a table not read."""
        kept, quarantined = self.counts(), self.quarantined()
        return {
            table: (self.rows_in.get(table, kept[table] + quarantined[table]), kept[table], quarantined[table])
            for table in SCHEMAS
        }


def _json_schema(table: str) -> pl.Schema:
    """What the JSON reader asks for: text for scalars (parsed later), typed lists of strings.

    Lists of structs (``posts.media``) are read as text and decoded afterwards: Polars'
    JSON reader builds them several times slower and with ~2x the memory of
    ``str.json_decode`` on the same values.
    """
    return pl.Schema(
        {
            name: dtype if dtype == pl.List(pl.String) else pl.String
            for name, dtype in SCHEMAS[table].items()
        }
    )


def _lazy_source(path: Path, encoding: str, table: str) -> pl.LazyFrame:
    """A lazy scan of the table's known columns with a 1-based ``__line``."""
    schema = SCHEMAS[table]
    if encoding == "parquet":
        present = pl.read_parquet_schema(path)
        _check_columns(path, table, list(present), "its columns are")
        cols = [c for c in schema if c in present]
        lf = pl.scan_parquet(path).select(cols)
        offset = 1
    elif encoding == "csv":
        header = pl.read_csv(path, n_rows=0, infer_schema=False).columns
        _check_columns(path, table, header, "line 1 (the header) names")
        cols = [c for c in schema if c in header]
        lf = pl.scan_csv(path, schema=dict.fromkeys(header, pl.String)).select(cols)
        offset = 2
    else:
        lf = pl.scan_ndjson(path, schema=_json_schema(table))
        offset = 1
    return lf.with_row_index(LINE, offset=offset)


def _check_columns(path: Path, table: str, present: list[str], where: str) -> None:
    """Raise :class:`SnapshotError` if a CSV header / Parquet schema names none of the table's columns.

    Such a file has no header (its first record was taken as one) or is another
    table: reading on would misread or silently lose every row. A header that names
    some columns but not a required one is read: each row is then quarantined.
    """
    if not present or any(c in SCHEMAS[table] for c in present):
        return
    shown = ", ".join(repr(c[:40]) for c in present[:6]) + (", ..." if len(present) > 6 else "")
    expected = ", ".join(SCHEMAS[table])
    raise SnapshotError(
        f"{path}: {where} {shown}, none of the {table} columns ({expected}): no header line?"
    )


class _ReadFailed(Exception):
    """Polars could not read a table file (the cause is the Polars error)."""


def _batches(path: Path, encoding: str, table: str, accounts: pl.Series | None) -> Iterator[pl.DataFrame]:
    """Stage-1 batches of the file (see :func:`typed_stage`); a read failure raises :class:`_ReadFailed`."""
    try:
        lf = typed_stage(_lazy_source(path, encoding, table), table, accounts)
        source = lf.collect_batches(chunk_size=BATCH_ROWS)
        yield from source
    except (PolarsError, OSError) as exc:
        raise _ReadFailed(str(exc)) from exc


def _json_lines_slow(path: Path, table: str) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """Read a JSON lines file that has bad lines: good lines as raw batches, bad ones rejected."""
    lines = (
        pl.scan_lines(path, name="__text")
        .with_row_index(LINE, offset=1)
        .with_columns(
            # a UTF-8 byte-order mark belongs to the file, not to the first row
            pl.when(pl.col(LINE) == 1).then(pl.col("__text").str.strip_prefix("\ufeff")).otherwise(pl.col("__text"))
        )
        .filter(pl.col("__text").str.strip_chars() != "")
        .collect()
    )
    schema = _json_schema(table)
    good: list[pl.DataFrame] = []
    bad: list[tuple[int, str, str]] = []

    def run(part: pl.DataFrame) -> None:
        try:
            data = pl.read_ndjson(io.BytesIO(part["__text"].str.join("\n").item().encode()), schema=schema)
            if data.height != part.height:
                raise SnapshotError("line count mismatch")
            good.append(data.with_columns(part[LINE]))
        except (PolarsError, SnapshotError) as exc:
            if part.height == 1:
                first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else "unreadable"
                valid = part["__text"].str.json_path_match("$").is_not_null().item()
                reason = f"wrong type: {first}" if valid else "not valid JSON"
                bad.append((part[LINE].item(), reason, part["__text"].item()))
            else:
                half = part.height // 2
                run(part.slice(0, half))
                run(part.slice(half))

    valid = lines["__text"].str.json_path_match("$").is_not_null()
    invalid = lines.filter(~valid)
    ok_lines = lines.filter(valid)
    for start in range(0, ok_lines.height, 65_536):
        run(ok_lines.slice(start, 65_536))
    rejected = pl.concat(
        [
            invalid.select(
                pl.col(LINE).cast(pl.Int64), pl.lit("not valid JSON").alias(REASON), pl.col("__text").alias(ROW)
            ),
            pl.DataFrame(bad, schema={LINE: pl.Int64, REASON: pl.String, ROW: pl.String}, orient="row"),
        ]
    )
    return good, rejected


def _read_table(
    path: Path, encoding: str, table: str, accounts: pl.Series | None
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Read and conform one table file; return ``(ok frame with __line, rejected rows, rows in the file)``."""
    reason = diagnose(path, encoding) if path.stat().st_size == 0 else check_magic(path, encoding)
    if reason is not None:
        raise SnapshotError(reason)
    if path.stat().st_size == 0:
        return empty(table).with_columns(pl.lit(None, pl.Int64).alias(LINE)).clear(), _no_rejects(), 0
    rows_in = 0
    oks: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    batches = _batches(path, encoding, table, accounts)
    try:
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                break
            rows_in += batch.height
            ok, rejected = finish(batch, table)
            oks.append(ok)
            rejects.append(rejected)
    except _ReadFailed as failed:
        exc = failed.__cause__ or failed
        if encoding not in ("jsonl", "jsonl.gz"):
            raise unreadable(path, encoding, exc) from None
        fault = diagnose(path, encoding)
        if fault is not None:
            raise SnapshotError(fault) from None
        oks, rejects = [], []
        good, bad_lines = _json_lines_slow(path, table)
        rows_in = bad_lines.height + sum(batch.height for batch in good)
        rejects.append(bad_lines)
        for batch in good:
            ok, rejected = conform(batch, table, accounts)
            oks.append(ok)
            rejects.append(rejected)
    ok = pl.concat(oks, rechunk=False) if oks else empty(table).with_columns(pl.lit(None, pl.Int64).alias(LINE))
    if table not in UNIQUE:
        ok = ok.drop(LINE, strict=False)
    return ok, pl.concat(rejects) if rejects else _no_rejects(), rows_in


def _no_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema={LINE: pl.Int64, REASON: pl.String, ROW: pl.String})


def _contiguous(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` without empty chunks (filtering batches leaves them; see :mod:`firebreak.exprs`).

    Only a frame that has an empty chunk is copied, i.e. only when rows were dropped.
    """
    if frame.width and frame.height and 0 in frame.to_series(0).chunk_lengths():
        return frame.rechunk()
    return frame


def _dedupe(frame: pl.DataFrame, table: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    key = UNIQUE.get(table)
    if key is None:
        return frame, _no_rejects()
    first = frame.select(pl.col(key).is_first_distinct())[key]
    if first.all():
        return frame, _no_rejects()
    firsts = frame.filter(first).select(key, pl.col(LINE).alias("__first"))
    dups = frame.filter(~first).join(firsts, on=key, how="left", maintain_order="left")
    rejected = dups.select(
        pl.col(LINE).cast(pl.Int64),
        fmt("duplicate {} {} (first on line {})", pl.lit(key), pl.col(key), pl.col("__first")).alias(REASON),
        row_json(dups, table).alias(ROW),
    )
    return frame.filter(first), rejected


def _manifest(directory: Path) -> dict[str, object]:
    path = directory / "manifest.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{path}: not UTF-8: invalid byte at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, dict):
        raise SnapshotError(f"{path}: expected a JSON object at line 1")
    return data


def _canonical_fast(directory: Path, manifest: dict[str, object]) -> ReadResult | None:
    """Load an ingest's canonical Parquet copy without re-validating it, if it is one.

    The copy must be complete: its manifest lists every file's checksum
    (:func:`firebreak.atomic.verify_results`); an incomplete or changed copy raises
    :class:`~firebreak.errors.ResultsError`.
    """
    if not manifest.get(CANONICAL_KEY):
        return None
    try:
        verify_results(directory)
    except ResultsError as exc:
        raise ResultsError(f"{exc}; run `firebreak ingest` again") from None
    manifest = {key: value for key, value in manifest.items() if key != RESULTS_KEY}
    frames: dict[str, pl.DataFrame] = {}
    files: dict[str, Path] = {}
    for table, schema in SCHEMAS.items():
        path = directory / f"{table}.parquet"
        if not path.is_file():
            if table in REQUIRED_TABLES:
                return None
            continue
        try:
            frame = pl.read_parquet(path)
        except (PolarsError, OSError) as exc:
            raise unreadable(path, "parquet", exc) from None
        if frame.schema != schema:
            return None
        frames[table] = frame
        files[table] = path
    snapshot = Snapshot(manifest=manifest, **frames)  # type: ignore[arg-type]
    return ReadResult(snapshot=snapshot, quarantine=empty_quarantine(), files=files)


def read_snapshot(path: str | Path, progress: object | None = None) -> ReadResult:
    """Read the snapshot directory ``path`` into a :class:`ReadResult`.

    Finds ``<table>.{parquet,jsonl.gz,jsonl,csv}`` for every table, parses it into the
    canonical schema (:mod:`firebreak.snapshot.schema`) and validates it per the
    spec's "Bad input" section: rows that break the contract are left out of the
    snapshot and listed in ``.quarantine`` with their table, file, line and reason.
    Raises :class:`SnapshotError` (one line naming the file and line or byte) when a
    file cannot be read at all, or when ``accounts`` or ``follows`` is missing.
    ``progress``, if given, is called as ``progress(table)`` before each table.
    """
    directory = Path(path)
    if not directory.is_dir():
        raise SnapshotError(f"{directory}: not a snapshot directory (it does not exist or is a file)")
    manifest = _manifest(directory)
    fast = _canonical_fast(directory, manifest)
    if fast is not None:
        return fast
    frames: dict[str, pl.DataFrame] = {}
    quarantine: list[pl.DataFrame] = []
    files: dict[str, Path] = {}
    rows_in: dict[str, int] = {}
    accounts_ids: pl.Series | None = None
    for table in SCHEMAS:
        found = find_table(directory, table)
        if found is None:
            if table in REQUIRED_TABLES:
                names = ", ".join(f"{table}.{e}" for e in ENCODINGS)
                raise SnapshotError(f"{directory}: no {table} file (expected one of {names})")
            continue
        file, encoding = found
        files[table] = file
        if callable(progress):
            progress(table)
        ok, rejected, rows_in[table] = _read_table(file, encoding, table, accounts_ids)
        ok, dup = _dedupe(ok, table)
        parts = [rejected, dup]
        if table == "accounts":
            ok = ok.with_columns(pl.col("status").fill_null("active"))
            accounts_ids = ok["id"]
        frames[table] = _contiguous(ok.drop(LINE, strict=False))
        for part in parts:
            if part.height:
                quarantine.append(
                    part.select(
                        pl.lit(table).alias("table"),
                        pl.lit(file.name).alias("file"),
                        pl.col(LINE).alias("line"),
                        pl.col(REASON).alias("reason"),
                        pl.col(ROW).alias("row"),
                    )
                )
    snapshot = Snapshot(manifest=manifest, **frames)  # type: ignore[arg-type]
    q = pl.concat(quarantine).cast(QUARANTINE) if quarantine else empty_quarantine()  # type: ignore[arg-type]
    result = ReadResult(
        snapshot=snapshot, quarantine=q.sort("table", "line", maintain_order=True), files=files, rows_in=rows_in
    )
    lost = {t: row for t, row in result.accounting().items() if row[0] != row[1] + row[2]}
    if lost:  # a reader bug, never a property of the input: refuse rather than lose rows silently
        raise SnapshotError(f"{directory}: rows unaccounted for while reading (table: rows in, kept, quarantined): {lost}")
    return result


def load_snapshot(path: str | Path) -> ReadResult:
    """Read a snapshot directory, or an ingest WORKDIR's canonical copy (``WORKDIR/snapshot``).

    Same as :func:`read_snapshot`; unreadable files raise :class:`SnapshotError`.
    """
    directory = Path(path)
    if (directory / "snapshot").is_dir() and find_table(directory, "accounts") is None:
        directory = directory / "snapshot"
    return read_snapshot(directory)


__all__ = ["CANONICAL_KEY", "ReadResult", "load_snapshot", "read_snapshot"]
