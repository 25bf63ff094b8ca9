"""Ingest: validate a snapshot, keep a canonical Parquet copy, queue its reports in the store.

``WORKDIR`` after an ingest::

    WORKDIR/snapshot/<table>.parquet   canonical typed tables (load with load_snapshot(WORKDIR))
    WORKDIR/snapshot/manifest.json     the source manifest, marked as a validated canonical copy
    WORKDIR/quarantine.jsonl           one row per rejected input row: table, file, line, reason, row
    WORKDIR/firebreak.db               the operational store (unless --db / FIREBREAK_DB say otherwise)

Re-running on the same snapshot changes nothing: files whose bytes would not change
are not rewritten, and reports already in the store are left alone.
"""

from __future__ import annotations

import filecmp
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.read import CANONICAL_KEY, ReadResult, read_snapshot
from firebreak.snapshot.schema import ENCODINGS, SCHEMAS
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

    @property
    def quarantined_total(self) -> int:
        """Rows quarantined over all tables."""
        return sum(self.quarantined.values())


def _replace_if_changed(new: Path, target: Path) -> bool:
    """Move ``new`` onto ``target`` unless ``target`` already has the same bytes; True if replaced."""
    if target.is_file() and filecmp.cmp(new, target, shallow=False):
        new.unlink()
        return False
    os.replace(new, target)
    return True


def write_canonical(result: ReadResult, workdir: Path) -> list[str]:
    """Write the canonical Parquet copy and ``quarantine.jsonl`` into ``workdir``.

    Only files whose content changed are replaced; tables absent from the snapshot
    are removed from the copy. Returns the names of the files written or removed.
    """
    canonical = workdir / CANONICAL_DIR
    canonical.mkdir(parents=True, exist_ok=True)
    manifest = dict(result.snapshot.manifest)
    manifest.setdefault("exported_at", None)  # never "now": that would break idempotence
    manifest[CANONICAL_KEY] = 1
    snap = result.snapshot
    copy = Snapshot(
        accounts=snap.accounts, follows=snap.follows, posts=snap.posts, events=snap.events,
        reports=snap.reports, labels=snap.labels, manifest=manifest,
    )
    changed: list[str] = []
    with tempfile.TemporaryDirectory(dir=workdir, prefix=".ingest-") as tmp:
        staged = write_snapshot(copy, tmp, encoding="parquet")
        pl.DataFrame(result.quarantine).write_ndjson(staged / QUARANTINE_FILE)
        written = sorted(staged.iterdir())
        names = {path.name for path in written}
        for path in written:
            target = workdir / QUARANTINE_FILE if path.name == QUARANTINE_FILE else canonical / path.name
            if _replace_if_changed(path, target):
                changed.append(str(target.relative_to(workdir)))
    for table in SCHEMAS:
        for encoding in ENCODINGS:
            stale = canonical / f"{table}.{encoding}"
            if stale.name not in names and stale.is_file():
                stale.unlink()
                changed.append(str(stale.relative_to(workdir)))
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
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    result = read_snapshot(source, progress=(lambda table: progress(f"read {table}")) if progress else None)
    if progress:
        progress("write")
    changed = write_canonical(result, work)
    if progress:
        progress("store")
    url = resolve_db_url(db_url, work)
    with open_store(url) as store:
        new = store.upsert_reports(result.snapshot.reports, source=str(source.resolve()))
        total = store.count_reports()
        shown = store.url
    quarantined = dict(
        result.quarantine.group_by("table").len().sort("table").iter_rows()
    ) if result.quarantine.height else {}
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
    )
