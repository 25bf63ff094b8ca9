"""Turning raw table rows into canonical typed rows, with a reason for every row that breaks the spec.

Everything here is vectorised: values are parsed leniently (``strict=False``), and a
row fails where a parsed value is null but its raw value was not, or where a check
expression is false. Only JSON cells that Polars refuses to decode are isolated by
bisecting the failing batch (a handful of decodes per bad cell).
"""

from __future__ import annotations

import polars as pl
from polars.exceptions import PolarsError

from firebreak.exprs import fmt
from firebreak.snapshot.schema import (
    AGE_GROUPS,
    EVENT_KINDS,
    REPORT_REASONS,
    REQUIRED,
    ROLES,
    SCHEMAS,
    STATUSES,
    TARGET_KINDS,
    TS,
)

LINE = "__line"
REASON = "__reason"
ROW = "__row"

#: the quarantine frame's schema.
QUARANTINE = pl.Schema(
    {"table": pl.String, "file": pl.String, "line": pl.Int64, "reason": pl.String, "row": pl.String}
)
#: (table, column) -> allowed values.
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("accounts", "age_group"): AGE_GROUPS,
    ("accounts", "status"): STATUSES,
    ("events", "kind"): EVENT_KINDS,
    ("reports", "target_kind"): TARGET_KINDS,
    ("reports", "reason"): REPORT_REASONS,
    ("labels", "role"): ROLES,
}
#: table -> the column whose values must be unique.
UNIQUE: dict[str, str] = {"accounts": "id", "posts": "id", "reports": "id", "labels": "account"}
#: Unix seconds accepted as timestamps (years 0001-9999).
_MIN_SECONDS, _MAX_SECONDS = -62_135_596_800, 253_402_300_799
_HASHTAG = r"#(\w+)"


def empty_quarantine() -> pl.DataFrame:
    """A quarantine frame with no rows."""
    return pl.DataFrame(schema=QUARANTINE)


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String


def _falses(n: int) -> pl.Series:
    return pl.repeat(False, n, dtype=pl.Boolean, eager=True)


def decode_json(values: pl.Series, dtype: pl.DataType) -> tuple[pl.Series, pl.Series]:
    """Decode a String Series of JSON cells into ``dtype``; return ``(decoded, bad)``.

    ``bad`` is True where a non-null cell is not valid JSON of that type (the decoded
    value is then null). The whole Series is decoded at once; only if that fails are
    invalid cells masked (one vectorised pass) and the rest split in halves until the
    cells Polars refuses are isolated.
    """
    def whole(part: pl.Series) -> pl.Series:
        # Polars can return fewer rows than it was given for some malformed cells (found by the fuzzer)
        decoded = part.str.json_decode(dtype)
        if decoded.len() != part.len():
            raise PolarsError(f"json_decode gave {decoded.len()} rows for {part.len()}")
        return decoded

    try:
        return whole(values), _falses(values.len())
    except PolarsError:
        pass
    valid = values.str.json_path_match("$").is_not_null() | values.is_null()
    cells = values.set(~valid, None)
    out: list[pl.Series] = []
    bad: list[pl.Series] = []

    def run(part: pl.Series) -> None:
        try:
            out.append(whole(part))
            bad.append(_falses(part.len()))
        except PolarsError:
            if part.len() == 1:
                out.append(pl.Series(values=[None], dtype=dtype))
                bad.append(pl.Series(values=[True], dtype=pl.Boolean))
            else:
                half = part.len() // 2
                run(part.slice(0, half))
                run(part.slice(half))

    run(cells)
    decoded = pl.concat(out).alias(values.name)
    return decoded, pl.concat(bad) | ~valid


#: the exact form our writer produces; parsed first because it is several times faster than ``%+``.
_FAST_TS = "%Y-%m-%dT%H:%M:%SZ"


def _text_timestamp(raw: pl.Expr, fmt: str) -> pl.Expr:
    return raw.str.to_datetime(fmt, strict=False, time_zone="UTC", time_unit="us", cache=False).cast(TS)


