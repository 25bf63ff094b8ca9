"""Reading small tables that stages hand each other (scan results, labels) from jsonl, jsonl.gz, csv or parquet.

:func:`read_table` reads one file into the columns asked for, cast to their
types, absent optional columns null; anything unreadable, a missing required
field or a value of the wrong type is one line of the error class the caller
names, with the file in it.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl

from firebreak.errors import FirebreakError, SeedsError

ENCODINGS = ("jsonl", "jsonl.gz", "csv", "parquet")


def _read(path: Path) -> pl.DataFrame:
    name = path.name
    if name.endswith(".parquet"):
        return pl.read_parquet(path)
    if name.endswith(".csv"):
        return pl.read_csv(path, infer_schema_length=0)
    if name.endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            return pl.read_ndjson(fh.read(), infer_schema_length=None)
    return pl.read_ndjson(path, infer_schema_length=None)


def read_table(
    path: Path,
    columns: pl.Schema,
    required: tuple[str, ...],
    error: type[FirebreakError],
    *,
    keep_extra: bool = True,
) -> pl.DataFrame:
    """``path`` with ``columns`` cast to their types (absent optional ones null); empty if the file is absent or empty.

    Raises ``error`` (one line naming the file) when the file cannot be parsed, a
    ``required`` field is missing or a value does not have its column's type.
    Other columns are kept as read unless ``keep_extra`` is false.
    """
    if not path.exists() or path.stat().st_size == 0:
        return pl.DataFrame(schema=columns)
    if path.is_dir():
        raise error(f"{path}: is a directory, not a file")
    try:
        frame = _read(path)
    except Exception as exc:
        raise error(f"{path}: not readable ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise error(f"{path}: missing field {missing[0]!r}")
    frame = frame.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in columns.items() if c not in frame.columns])
    for name, dtype in columns.items():
        try:
            frame = frame.with_columns(pl.col(name).cast(dtype, strict=True))
        except Exception:
            raise error(f"{path}: field {name!r} must be {dtype}, found {frame.schema[name]}") from None
    return frame if keep_extra else frame.select(list(columns))


def read_account_ids(path: Path, what: str = "account ids", *, allow_empty: bool = False) -> list[str]:
    """Account ids from a text file, one per line (blank lines and ``#`` comments skipped).

    Raises :class:`~firebreak.errors.SeedsError` naming the file when it is missing, a
    folder, not UTF-8 (with the byte and line), or (unless ``allow_empty``) holds no id;
    ``what`` names the list in the message ("seed account ids", "under-review file"...).
    """
    if not path.exists():
        raise SeedsError(f"{path}: {what} not found")
    if path.is_dir():
        raise SeedsError(f"{path}: {what} is a folder (expected a file of account ids, one per line)")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SeedsError(f"{path}: not UTF-8: invalid byte at byte {exc.start} (line {line})") from None
    except OSError as exc:
        raise SeedsError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    ids = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not ids and not allow_empty:
        raise SeedsError(f"{path}: no account ids in the {what} (one id per line, '#' comments allowed)")
    return ids
