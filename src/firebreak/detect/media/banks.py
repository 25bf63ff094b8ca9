"""Hash banks: import PDQ / MD5 hash lists, keep their settings, save and reload them fast.

A *bank* is one named list of hashes with three settings: ``negative`` (a bank
of known-benign hashes whose matches suppress positive matches on the same
media), ``distance`` (the PDQ match distance, default 31) and ``weight`` (the
evidence weight of a match, default 1.0).

Bank files (one bank per file, named after the file; a folder holds several):

* plain text, one hash per line: 64 hex = PDQ, 32 hex = MD5; ``#`` comments and
  blank lines skipped. A line may go on after the hash: ``<pdq> <quality> ...``
  or ``<pdq>,<quality>,...`` (the output of ``firebreak hash`` and of the
  reference ``pdq-photo-hasher``): the field after the hash is its quality and
  must be an integer 0-100 (``150`` or ``notaquality`` reject the line with that
  reason); fields after the quality are ignored.
* a signal type before the hash, as python-threatexchange writes it:
  ``pdq <hash>`` (its file exchange and ``threatexchange dataset -P/-S``
  output, metadata after the hash ignored) or ``pdq,<hash>``. Types: ``pdq``,
  ``md5``, ``video_md5``, ``photo_md5``, ``HASH_PDQ``, ``HASH_MD5``.
* CSV/TSV with a header naming the columns: a hash column (``hash``,
  ``signal_str``, ``signal``, ``signal_value`` or ``indicator``), optional
  ``signal_type``/``type``/``indicator_type`` and ``quality`` columns; or
  separate ``pdq`` and ``md5`` columns. ``threatexchange dataset -P --csv``
  (``signal_type,signal_str,collab,category,tags``) is read as is.
* HMA 1.x ``simple.HASH_PDQ.te`` / ``simple.HASH_MD5.te`` exports
  (``indicator,indicator_id,descriptor_id,added_on,labels``): type from the
  file name.
* ``.gz`` of any of these.

Settings: a bank whose file name starts with ``negative_`` or ``negative-`` is
negative. A ``banks.toml`` next to the bank files overrides per bank::

    [known_benign]
    negative = true
    [partner_list]
    distance = 20
    weight = 0.8

Malformed lines are rejected and counted with a reason (never an exception);
PDQ entries with a quality below 50 are ignored as the reference does; a file
that cannot be read at all, or whose every line is rejected, raises
:class:`~firebreak.errors.BankError`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tomllib
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl

from firebreak.detect.media.hamming import (
    DEFAULT_DISTANCE,
    MD5_HEX,
    PDQ_BYTES,
    PDQ_HEX,
    QUALITY_THRESHOLD,
    as_words,
    hex_to_codes,
)
from firebreak.detect.media.index import PDQIndex
from firebreak.errors import BankError
from firebreak.exprs import fmt

BANK_SUFFIXES = (".txt", ".csv", ".tsv", ".te", ".hashes", ".lst")
CONFIG_FILE = "banks.toml"
SAVED_MARKER = "firebreak-bank.json"
SAVED_FORMAT = "firebreak-hashbank"
SAVED_VERSION = 1
NEGATIVE_PREFIXES = ("negative_", "negative-")
_BLOCK_BYTES = 8 << 20
_TEXT_KEEP = 200

_TYPE_NAMES = {
    "pdq": "pdq",
    "hash_pdq": "pdq",
    "pdq_hash": "pdq",
    "photo_pdq": "pdq",
    "md5": "md5",
    "hash_md5": "md5",
    "md5_hash": "md5",
    "photo_md5": "md5",
    "video_md5": "md5",
}
_HASH_COLUMNS = ("hash", "signal_str", "signal", "signal_value", "indicator")
_TYPE_COLUMNS = ("signal_type", "type", "indicator_type")
_QUALITY_COLUMNS = ("quality", "pdq_quality")
_HEADERLESS = (
    r"^(?:(?P<type>[A-Za-z0-9_]*[G-Zg-z_][A-Za-z0-9_]*)[\s,;]+)?"
    r"(?P<hash>[^\s,;]+)(?:[\s,;]+(?P<rest>[^\s,;]*))?"
)
REJECTED_SCHEMA = pl.Schema({"bank": pl.String, "file": pl.String, "line": pl.Int64, "reason": pl.String, "text": pl.String})


@dataclass(frozen=True, slots=True)
class BankConfig:
    """One bank's settings: ``negative`` suppresses matches, ``distance`` is its PDQ threshold."""

    name: str
    negative: bool = False
    distance: int = DEFAULT_DISTANCE
    weight: float = 1.0
    sources: tuple[str, ...] = ()