def _seconds_timestamp(seconds: pl.Expr) -> pl.Expr:
    in_range = pl.when(seconds.is_between(_MIN_SECONDS, _MAX_SECONDS)).then(seconds.cast(pl.Int64))
    return pl.from_epoch(in_range, time_unit="s").dt.replace_time_zone("UTC").cast(TS)


def _timestamp(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr | None:
    """``raw`` (of ``dtype``) parsed as a UTC timestamp, null where it is not one.

    Text is parsed here only in the common ``YYYY-MM-DDTHH:MM:SSZ`` form;
    :func:`_fix_timestamps` then parses the other RFC 3339 forms and Unix seconds
    on just the rows this left null.
    """
    if isinstance(dtype, pl.Datetime):
        zoned = raw.dt.replace_time_zone("UTC") if dtype.time_zone is None else raw.dt.convert_time_zone("UTC")
        return zoned.cast(TS)
    if dtype.is_integer():
        return _seconds_timestamp(raw)
    if _is_text(dtype):
        return _text_timestamp(raw, _FAST_TS)
    if dtype == pl.Null:
        return pl.lit(None, dtype=TS)
    return None


def _fix_timestamps(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """Parse, on the rows the fast format missed, Unix seconds and every other RFC 3339 form."""
    for name, dtype in SCHEMAS[table].items():
        raw_name = f"__raw_{name}"
        if dtype != TS or raw_name not in frame.columns or frame.schema[raw_name] != pl.String:
            continue
        missed = frame[name].is_null() & frame[raw_name].is_not_null()
        if not missed.any():
            continue
        where = missed.arg_true()
        raw = frame[raw_name].gather(where).to_frame("raw")
        number = pl.col("raw").str.to_integer(strict=False)
        parsed = raw.select(
            pl.when(number.is_not_null())
            .then(_seconds_timestamp(number))
            .otherwise(_text_timestamp(pl.col("raw"), "%+"))
        ).to_series()
        frame = frame.with_columns(frame[name].scatter(where, parsed))
    return frame


#: table -> (column, wording) pairs whose value must name a known account.
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "follows": (("src", "follow from unknown account"), ("dst", "follow to unknown account")),
    "posts": (("author", "post by unknown account"),),
    "events": (("actor", "event by unknown account"),),
}


def typed_stage(lf: pl.LazyFrame, table: str, accounts: pl.Series | None = None) -> pl.LazyFrame:
    """Stage 1 (lazy, so Polars runs it while it reads): parse every column leniently.

    Output: canonical scalar columns parsed (timestamps in the fast form only),
    ``__raw_<ts>`` copies of timestamp text (not of typed timestamps: formatting 50M of them
    as text was half the time of reading a large Parquet snapshot), ``__bad_<col>`` flags for impossible
    types, ``__unknown_<col>`` flags for references not in ``accounts``, and
    nested columns that arrived as JSON text left as text for :func:`finish`.
    """
    have = lf.collect_schema()
    exprs: list[pl.Expr] = []
    for name, dtype in SCHEMAS[table].items():
        if name not in have:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
            continue
        source = have[name]
        col = pl.col(name)
        if dtype == TS:
            parsed = _timestamp(col, source)
            if not isinstance(source, pl.Datetime):  # a typed timestamp always parses: no text to quote
                exprs.append(col.cast(pl.String, strict=False).alias(f"__raw_{name}"))
            if parsed is None:
                exprs.append(pl.lit(None, dtype=dtype).alias(name))
                exprs.append(col.is_not_null().alias(f"__bad_{name}"))
            else:
                exprs.append(parsed.alias(name))
        elif dtype == pl.String:
            if source in (pl.String, pl.Null, pl.Boolean) or source.is_numeric():
                exprs.append(col.cast(pl.String))
            else:
                exprs.append(pl.lit(None, dtype=pl.String).alias(name))
                exprs.append(col.is_not_null().alias(f"__bad_{name}"))
        elif source in (dtype, pl.Null):
            exprs.append(col.cast(dtype))
        elif _is_text(source):
            exprs.append(col)  # JSON text (CSV): decoded in finish()
        else:
            cast = col.cast(dtype, strict=False)
            exprs.append(cast.alias(name))
            exprs.append((col.is_not_null() & cast.is_null()).alias(f"__bad_{name}"))
    if accounts is not None:
        for name, _ in REFERENCES.get(table, ()):
            if name not in have:  # the whole column is absent: each row fails as "missing required field"
                exprs.append(pl.lit(False).alias(f"__unknown_{name}"))
                continue
            ref = pl.col(name).cast(pl.String, strict=False)
            unknown = (ref != "") & ~_is_known(ref, accounts)
            exprs.append(unknown.fill_null(False).alias(f"__unknown_{name}"))
    return lf.select(*exprs, pl.col(LINE).cast(pl.Int64))


_HASH_SEED = 0x5EED


def _is_known(ids: pl.Expr, accounts: pl.Series) -> pl.Expr:
    """Whether each id is one of ``accounts`` (distinct ids).

    Membership is tested on 64-bit hashes, about 3x faster than on strings for
    millions of ids. If two account ids share a hash it compares strings instead. An
    unknown id is wrongly taken as known only if its hash equals a known id's: with a
    million accounts, about 5 in 10^14 per row (one in ~400 snapshots of 50M follows).
    """
    hashes = accounts.hash(seed=_HASH_SEED)
    if hashes.n_unique() != accounts.len():
        return ids.is_in(accounts.implode())
    return ids.hash(seed=_HASH_SEED).is_in(hashes.implode())


def _decode_nested(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """Decode nested columns still holding JSON text, keeping the text as ``__raw_<col>``."""
    for name, dtype in SCHEMAS[table].items():
        if isinstance(dtype, pl.List) and _is_text(frame.schema[name]):
            decoded, bad = decode_json(frame[name], dtype)
            frame = frame.with_columns(
                frame[name].alias(f"__raw_{name}"), decoded.alias(name), bad.alias(f"__bad_{name}")
            )
    return frame


def _hashtags(frame: pl.DataFrame) -> pl.DataFrame:
    """Posts: hashtags given keep their text minus a leading ``#``; absent ones come from ``text``."""
    extracted = pl.col("text").fill_null("").str.extract_all(_HASHTAG).list.eval(pl.element().str.slice(1))
    given = pl.col("hashtags").list.eval(pl.element().str.strip_chars_start("#"))
    return frame.with_columns(
        pl.when(pl.col("hashtags").is_null()).then(extracted).otherwise(given).alias("hashtags")
    )


def _checks(frame: pl.DataFrame, table: str) -> list[tuple[pl.Expr, pl.Expr]]:
    """``(fails, reason)`` expression pairs over a stage-1 frame."""
    schema = SCHEMAS[table]
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    for name in REQUIRED[table]:
        value = pl.col(name)
        missing = value.is_null() | (value == "") if schema[name] == pl.String else value.is_null()
        checks.append((missing.fill_null(True), pl.lit(f"missing required field {name}")))
    for name, dtype in schema.items():
        flag = f"__bad_{name}"
        if dtype == TS and flag not in frame.columns and f"__raw_{name}" in frame.columns:
            raw = pl.col(f"__raw_{name}")
            checks.append(
                (raw.is_not_null() & pl.col(name).is_null(), fmt("bad timestamp in {}: {}", pl.lit(name), raw))
            )
        elif flag in frame.columns:
            kind = {TS: "a timestamp", pl.String: "a string"}.get(dtype, "a list of the expected shape")
            checks.append((pl.col(flag), pl.lit(f"wrong type: {name} is not {kind}")))
    for (enum_table, name), allowed in ENUMS.items():
        if enum_table == table:
            value = pl.col(name)
            checks.append(
                (
                    (value.is_not_null() & ~value.is_in(allowed)).fill_null(False),
                    fmt("bad value in {}: {} (expected {})", pl.lit(name), value, pl.lit("|".join(allowed))),
                )
            )
    if table == "posts":
        checks.append(_media_check())
    for name, words in REFERENCES.get(table, ()):
        if f"__unknown_{name}" in frame.columns:
            checks.append((pl.col(f"__unknown_{name}"), fmt("{} {}", pl.lit(words), pl.col(name))))
    return checks


def row_json(frame: pl.DataFrame, table: str) -> pl.Expr:
    """The row as JSON text: canonical values, raw text where a value did not parse."""
    fields = []
    for name, dtype in SCHEMAS[table].items():
        if f"__raw_{name}" in frame.columns:
            fields.append(pl.col(f"__raw_{name}").alias(name))
        elif dtype == TS:
            fields.append(pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ").alias(name))
        else:
            fields.append(pl.col(name))
    return pl.struct(fields).struct.json_encode()


def _no_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema={LINE: pl.Int64, REASON: pl.String, ROW: pl.String})


def finish(typed: pl.DataFrame, table: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stage 2 (eager, per batch): decode JSON-text lists, parse rarer timestamp forms, run checks.

    Returns ``(ok, rejected)``: ``ok`` has the canonical columns (plus ``__line`` for
    tables with a unique key);
    ``rejected`` has ``__line``, ``__reason`` (every failed check, ``; ``-separated)
    and ``__row`` (the row as JSON text, raw text where a value did not parse).
    """
    frame = _fix_timestamps(_decode_nested(typed, table), table)
    if table == "posts":
        frame = _hashtags(frame)
    checks = _checks(frame, table)
    # Line numbers outlive this batch only where duplicates are looked for later.
    keep = [*SCHEMAS[table], LINE] if table in UNIQUE else list(SCHEMAS[table])
    failing = frame.select(pl.any_horizontal([fails for fails, _ in checks]).alias("__fails"))["__fails"]
    if not failing.any():
        return frame.select(keep), _no_rejects()
    # Few rows fail; one contiguous chunk keeps every string kernel on its best-tested path.
    bad = frame.filter(failing).rechunk()
    reasons = pl.concat_str(
        [pl.when(fails).then(message) for fails, message in checks], separator="; ", ignore_nulls=True
    )
    rejected = bad.select(pl.col(LINE), reasons.alias(REASON), row_json(bad, table).alias(ROW))
    return frame.filter(~failing).select(keep), rejected


def conform(raw: pl.DataFrame, table: str, accounts: pl.Series | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a raw frame of ``table`` (some of its columns plus ``__line``) into ok and rejected rows.

    Stage 1 and stage 2 in one call; see :func:`typed_stage` and :func:`finish`.
    ``accounts``, if given, are the known account ids that references must name.
    """
    return finish(typed_stage(raw.lazy(), table, accounts).collect(), table)


def _media_check() -> tuple[pl.Expr, pl.Expr]:
    """``(fails, reason)`` for a post whose media list has a malformed hash or quality."""
    media = pl.col("media")
    element = pl.element().struct
    ok = media.list.eval(
        (element.field("pdq").is_null() | element.field("pdq").str.contains("^[0-9a-fA-F]{64}$"))
        & (element.field("md5").is_null() | element.field("md5").str.contains("^[0-9a-fA-F]{32}$"))
        & (element.field("quality").is_null() | element.field("quality").is_between(0, 100))
    ).list.all()
    return (
        (media.is_not_null() & ~ok).fill_null(False),
        pl.lit("malformed media: pdq must be 64 hex chars, md5 32 hex chars, quality 0-100"),
    )


__all__ = [
    "LINE", "QUARANTINE", "REASON", "REFERENCES", "ROW", "conform", "decode_json", "empty_quarantine",
    "finish", "typed_stage",
]
