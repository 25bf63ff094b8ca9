"""Ingest: validate a snapshot, keep a canonical Parquet copy, queue its reports in the store.

``WORKDIR`` after an ingest::

    WORKDIR/snapshot/<table>.parquet   canonical typed tables (load with load_snapshot(WORKDIR))
    WORKDIR/snapshot/manifest.json     the source manifest, marked as a validated canonical copy, plus the
                                       run, the source's fingerprint and each file's SHA-256 (firebreak.atomic)
    WORKDIR/quarantine.jsonl           one row per rejected input row: table, file, line, reason, row
    WORKDIR/firebreak.db               the operational store (unless --db / FIREBREAK_DB say otherwise)

Re-running on the same snapshot changes nothing: files whose bytes would not change
are not rewritten, and reports already in the store are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from firebreak.atomic import MANIFEST, atomic_results, check_writable, write_file_atomic
from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.read import CANONICAL_KEY, ReadResult, read_snapshot
from firebreak.snapshot.write import write_snapshot

QUARANTINE_FILE = "quarantine.jsonl"
CANONICAL_DIR = "snapshot"


@dataclass(slots=True)
class IngestResult:
    """What an ingest did: rows kept per table, rows quarantined, reports newly queued."""

    workdir: Path
    canonical: Path
    quarantine_path: Path
    counts: dict[str, int]
    quarantined: dict[str, int]
    reports_new: int
    reports_total: int
    db_url: str
    files_changed: list[str] = field(default_factory=list)
    read: ReadResult | None = None
    rows_in: dict[str, int] = field(default_factory=dict)

    @property
    def quarantined_total(self) -> int:
        """Rows quarantined over all tables."""
        return sum(self.quarantined.values())


def write_canonical(result: ReadResult, workdir: Path, source: Path | None = None) -> list[str]:
    """Write the canonical Parquet copy (atomically, with a manifest) and ``quarantine.jsonl`` into ``workdir``.

    The copy is built in a temporary sibling of ``WORKDIR/snapshot`` and swapped into
    place complete (:func:`firebreak.atomic.atomic_results`); its ``manifest.json``
    holds the source snapshot's manifest plus the run, the source's fingerprint and
    every file's SHA-256. When every file is byte-identical to the copy already there,
    nothing is rewritten. ``quarantine.jsonl`` is replaced atomically, and only if its
    bytes change. Returns the names (relative to ``workdir``) of the files written or
    removed.
    """
    manifest = dict(result.snapshot.manifest)
    manifest.setdefault("exported_at", None)  # never "now": that would break idempotence
    manifest[CANONICAL_KEY] = 1
    snap = result.snapshot
    copy = Snapshot(
        accounts=snap.accounts, follows=snap.follows, posts=snap.posts, events=snap.events,
        reports=snap.reports, labels=snap.labels, manifest={},
    )
    inputs = {"snapshot": source} if source is not None else {}
    with atomic_results(workdir / CANONICAL_DIR, command="ingest", inputs=inputs, keep_if_unchanged=True) as out:
        write_snapshot(copy, out.path, encoding="parquet")
        (out.path / MANIFEST).unlink()  # the snapshot's manifest fields go into the results manifest
        out.extra.update(manifest)
    changed = [f"{CANONICAL_DIR}/{name}" for name in out.changed]
    quarantine = pl.DataFrame(result.quarantine).write_ndjson()
    if write_file_atomic(workdir / QUARANTINE_FILE, quarantine.encode("utf-8")):
        changed.append(QUARANTINE_FILE)
    return changed


def ingest(
    snapshot_dir: str | Path,
    workdir: str | Path,
    db_url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> IngestResult:
    """Validate ``snapshot_dir``, write the canonical copy into ``workdir``, queue its reports.

    ``db_url`` is a store URL (``None``: ``FIREBREAK_DB`` or ``WORKDIR/firebreak.db``,
    see :func:`firebreak.store.resolve_db_url`). ``progress(step)`` is called before
    each step (``"read accounts"``, ..., ``"write"``, ``"store"``). Raises
    :class:`~firebreak.errors.SnapshotError` for an unreadable snapshot and
    :class:`~firebreak.errors.StoreError` when the store fails. Idempotent.
    """
    from firebreak.store import open_store, resolve_db_url

    source = Path(snapshot_dir)
    work = check_writable(workdir)
    check_writable(work / CANONICAL_DIR)  # WORKDIR itself must be writable too
    url = resolve_db_url(db_url, work)  # a bad --db is an error before the work, not after
    result = read_snapshot(source, progress=(lambda table: progress(f"read {table}")) if progress else None)
    if progress:
        progress("write")
    work.mkdir(parents=True, exist_ok=True)
    changed = write_canonical(result, work, source)
    if progress:
        progress("store")
    with open_store(url) as store:
        new = store.upsert_reports(result.snapshot.reports, source=str(source.resolve()))
        total = store.count_reports()
        shown = store.url
    quarantined = {table: n for table, n in result.quarantined().items() if n}
    return IngestResult(
        workdir=work,
        canonical=work / CANONICAL_DIR,
        quarantine_path=work / QUARANTINE_FILE,
        counts=result.counts(),
        quarantined=quarantined,
        reports_new=new,
        reports_total=total,
        db_url=shown,
        files_changed=changed,
        read=result,
        rows_in={table: n for table, (n, _, _) in result.accounting().items()},
    )