@dataclass(slots=True)
class ImportReport:
    """What an import kept and dropped: rejected lines (with reasons), low-quality and duplicate counts."""

    rejected: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECTED_SCHEMA))
    low_quality: int = 0
    duplicates: int = 0

    def reasons(self) -> pl.DataFrame:
        """Rejected-line counts by reason, most common first: columns ``reason, count``."""
        return self.rejected.group_by("reason").len("count").sort(["count", "reason"], descending=[True, False])

    def summary(self) -> str:
        """One line, e.g. ``3 malformed lines rejected (2 not a hex hash; 1 ...); 4 below quality 50 ignored``."""
        parts = []
        if self.rejected.height:
            why = "; ".join(f"{n} {r}" for r, n in self.reasons().iter_rows())
            parts.append(f"{self.rejected.height} malformed line{'s' if self.rejected.height != 1 else ''} rejected ({why})")
        if self.low_quality:
            parts.append(f"{self.low_quality} PDQ below quality {QUALITY_THRESHOLD} ignored")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate{'s' if self.duplicates != 1 else ''} merged")
        return "; ".join(parts) if parts else "all lines accepted"


class HashBank:
    """Every bank's hashes, ready to match.

    ``pdq``: ``uint8[N, 32]`` codes; ``pdq_bank``: ``int16[N]`` index into
    ``configs``; ``pdq_quality``: ``int8[N]`` (-1 when the file gave none);
    ``md5``: frame ``bank_id (Int16), md5 (String, lower-case hex)``;
    ``report``: the import's :class:`ImportReport`. :attr:`index` builds (or
    reloads) the PDQ index once.
    """

    def __init__(
        self,
        configs: tuple[BankConfig, ...],
        pdq: np.ndarray,
        pdq_bank: np.ndarray,
        pdq_quality: np.ndarray,
        md5: pl.DataFrame,
        report: ImportReport | None = None,
        index: PDQIndex | None = None,
    ) -> None:
        if len(configs) > np.iinfo(np.int16).max:
            raise BankError("too many banks (at most 32767)")
        self.configs = configs
        self.pdq = pdq
        self.pdq_bank = pdq_bank
        self.pdq_quality = pdq_quality
        self.md5 = md5
        self.report = report or ImportReport()
        self._index = index

    @classmethod
    def from_hashes(
        cls,
        hashes: list[str],
        *,
        name: str = "bank",
        negative: bool = False,
        distance: int = DEFAULT_DISTANCE,
        weight: float = 1.0,
    ) -> HashBank:
        """One bank from in-memory lines (each parsed like a line of a plain-text bank file)."""
        parsed = _parse_lines(_meaningful(pl.Series("text", hashes, dtype=pl.String), 1), None, None)
        keep = _first_distinct(parsed.pdq, parsed.pdq_quality)
        md5 = parsed.md5.unique("hash", keep="first", maintain_order=True)
        report = ImportReport(
            parsed.rejected.select(pl.lit(name).alias("bank"), pl.lit("<memory>").alias("file"), "line", "reason", "text"),
            parsed.low_quality,
            (len(parsed.pdq) - len(keep)) + (parsed.md5.height - md5.height),
        )
        return cls(
            (BankConfig(name, negative, distance, weight, ("<memory>",)),),
            parsed.pdq[keep],
            np.zeros(len(keep), dtype=np.int16),
            parsed.pdq_quality[keep],
            md5.select(pl.lit(0, dtype=pl.Int16).alias("bank_id"), pl.col("hash").alias("md5")),
            report,
        )

    @property
    def index(self) -> PDQIndex:
        """The PDQ index over :attr:`pdq` (built on first use)."""
        if self._index is None:
            self._index = PDQIndex.build(self.pdq)
        return self._index

    @property
    def max_distance(self) -> int:
        """The largest PDQ distance any bank asks for (what the index is queried with)."""
        return max((c.distance for c in self.configs), default=DEFAULT_DISTANCE)

    def config_frame(self) -> pl.DataFrame:
        """Settings as a frame: ``bank_id, bank, negative, bank_distance, weight``."""
        return pl.DataFrame(
            {
                "bank_id": pl.Series(range(len(self.configs)), dtype=pl.Int16),
                "bank": [c.name for c in self.configs],
                "negative": [c.negative for c in self.configs],
                "bank_distance": pl.Series([c.distance for c in self.configs], dtype=pl.Int32),
                "weight": pl.Series([c.weight for c in self.configs], dtype=pl.Float64),
            },
            schema={"bank_id": pl.Int16, "bank": pl.String, "negative": pl.Boolean, "bank_distance": pl.Int32, "weight": pl.Float64},
        )

    def info(self) -> pl.DataFrame:
        """One row per bank: ``bank, negative, distance, weight, pdq, md5`` (entry counts)."""
        pdq_counts = np.bincount(self.pdq_bank.astype(np.int64), minlength=len(self.configs))
        md5_counts = (
            self.md5.group_by("bank_id").len("n").sort("bank_id") if self.md5.height else pl.DataFrame(schema={"bank_id": pl.Int16, "n": pl.UInt32})
        )
        md5_map = dict(zip(md5_counts["bank_id"].to_list(), md5_counts["n"].to_list()))
        return pl.DataFrame(
            {
                "bank": [c.name for c in self.configs],
                "negative": [c.negative for c in self.configs],
                "distance": [c.distance for c in self.configs],
                "weight": [c.weight for c in self.configs],
                "pdq": [int(pdq_counts[i]) for i in range(len(self.configs))],
                "md5": [int(md5_map.get(i, 0)) for i in range(len(self.configs))],
            },
            schema={"bank": pl.String, "negative": pl.Boolean, "distance": pl.Int64, "weight": pl.Float64, "pdq": pl.Int64, "md5": pl.Int64},
        )

    def __len__(self) -> int:
        return int(self.pdq.shape[0]) + self.md5.height

    def save(self, directory: str | Path) -> Path:
        """Write the bank (settings, arrays, PDQ index) to ``directory``; reload with :func:`load_bank`."""
        out = Path(directory)
        try:
            out.mkdir(parents=True, exist_ok=True)
            self.index.save(out / "index")
            np.save(out / "pdq_bank.npy", np.ascontiguousarray(self.pdq_bank))
            np.save(out / "pdq_quality.npy", np.ascontiguousarray(self.pdq_quality))
            self.md5.write_parquet(out / "md5.parquet")
            self.report.rejected.write_parquet(out / "rejected.parquet")
            meta = {
                "format": SAVED_FORMAT,
                "version": SAVED_VERSION,
                "banks": [{**asdict(c), "sources": list(c.sources)} for c in self.configs],
                "low_quality": self.report.low_quality,
                "duplicates": self.report.duplicates,
            }
            (out / SAVED_MARKER).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise BankError(f"{out}: cannot write the bank ({exc.strerror or exc})") from None
        return out


