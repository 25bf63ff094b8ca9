"""The scan in force: scan results, the guard fitted on them, and what the console shows of them.

The server reads one scan folder (``scores.jsonl``, ``networks.jsonl``,
``terms.jsonl``; ``firebreak scan`` output) and optionally the snapshot it was
made from (for the accounts' original texts, media hashes, ages and follows).
:class:`ScanHolder` re-reads the folder when its files change (checked at most
once per ``check_s`` seconds, by modification time and size) or when an admin
publishes, so a new scan takes effect without a restart. A scan that fails to
load leaves the previous one in force.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import compress, repeat
from pathlib import Path

import numpy as np
import polars as pl

from firebreak.errors import FirebreakError
from firebreak.graph.ids import IdMap
from firebreak.guard.decisions import REASONS, DecisionLog
from firebreak.guard.policy import Guard
from firebreak.scan.result import ScanResult

log = logging.getLogger("firebreak.api")
SCAN_FILES = ("scores.jsonl", "networks.jsonl", "terms.jsonl", "manifest.json")
SURFACES = ("suggested", "search", "explore")


@dataclass(frozen=True)
class ScanState:
    """One loaded scan. ``version`` names it in audit entries (folder + file signature)."""

    directory: Path
    version: str
    loaded_at: datetime
    results: ScanResult
    #: the guard fitted on the scan, counting its refusals into ``log``.
    guard: Guard
    log: DecisionLog
    ids: IdMap
    #: accounts from the snapshot (id, handle, bio, age_group) or empty.
    accounts: pl.DataFrame
    #: posts from the snapshot (id, author, text, media) or empty.
    posts: pl.DataFrame
    #: follows among flagged accounts (src, dst) or empty.
    follows: pl.DataFrame
    networks: pl.DataFrame = field(repr=False, default_factory=pl.DataFrame)
    #: id -> dense index of the accounts the guard can refuse or protect (any of its bits set);
    #: every other account is shown to anyone, and sees what an outside viewer sees.
    index: dict[str, int] = field(repr=False, default_factory=dict)

    def filter(self, viewer: str, candidates: list[str], surface: str) -> tuple[list[str], list[tuple[str, str]]]:
        """Split ``candidates`` into those ``viewer`` may be shown and ``(account, reason)`` refused, in order.

        Candidates the guard knows nothing against are shown; a viewer it knows nothing of is
        an adult, not buyer-like, viewer. Ids are looked up in :attr:`index` (a hash lookup
        each, in C), the decisions made by :meth:`Guard.refusals_for` in one vectorised pass.
        """
        codes = self.refusals(viewer, candidates, surface)
        refused = np.flatnonzero(codes)
        if refused.size == 0:
            return list(candidates), []
        allowed = list(compress(candidates, (codes == 0).tolist()))
        return allowed, [(candidates[i], REASONS[c]) for i, c in zip(refused.tolist(), codes[refused].tolist(), strict=True)]

    def refusals(self, viewer: str, candidates: list[str], surface: str) -> np.ndarray:
        """Per candidate, the guard's reason code (0: shown) for ``viewer`` on ``surface``."""
        idx = np.fromiter(map(self.index.get, candidates, repeat(-1)), dtype=np.int64, count=len(candidates))
        return self.guard.refusals_for(self.index.get(viewer, -1), idx, surface=surface)


def _signature(directory: Path) -> str:
    parts = []
    for name in SCAN_FILES:
        path = directory / name
        if path.exists():
            st = path.stat()
            parts.append(f"{name}:{st.st_mtime_ns}:{st.st_size}")
    return "|".join(parts)


