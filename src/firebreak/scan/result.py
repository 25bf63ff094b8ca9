"""The scan's result: the spec's three files as frames, written and read by one type.

``scores.jsonl``, ``networks.jsonl`` and ``terms.jsonl`` follow the spec's
"Scan results" section; each evidence item carries the spec's ``signal,
detail, weight`` and the rest of the evidence contract
(:data:`firebreak.evidence.EVIDENCE_ITEM`). :meth:`ScanResult.write` writes
them (and ``scores.parquet``); :meth:`ScanResult.read` reads a results folder
back, or any folder holding at least ``scores.jsonl`` in the spec's shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from firebreak.atomic import atomic_results, verify_results
from firebreak.errors import ResultsError
from firebreak.evidence import EVIDENCE_ITEM
from firebreak.snapshot.quarantine import write_quarantine
from firebreak.tables import read_table

EVIDENCE_LIST = pl.List(EVIDENCE_ITEM)
ITEM_FIELDS = pl.Schema({f.name: f.dtype for f in EVIDENCE_ITEM.fields})
SCORES = pl.Schema({
    "account": pl.String(),
    "risk": pl.Float64(),
    "role": pl.String(),
    "network": pl.String(),
    "evidence": EVIDENCE_LIST,
})
NETWORKS = pl.Schema({
    "id": pl.String(),
    "members": pl.List(pl.String),
    "sellers": pl.Int64(),
    "buyers": pl.Int64(),
    "unique_followers": pl.Int64(),
    "risk": pl.Float64(),
    "evidence": EVIDENCE_LIST,
    "destinations": pl.List(pl.String),
})
TERMS = pl.Schema({"term": pl.String(), "known": pl.Boolean(), "accounts": pl.Int64(), "evidence": pl.String()})
FILES = {"scores": "scores.jsonl", "networks": "networks.jsonl", "terms": "terms.jsonl"}
ROLES = ("seller", "buyer", "none")


def empty(schema: pl.Schema) -> pl.DataFrame:
    """A frame with no rows in ``schema``."""
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """``frame``'s columns of ``schema``, in order and cast; absent ones null (empty lists for list columns).

    A list column whose lists are all empty (so Polars could not infer their items) becomes
    empty lists of the schema's type.
    """
    fill = [
        (pl.lit([], dtype=t) if isinstance(t, pl.List) else pl.lit(None, dtype=t)).alias(c)
        for c, t in schema.items()
        if c not in frame.columns
    ]
    frame = frame.with_columns(fill)
    for c, t in schema.items():
        if isinstance(t, pl.List) and frame.schema[c] != t and frame.height and not (frame[c].list.len().fill_null(0) > 0).any():
            frame = frame.with_columns(pl.lit([], dtype=t).alias(c))
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])


@dataclass(slots=True)
class ScanResult:
    """Frames in the spec's shapes, plus the run's timings and statistics.

    ``scores``: :data:`SCORES`; ``networks``: :data:`NETWORKS`; ``terms``: :data:`TERMS`.
    ``timings`` (seconds per stage) and ``stats`` (counts, rates) are filled by a scan and
    empty for a result read from disk.
    """

    scores: pl.DataFrame
    networks: pl.DataFrame
    terms: pl.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    def write(
        self,
        out_dir: str | Path,
        *,
        inputs: Mapping[str, str | Path] | None = None,
        parameters: Mapping[str, object] | None = None,
        quarantine: pl.DataFrame | None = None,
    ) -> dict[str, Path]:
        """Write ``scores.jsonl``, ``networks.jsonl``, ``terms.jsonl`` and ``scores.parquet`` to ``out_dir`` atomically.

        The folder is built beside ``out_dir`` and swapped in complete, with a ``manifest.json``
        naming the run, ``inputs`` (name -> path, fingerprinted), ``parameters`` and every file's
        checksum (:func:`firebreak.atomic.atomic_results`); ``quarantine`` (rows quarantined while
        reading a raw snapshot) goes in as ``quarantine.jsonl``. Returns the paths by name
        (``scores``, ``networks``, ``terms``, ``scores_parquet``).
        """
        out = Path(out_dir)
        names = {**FILES, "scores_parquet": "scores.parquet"}
        owned = {*names.values(), "evaluation.json", "quarantine.jsonl"}
        with atomic_results(out, command="scan", inputs=inputs, parameters=parameters, may_replace=owned) as staged:
            scores = conform(self.scores, SCORES)
            scores.write_ndjson(staged.path / names["scores"])
            conform(self.networks, NETWORKS).write_ndjson(staged.path / names["networks"])
            conform(self.terms, TERMS).write_ndjson(staged.path / names["terms"])
            scores.write_parquet(staged.path / names["scores_parquet"])
            if quarantine is not None:
                write_quarantine(quarantine, staged.path)
        return {key: out / name for key, name in names.items()}

    @classmethod
    def read(cls, directory: str | Path) -> ScanResult:
        """Read a complete results folder written by :meth:`write`.

        The folder must carry a complete ``manifest.json`` whose checksums match
        (:func:`firebreak.atomic.verify_results`): a folder a killed scan left half-written is
        refused. ``networks.jsonl`` and ``terms.jsonl`` may be absent (empty); evidence items may
        carry only ``signal, detail, weight``. Raises :class:`~firebreak.errors.ResultsError`
        for a missing folder, manifest or ``scores.jsonl``, a malformed file, a field of the wrong
        type, a role outside ``seller, buyer, none`` or a signal outside the vocabulary.
        """
        d = Path(directory)
        if not d.is_dir():
            raise ResultsError(f"{d}: scan results folder not found")
        if not (d / FILES["scores"]).is_file():
            raise ResultsError(f"{d}: no {FILES['scores']} (run `firebreak scan` first)")
        verify_results(d)  # only a complete folder, as `firebreak scan` swapped it in
        scores = _with_evidence(d / FILES["scores"], SCORES, ("account",))
        bad = scores.filter(pl.col("role").is_not_null() & ~pl.col("role").is_in(ROLES))
        if bad.height:
            raise ResultsError(f"{d / FILES['scores']}: role {bad['role'][0]!r} is not one of {', '.join(ROLES)}")
        return cls(
            scores=scores.with_columns(pl.col("role").fill_null("none")),
            networks=_with_evidence(d / FILES["networks"], NETWORKS, ("id",)),
            terms=read_table(d / FILES["terms"], TERMS, ("term",), ResultsError, keep_extra=False),
        )

    def stats_json(self) -> str:
        """The scan's statistics and timings as a JSON string (for the CLI and benchmarks)."""
        return json.dumps({"stats": self.stats, "timings": self.timings}, default=float, indent=2)