# --------------------------------------------------------------------------- reading files


def _open_binary(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _iter_blocks(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(first_line_number, text)`` blocks of whole lines, decoded as UTF-8."""
    line_no = 1
    consumed = 0
    carry = b""
    try:
        with _open_binary(path) as fh:
            while True:
                chunk = fh.read(_BLOCK_BYTES)
                data = carry + chunk
                if not chunk:
                    if data:
                        yield line_no, _decode(path, data, consumed, line_no == 1)
                    return
                cut = data.rfind(b"\n")
                if cut < 0:
                    carry = data
                    continue
                block, carry = data[: cut + 1], data[cut + 1 :]
                yield line_no, _decode(path, block, consumed, line_no == 1)
                line_no += block.count(b"\n")
                consumed += len(block)
    except (OSError, EOFError, zlib.error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
        raise BankError(f"{path}: cannot read bank file ({reason})") from None


def _decode(path: Path, data: bytes, consumed: int, first: bool) -> str:
    try:
        return data.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as exc:
        raise BankError(f"{path}: not UTF-8 text (byte {consumed + exc.start})") from None


def _lines(first_line: int, text: str) -> pl.DataFrame:
    """Meaningful lines of a block: ``line, text`` without blanks and ``#`` comments."""
    return _meaningful(pl.Series("text", [text]).str.split("\n").explode(), first_line)


def _meaningful(lines: pl.Series, first_line: int) -> pl.DataFrame:
    frame = pl.DataFrame({"text": lines}).with_row_index("line", offset=first_line)
    frame = frame.with_columns(pl.col("line").cast(pl.Int64), pl.col("text").str.strip_chars(" \r"))
    first = pl.col("text").str.strip_chars_start().str.slice(0, 1)
    return frame.filter((first != "") & (first != "#"))


@dataclass(slots=True)
class _Header:
    sep: str
    names: list[str]
    hash_col: int | None
    type_col: int | None
    quality_col: int | None
    pdq_col: int | None
    md5_col: int | None


def _clean(token: str) -> str:
    return token.strip().strip('"').strip().lower()


def _csv_fields(line: str, sep: str) -> list[str]:
    """``line`` split as one CSV record; a line the csv module refuses (a bare CR inside it) is split on ``sep``."""
    try:
        return next(csv.reader([line], delimiter=sep), [])
    except csv.Error:
        return line.split(sep)


def _detect_header(line: str) -> _Header | None:
    sep = "\t" if "\t" in line else ","
    names = [_clean(t) for t in _csv_fields(line, sep)]
    if any(len(n) in (MD5_HEX, PDQ_HEX) and all(c in "0123456789abcdef" for c in n) for n in names):
        return None

    def find(options: tuple[str, ...]) -> int | None:
        return next((names.index(o) for o in options if o in names), None)

    header = _Header(sep, names, find(_HASH_COLUMNS), find(_TYPE_COLUMNS), find(_QUALITY_COLUMNS), find(("pdq",)), find(("md5",)))
    if header.hash_col is None and header.pdq_col is None and header.md5_col is None:
        return None
    return header


def _header_fields(lines: pl.DataFrame, header: _Header) -> pl.DataFrame:
    """``line, text, type, hash, quality`` from CSV rows (quoted rows parsed by the csv module)."""
    plain = lines.filter(~pl.col("text").str.contains('"', literal=True))
    quoted = lines.filter(pl.col("text").str.contains('"', literal=True))
    split = plain.with_columns(pl.col("text").str.split(header.sep).alias("fields"))
    if quoted.height:
        rows = [_csv_fields(t, header.sep) for t in quoted["text"].to_list()]
        split = pl.concat([split, quoted.with_columns(pl.Series("fields", rows, dtype=pl.List(pl.String)))])

    def col(index: int | None, name: str) -> pl.Expr:
        if index is None:
            return pl.lit(None, dtype=pl.String).alias(name)
        return pl.col("fields").list.get(index, null_on_oob=True).str.strip_chars(' "').alias(name)

    outputs = []
    if header.hash_col is not None:
        outputs.append(split.select("line", "text", col(header.type_col, "type"), col(header.hash_col, "hash"), col(header.quality_col, "quality")))
    else:
        for index, kind in ((header.pdq_col, "pdq"), (header.md5_col, "md5")):
            if index is None:
                continue
            frame = split.select("line", "text", pl.lit(kind).alias("type"), col(index, "hash"), col(header.quality_col if kind == "pdq" else None, "quality"))
            outputs.append(frame.filter(pl.col("hash").fill_null("") != ""))
        empty = split.filter(
            pl.all_horizontal(
                [pl.col("fields").list.get(i, null_on_oob=True).str.strip_chars(' "').fill_null("") == "" for i in (header.pdq_col, header.md5_col) if i is not None]
            )
        )
        outputs.append(empty.select("line", "text", pl.lit(None, dtype=pl.String).alias("type"), pl.lit("").alias("hash"), pl.lit(None, dtype=pl.String).alias("quality")))
    return pl.concat(outputs).sort("line")


def _headerless_fields(lines: pl.DataFrame, default_type: str | None, quality_field: bool) -> pl.DataFrame:
    """``line, text, type, hash, quality`` from headerless lines (see the module docstring)."""
    bare = pl.col("text").str.contains(r"^[0-9A-Fa-f]{32}(?:[0-9A-Fa-f]{32})?$")
    marked = lines.with_columns(bare.alias("bare"))
    # the common case, a bare hash per line, skips the regex extraction
    fast = marked.filter(pl.col("bare")).select(
        "line", "text", pl.lit(default_type, dtype=pl.String).alias("type"), pl.col("text").alias("hash"), pl.lit(None, dtype=pl.String).alias("quality")
    )
    slow = marked.filter(~pl.col("bare"))
    parts = slow.with_columns(pl.col("text").str.strip_chars().str.extract_groups(_HEADERLESS).alias("m")).unnest("m")
    rest = pl.col("rest")
    # the field after a bare hash is its quality: anything but an integer 0-100 there is rejected
    quality = (
        pl.when(pl.col("type").is_null() & (rest.str.strip_chars() != "")).then(rest).otherwise(None)
        if quality_field
        else pl.lit(None, dtype=pl.String)
    )
    parsed = parts.select(
        "line",
        "text",
        pl.col("type").fill_null(pl.lit(default_type, dtype=pl.String)).alias("type"),
        pl.col("hash").fill_null(""),
        quality.alias("quality"),
    )
    return pl.concat([fast, parsed])


def _classify(fields: pl.DataFrame) -> pl.DataFrame:
    """Add ``kind`` (pdq|md5), normalised ``hash``, integer ``quality`` and ``reason`` (null = valid)."""
    hash_ = pl.col("hash").fill_null("").str.strip_chars()  # a row shorter than its header has no hash
    length = hash_.str.len_chars()
    typ = pl.col("type").str.strip_chars().str.to_lowercase()
    mapped = typ.replace_strict(_TYPE_NAMES, default=None, return_dtype=pl.String)
    inferred = pl.when(length == PDQ_HEX).then(pl.lit("pdq")).when(length == MD5_HEX).then(pl.lit("md5")).otherwise(None)
    kind = pl.when(typ.is_null()).then(inferred).otherwise(mapped)
    quality = pl.col("quality").str.strip_chars().cast(pl.Int64, strict=False)
    want = pl.when(pl.col("kind") == "pdq").then(PDQ_HEX).otherwise(MD5_HEX)
    reason = (
        pl.when(typ.is_not_null() & mapped.is_null())
        .then(fmt("unsupported signal type '{}'", pl.col("type")))
        .when(hash_ == "")
        .then(pl.lit("no hash"))
        .when(~hash_.str.contains(r"^[0-9A-Fa-f]+$"))
        .then(pl.lit("not a hex hash"))
        .when(pl.col("kind").is_null())
        .then(fmt("hash has {} hex digits, expected 64 (PDQ) or 32 (MD5)", length))
        .when(length != want)
        .then(fmt("{} hash has {} hex digits, expected {}", pl.col("kind"), length, want))
        .when(pl.col("quality").is_not_null() & (pl.col("quality").str.strip_chars() != "") & (quality.is_null() | (quality < 0) | (quality > 100)))
        .then(fmt("quality '{}' is not an integer 0-100", pl.col("quality")))
        .otherwise(None)
    )
    simple = pl.col("type").is_null() & pl.col("quality").is_null() & pl.col("hash").str.contains(r"^(?:[0-9a-f]{32}|[0-9a-f]{64})$")
    marked = fields.with_columns(simple.alias("simple"))
    # bare lower-case hashes (the bulk of a large bank) need no further checks
    fast = marked.filter(pl.col("simple")).select(
        "line",
        "text",
        pl.when(pl.col("hash").str.len_bytes() == PDQ_HEX).then(pl.lit("pdq")).otherwise(pl.lit("md5")).alias("kind"),
        "hash",
        pl.lit(None, dtype=pl.Int64).alias("quality"),
        pl.lit(None, dtype=pl.String).alias("reason"),
    )
    slow = (
        marked.filter(~pl.col("simple"))
        .with_columns(kind.alias("kind"))
        .with_columns(reason.alias("reason"), hash_.str.to_lowercase().alias("hash"), quality.alias("q"))
        .select("line", "text", "kind", "hash", pl.col("q").alias("quality"), "reason")
    )
    return pl.concat([fast, slow])


@dataclass(slots=True)
class ParsedFile:
    """One bank file, parsed: valid PDQ as ``uint8[N, 32]`` codes with ``int8`` qualities (-1: none),
    valid MD5 as a frame ``hash, line``, rejected lines as ``line, reason, text``."""

    pdq: np.ndarray
    pdq_quality: np.ndarray
    md5: pl.DataFrame
    rejected: pl.DataFrame
    low_quality: int


def _parse_lines(lines: pl.DataFrame, header: _Header | None, te_type: str | None) -> ParsedFile:
    """Parse meaningful lines (``line, text``) into codes, MD5s and rejects."""
    if header is not None:
        fields = _header_fields(lines, header)
    else:
        fields = _headerless_fields(lines, te_type, quality_field=te_type is None)
    rows = _classify(fields)
    del fields
    rejected = rows.filter(pl.col("reason").is_not_null()).select("line", "reason", pl.col("text").str.slice(0, _TEXT_KEEP))
    good = rows.filter(pl.col("reason").is_null()).select("kind", "hash", "quality")
    del rows
    pdq = good.filter(pl.col("kind") == "pdq")
    low = pdq["quality"].is_not_null() & (pdq["quality"] < QUALITY_THRESHOLD)
    pdq = pdq.filter(~low)
    return ParsedFile(
        hex_to_codes(pdq["hash"]),
        pdq["quality"].fill_null(-1).cast(pl.Int8).to_numpy(),
        good.filter(pl.col("kind") == "md5").select("hash"),
        rejected,
        int(low.sum()),
    )


def parse_bank_file(path: str | Path) -> ParsedFile:
    """Parse one bank file of any supported format (module docstring); raises :class:`BankError` if unreadable.

    The file is read in blocks of whole lines; each block is parsed with Polars
    expressions and its PDQ hashes decoded to codes at once, so memory stays
    near 32 bytes per hash.
    """
    path = Path(path)
    if not path.is_file():
        raise BankError(f"{path}: no such bank file")
    stem = path.name.removesuffix(".gz")
    te_type = None
    if stem.endswith(".te"):
        te_type = "md5" if "md5" in stem.lower() else "pdq"
    header: _Header | None = None
    decided = False
    # PDQ codes go straight into one buffer sized for the most lines the file can hold;
    # pages never written are never resident, so no second copy is made at the end.
    capacity = path.stat().st_size // (MD5_HEX + 1) + 1 if path.suffix != ".gz" else 0
    buffer = np.empty((capacity, PDQ_BYTES), dtype=np.uint8)
    buffer_quality = np.empty(capacity, dtype=np.int8)
    filled = 0
    spill: list[ParsedFile] = []
    md5_parts: list[pl.DataFrame] = []
    rejected_parts: list[pl.DataFrame] = []
    low_quality = 0
    for first_line, text in _iter_blocks(path):
        lines = _lines(first_line, text)
        del text
        if not decided and lines.height:
            decided = True
            header = None if te_type else _detect_header(lines["text"][0])
            if header is not None:
                lines = lines.slice(1)
        block = _parse_lines(lines, header, te_type)
        del lines
        k = len(block.pdq)
        if filled + k <= capacity:
            buffer[filled : filled + k] = block.pdq
            buffer_quality[filled : filled + k] = block.pdq_quality
            filled += k
        else:
            spill.append(block)
        md5_parts.append(block.md5)
        rejected_parts.append(block.rejected)
        low_quality += block.low_quality
    rejected_all = (
        pl.concat(rejected_parts).sort("line")
        if rejected_parts
        else pl.DataFrame(schema={"line": pl.Int64, "reason": pl.String, "text": pl.String})
    )
    accepted = filled + sum(len(b.pdq) for b in spill) + sum(part.height for part in md5_parts) + low_quality
    if rejected_all.height and not accepted:
        first = rejected_all.row(0, named=True)
        raise BankError(
            f"{path}: no valid hash: all {rejected_all.height:,} lines rejected "
            f"(line {first['line']}: {first['reason']})"
        )
    codes, quality = buffer[:filled], buffer_quality[:filled]
    if spill:
        codes = np.concatenate([codes, *(b.pdq for b in spill)])
        quality = np.concatenate([quality, *(b.pdq_quality for b in spill)])
    return ParsedFile(
        codes,
        quality,
        pl.concat(md5_parts) if md5_parts else pl.DataFrame(schema={"hash": pl.String}),
        rejected_all,
        low_quality,
    )


_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)


def _first_distinct(codes: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """Row numbers (ascending) of the distinct codes, keeping the best-quality copy of each duplicate.

    Rows are grouped by a 64-bit mix of their words (NumPy sort, so big
    temporaries go back to the OS); rows with equal mixes are compared in full,
    so a collision can only keep a duplicate, never drop a distinct hash.
    """
    n = len(codes)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    words = as_words(codes)
    mixed = words[:, 0] * _MIX[0]
    for i in range(1, words.shape[1]):
        mixed ^= words[:, i] * _MIX[i]
    has_quality = bool((quality >= 0).any())
    order = np.lexsort((-quality.astype(np.int16), mixed)) if has_quality else np.argsort(mixed, kind="stable")
    del mixed
    grouped = words[order]
    same = np.all(grouped[1:] == grouped[:-1], axis=1)
    del grouped
    keep = order[np.concatenate([[True], ~same])]
    keep.sort()
    return np.asarray(keep)


# --------------------------------------------------------------------------- assembling banks


def bank_name(path: Path) -> str:
    """A bank's name from its file name: suffixes ``.gz`` and ``.txt/.csv/.tsv/.te/...`` removed."""
    name = path.name
    name = name.removesuffix(".gz")
    for suffix in BANK_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _is_bank_file(path: Path) -> bool:
    name = path.name.removesuffix(".gz")
    return path.is_file() and not path.name.startswith(".") and name.endswith(BANK_SUFFIXES)


def _read_config(directory: Path) -> dict[str, dict[str, object]]:
    cfg_path = directory / CONFIG_FILE
    if not cfg_path.is_file():
        return {}
    try:
        data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BankError(f"{cfg_path}: cannot read bank settings ({exc})") from None
    out: dict[str, dict[str, object]] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise BankError(f"{cfg_path}: '{name}' must be a table like [{name}] with negative/distance/weight")
        unknown = set(table) - {"negative", "distance", "weight"}
        if unknown:
            raise BankError(f"{cfg_path}: [{name}] has unknown setting(s) {', '.join(sorted(unknown))}")
        if "negative" in table and not isinstance(table["negative"], bool):
            raise BankError(f"{cfg_path}: [{name}] negative must be true or false")
        if "distance" in table and (not isinstance(table["distance"], int) or isinstance(table["distance"], bool) or not 0 <= table["distance"] <= 256):
            raise BankError(f"{cfg_path}: [{name}] distance must be an integer 0-256")
        if "weight" in table and (not isinstance(table["weight"], int | float) or isinstance(table["weight"], bool)):
            raise BankError(f"{cfg_path}: [{name}] weight must be a number")
        out[name] = table
    return out


def build_bank(
    files: list[Path],
    *,
    settings: dict[str, dict[str, object]] | None = None,
    distance: int = DEFAULT_DISTANCE,
) -> HashBank:
    """Parse bank ``files`` (one bank per file name; same names merge) into a :class:`HashBank`."""
    settings = settings or {}
    by_name: dict[str, list[Path]] = {}
    for f in files:
        by_name.setdefault(bank_name(f), []).append(f)
    configs: list[BankConfig] = []
    codes: list[np.ndarray] = []
    bank_ids: list[np.ndarray] = []
    qualities: list[np.ndarray] = []
    md5_frames: list[pl.DataFrame] = []
    rejected: list[pl.DataFrame] = []
    low_quality = duplicates = 0
    for bank_id, (name, paths) in enumerate(by_name.items()):
        code_parts, quality_parts, md5_parts = [], [], []
        for p in paths:
            parsed = parse_bank_file(p)
            code_parts.append(parsed.pdq)
            quality_parts.append(parsed.pdq_quality)
            md5_parts.append(parsed.md5)
            low_quality += parsed.low_quality
            rejected.append(parsed.rejected.select(pl.lit(name).alias("bank"), pl.lit(str(p)).alias("file"), "line", "reason", "text"))
            del parsed
        bank_codes = code_parts[0] if len(code_parts) == 1 else np.concatenate(code_parts)
        bank_quality = quality_parts[0] if len(quality_parts) == 1 else np.concatenate(quality_parts)
        del code_parts, quality_parts
        keep = _first_distinct(bank_codes, bank_quality)
        md5 = pl.concat(md5_parts)
        unique_md5 = md5.unique("hash", keep="first", maintain_order=True)
        duplicates += (len(bank_codes) - len(keep)) + (md5.height - unique_md5.height)
        if len(keep) < len(bank_codes):
            bank_codes, bank_quality = bank_codes[keep], bank_quality[keep]
        opts = settings.get(name, {})
        configs.append(
            BankConfig(
                name=name,
                negative=bool(opts.get("negative", name.startswith(NEGATIVE_PREFIXES))),
                distance=int(opts.get("distance", distance)),  # type: ignore[call-overload]
                weight=float(opts.get("weight", 1.0)),  # type: ignore[arg-type]
                sources=tuple(str(p) for p in paths),
            )
        )
        codes.append(bank_codes)
        bank_ids.append(np.full(len(bank_codes), bank_id, dtype=np.int16))
        qualities.append(bank_quality)
        md5_frames.append(unique_md5.select(pl.lit(bank_id, dtype=pl.Int16).alias("bank_id"), pl.col("hash").alias("md5")))
    report = ImportReport(
        pl.concat(rejected) if rejected else pl.DataFrame(schema=REJECTED_SCHEMA),
        low_quality,
        duplicates,
    )
    def joined(parts: list[np.ndarray], empty: np.ndarray) -> np.ndarray:
        return parts[0] if len(parts) == 1 else (np.concatenate(parts) if parts else empty)

    return HashBank(
        tuple(configs),
        joined(codes, np.zeros((0, PDQ_BYTES), np.uint8)),
        joined(bank_ids, np.zeros(0, np.int16)),
        joined(qualities, np.zeros(0, np.int8)),
        pl.concat(md5_frames) if md5_frames else pl.DataFrame(schema={"bank_id": pl.Int16, "md5": pl.String}),
        report,
    )


def _load_saved(directory: Path, distance: int | None) -> HashBank:
    try:
        meta = json.loads((directory / SAVED_MARKER).read_text(encoding="utf-8"))
        if meta.get("format") != SAVED_FORMAT or meta.get("version") != SAVED_VERSION:
            raise BankError(f"{directory}: unsupported saved bank format {meta.get('format')!r} v{meta.get('version')}")
        configs = tuple(
            BankConfig(b["name"], bool(b["negative"]), int(b["distance"]), float(b["weight"]), tuple(b.get("sources", ())))
            for b in meta["banks"]
        )
        index = PDQIndex.load(directory / "index")
        pdq_bank = np.load(directory / "pdq_bank.npy", mmap_mode="r")
        pdq_quality = np.load(directory / "pdq_quality.npy", mmap_mode="r")
        md5 = pl.read_parquet(directory / "md5.parquet")
        rejected = pl.read_parquet(directory / "rejected.parquet")
    except BankError:
        raise
    except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as exc:
        raise BankError(f"{directory}: cannot read the saved bank ({exc.__class__.__name__}: {exc})") from None
    if distance is not None:
        configs = tuple(replace(c, distance=distance) for c in configs)
    report = ImportReport(rejected, int(meta.get("low_quality", 0)), int(meta.get("duplicates", 0)))
    return HashBank(configs, index.codes, pdq_bank, pdq_quality, md5, report, index)


def load_bank(path: str | Path, *, distance: int | None = None) -> HashBank:
    """Load a hash bank from a bank file, a folder of bank files, or a folder written by :meth:`HashBank.save`.

    ``distance`` is the PDQ distance for banks whose ``banks.toml`` does not set
    one (default 31; for a saved bank it overrides every bank's distance).
    Malformed lines are in ``bank.report``; an unreadable path raises
    :class:`BankError` with a one-line message.
    """
    path = Path(path)
    if distance is not None and not 0 <= distance <= 256:
        raise BankError(f"PDQ distance must be 0-256, got {distance}")
    if not path.exists():
        raise BankError(f"{path}: no such bank file or folder")
    if path.is_dir():
        if (path / SAVED_MARKER).is_file():
            return _load_saved(path, distance)
        files = sorted(p for p in path.iterdir() if _is_bank_file(p))
        if not files:
            raise BankError(f"{path}: no bank files ({', '.join(BANK_SUFFIXES)}, or .gz of them) in folder")
        return build_bank(files, settings=_read_config(path), distance=DEFAULT_DISTANCE if distance is None else distance)
    return build_bank([path], settings=_read_config(path.parent), distance=DEFAULT_DISTANCE if distance is None else distance)