def _read_snapshot(snapshot: Path | None, flagged: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    empty_accounts = pl.DataFrame(schema={"id": pl.String, "handle": pl.String, "bio": pl.String, "age_group": pl.String})
    empty_posts = pl.DataFrame(schema={"id": pl.String, "author": pl.String, "text": pl.String, "media": pl.List(pl.String)})
    empty_follows = pl.DataFrame(schema={"src": pl.String, "dst": pl.String})
    if snapshot is None:
        return empty_accounts, empty_posts, empty_follows
    from firebreak.snapshot import load_snapshot

    snap = load_snapshot(snapshot).snapshot
    accounts = snap.accounts.select(
        pl.col("id"), pl.col("handle"), pl.col("bio"), pl.col("age_group").cast(pl.String)
    )
    posts = snap.posts
    media = (
        pl.col("media").list.eval(pl.element().struct.field("pdq")).alias("media")
        if "media" in posts.columns and isinstance(posts.schema["media"], pl.List)
        else pl.lit(None, pl.List(pl.String)).alias("media")
    )
    posts = posts.filter(pl.col("author").is_in(flagged.implode())).select("id", "author", "text", media)
    follows = snap.follows.select("src", "dst").filter(
        pl.col("src").is_in(flagged.implode()) & pl.col("dst").is_in(flagged.implode())
    )
    return accounts, posts, follows


def load_scan(directory: Path, snapshot: Path | None = None) -> ScanState:
    """Read the scan in ``directory`` (and the ``snapshot`` beside it, if given) and fit the guard.

    Raises :class:`FirebreakError` (one line) if the results cannot be read.
    """
    directory = Path(directory)
    version = _signature(directory)
    results = ScanResult.read(directory)
    scores, networks = results.scores, results.networks
    flagged = pl.concat(
        [scores.get_column("account"), networks.select(pl.col("members").explode()).to_series().rename("account")]
    ).drop_nulls().unique(maintain_order=True)
    accounts, posts, follows = _read_snapshot(snapshot, flagged)
    if accounts.height:
        ids = IdMap.from_ids(pl.concat([accounts.get_column("id"), flagged]))
        minor = np.zeros(ids.n, dtype=bool)
        mi = ids.encode(accounts.filter(pl.col("age_group") == "minor").get_column("id"))
        minor[mi[mi >= 0]] = True
    else:
        ids = IdMap.from_ids(flagged)
        minor = None
    log = DecisionLog()
    guard = Guard(block_search_terms=False).fit(ids, scores, networks=networks, terms=results.terms, minor=minor).logged(log)
    guarded = np.flatnonzero(guard.bits_)
    return ScanState(
        index=dict(zip(ids.ids.gather(guarded).to_list(), guarded.tolist(), strict=True)),
        directory=directory,
        version=f"{directory.name}@{abs(hash(version)) % 10**12:012d}",
        loaded_at=datetime.now(UTC),
        results=results,
        guard=guard,
        log=log,
        ids=ids,
        accounts=accounts,
        posts=posts,
        follows=follows,
        networks=networks,
    )


class ScanHolder:
    """Holds the :class:`ScanState` in force and swaps in a new one when the folder changes."""

    def __init__(self, directory: Path | None, snapshot: Path | None = None, *, check_s: float = 1.0) -> None:
        self.directory = None if directory is None else Path(directory)
        self.snapshot = snapshot
        self.check_s = check_s
        self._state: ScanState | None = None
        self._signature = ""
        self._checked = 0.0
        self._lock = threading.Lock()
        self.reloads = 0
        self.last_error: str | None = None
        if self.directory is not None:
            self.reload()

    def reload(self) -> ScanState | None:
        """Load the folder now; on failure keep the scan in force and remember the error."""
        if self.directory is None:
            return None
        with self._lock:
            signature = _signature(self.directory)
            try:
                state = load_scan(self.directory, self.snapshot)
            except (FirebreakError, OSError, pl.exceptions.PolarsError) as exc:
                self.last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                log.warning("scan in %s not loaded, keeping the previous one: %s", self.directory, self.last_error)
                self._signature = signature
                return self._state
            self._state, self._signature, self.last_error = state, signature, None
            self.reloads += 1
            return state

    def current(self) -> ScanState | None:
        """The scan in force, reloaded first if its files changed since the last look."""
        now = time.monotonic()
        if self.directory is not None and now - self._checked >= self.check_s:
            self._checked = now
            if _signature(self.directory) != self._signature:
                self.reload()
        return self._state
