"""Finding a snapshot's table files and explaining, in one line, why one cannot be read."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from pathlib import Path

from firebreak.errors import SnapshotError
from firebreak.snapshot.schema import ENCODINGS

_CHUNK = 1 << 20


def find_table(directory: Path, table: str) -> tuple[Path, str] | None:
    """The file holding ``table`` in ``directory`` and its encoding, or ``None``.

    Looks for ``<table>.parquet``, ``.jsonl.gz``, ``.jsonl``, ``.csv``. Two of them
    for one table is ambiguous: raises :class:`SnapshotError` naming both.
    """
    found = [(directory / f"{table}.{encoding}", encoding) for encoding in ENCODINGS]
    found = [(path, encoding) for path, encoding in found if path.is_file()]
    if len(found) > 1:
        names = " and ".join(str(path) for path, _ in found)
        raise SnapshotError(f"{names}: both hold the {table} table; keep one of them")
    return found[0] if found else None


def check_magic(path: Path, encoding: str) -> str | None:
    """Why ``path`` is plainly not ``encoding`` judging by its first bytes (gzip, Parquet), else ``None``."""
    if encoding == "jsonl.gz" and path.stat().st_size:
        with path.open("rb") as fh:
            if fh.read(2) != b"\x1f\x8b":
                return f"{path}: not gzip data (no gzip header at byte 0)"
    return None


def _text_stream(path: Path, encoding: str) -> io.BufferedIOBase:
    raw = path.open("rb")
    if encoding == "jsonl.gz":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw  # type: ignore[return-value]


def diagnose(path: Path, encoding: str) -> str | None:
    """Why ``path`` cannot be read as ``encoding``, as ``"<file>: ... line N / byte N"``.

    Streams the file once (in C-speed chunks): checks the gzip stream, then UTF-8, then,
    for CSV, that every record has the header's field count. Returns ``None`` when
    no such fault is found (for JSON lines, the fault is then in individual lines).
    """
    name = str(path)
    if path.stat().st_size == 0:
        if encoding == "csv":
            return f"{name}: empty file, expected a header line at line 1"
        if encoding == "parquet":
            return f"{name}: empty file, not Parquet (byte 0)"
        return None
    if encoding == "parquet":
        size = path.stat().st_size
        if size < 12:  # magic, footer length, magic
            return f"{name}: not a Parquet file (only {size} bytes)"
        with path.open("rb") as fh:
            head = fh.read(4)
            fh.seek(-4, 2)
            tail = fh.read(4)
        if head != b"PAR1" or tail != b"PAR1":
            return f"{name}: not a Parquet file (no PAR1 magic at byte 0 or at the end)"
        return None
    magic = check_magic(path, encoding)
    if magic is not None:
        return magic
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0  # decompressed bytes consumed so far
    lines = 1
    with _text_stream(path, encoding) as stream:
        while True:
            try:
                # read1: one decompression step per call, so a truncated stream loses at most
                # the last step's lines, not a whole buffered chunk.
                chunk = stream.read1(_CHUNK)
            except EOFError:
                size = path.stat().st_size
                return (
                    f"{name}: truncated gzip: the compressed stream ends early at byte {size}, "
                    f"after {lines - 1:,} complete lines ({offset:,} bytes) decoded"
                )
            except (OSError, zlib.error) as exc:
                return f"{name}: not valid gzip data ({exc}) after {lines - 1:,} complete lines decoded"
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the decoder's held-back bytes (a partial character, no newline) + chunk
                data = exc.object
                held = len(data) - len(chunk)
                bad = offset - held + exc.start
                line = lines + data.count(b"\n", 0, exc.start)
                return f"{name}: not UTF-8: invalid byte 0x{data[exc.start]:02x} at byte {bad} (line {line})"
            if not chunk:
                break
            offset += len(chunk)
            lines += chunk.count(b"\n")
    if encoding == "csv":
        return _diagnose_csv(path)
    return None


def _diagnose_csv(path: Path) -> str | None:
    """The first CSV record whose field count differs from the header's (error path only)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                return f"{path}: empty file, expected a header line at line 1"
            for record in reader:
                if record and len(record) != len(header):
                    return (
                        f"{path}: not CSV: line {reader.line_num} has {len(record)} fields, "
                        f"the header has {len(header)}"
                    )
        except csv.Error as exc:
            return f"{path}: not CSV: {exc} at line {reader.line_num}"
    return None


def unreadable(path: Path, encoding: str, exc: BaseException) -> SnapshotError:
    """A :class:`SnapshotError` for a file Polars failed to read, with the best location we can find."""
    reason = diagnose(path, encoding)
    if reason is None:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = f"{path}: cannot be read as {encoding}: {first}"
    return SnapshotError(reason)