def _with_evidence(path: Path, schema: pl.Schema, required: tuple[str, ...]) -> pl.DataFrame:
    """``path`` read into ``schema``, its ``evidence`` items conformed to the evidence contract."""
    plain = pl.Schema({k: v for k, v in schema.items() if k != "evidence"})
    frame = read_table(path, plain, required, ResultsError)
    if "evidence" not in frame.columns or frame.height == 0:
        return frame.with_columns(pl.lit([], dtype=EVIDENCE_LIST).alias("evidence")).select(list(schema))
    items = frame.select(pl.int_range(pl.len()).alias("_row"), pl.col("evidence")).explode("evidence")
    items = items.filter(pl.col("evidence").is_not_null())
    if items.height and not isinstance(items.schema["evidence"], pl.Struct):
        raise ResultsError(f"{path}: evidence must be a list of objects, found {frame.schema['evidence']}")
    fields = items.unnest("evidence") if items.height else pl.DataFrame(schema={"_row": pl.Int64})
    for name, dtype in ITEM_FIELDS.items():
        if name not in fields.columns:
            fields = fields.with_columns(pl.lit(None, dtype=dtype).alias(name))
        try:
            fields = fields.with_columns(pl.col(name).cast(dtype, strict=True))
        except Exception:
            raise ResultsError(f"{path}: evidence field {name!r} must be {dtype} (an unknown signal or a wrong type)") from None
    per_row = fields.group_by("_row", maintain_order=True).agg(
        pl.struct(list(ITEM_FIELDS)).alias("evidence")
    )
    return (
        frame.drop("evidence")
        .with_row_index("_row")
        .with_columns(pl.col("_row").cast(pl.Int64))
        .join(per_row.with_columns(pl.col("_row").cast(pl.Int64)), on="_row", how="left", maintain_order="left")
        .with_columns(pl.col("evidence").fill_null(pl.lit([], dtype=EVIDENCE_LIST)))
        .select(list(schema))
    )
