"""Recidivism: accounts re-created after a takedown, found by audience and destinations.

After a network is taken down, every scan checks the accounts the store does
not know yet against the disabled accounts:

- *audience*: :func:`firebreak.graph.evasion.find_evasion` (MinHash + LSH,
  verified by exact weighted Jaccard) finds new accounts whose followers are
  largely a disabled account's followers;
- *destinations*: new accounts sharing an off-platform destination with a
  taken-down case.

Each match reopens the disabled account's case with the new account as an
``evader`` member and the link as its evidence, in one transaction, and queues
the case for review. Matching again finds nothing new (already a member).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from sqlalchemy import select, update

from firebreak.act.queue import enqueue_in, now, priority_boost
from firebreak.errors import ActError
from firebreak.graph.evasion import find_evasion
from firebreak.store import Store
from firebreak.store.schema import accounts_enforcement, actions, case_members, cases


@dataclass(frozen=True, slots=True)
class RecidivismMatch:
    """A new ``account`` linked to ``case_id`` through disabled ``linked_to`` (or a shared destination)."""

    account: str
    case_id: int
    signal: str
    linked_to: str
    detail: str
    weight: float


def _dense_followers(follows: pl.DataFrame) -> tuple[sp.csr_matrix, pl.Series]:
    """Follower CSR (row j = accounts following j) over dense ids, and the id of each index."""
    ids = pl.concat([follows.get_column("src"), follows.get_column("dst")]).unique().sort()
    index = pl.DataFrame({"account": ids, "i": pl.int_range(ids.len(), dtype=pl.Int64, eager=True)})
    coded = (
        follows.select("src", "dst")
        .join(index.rename({"account": "src", "i": "s"}), on="src")
        .join(index.rename({"account": "dst", "i": "d"}), on="dst")
        .unique(["s", "d"])
    )
    n = ids.len()
    data = np.ones(coded.height, dtype=np.float64)
    matrix = sp.csr_matrix((data, (coded.get_column("d").to_numpy(), coded.get_column("s").to_numpy())), shape=(n, n))
    return matrix, ids


def find_recidivists(
    store: Store,
    follows: pl.DataFrame,
    *,
    destinations: pl.DataFrame | None = None,
    min_jaccard: float = 0.15,
    min_shared: float = 4.0,
) -> list[RecidivismMatch]:
    """Matches of unknown accounts against disabled accounts (read only; see :func:`check_recidivism`).

    ``follows`` has ``src`` (follower) and ``dst`` (followed) columns, the
    snapshot's follow table; ``destinations`` (optional) has ``account,
    destination`` pairs (:func:`firebreak.detect.profile.destinations`).
    """
    missing = [c for c in ("src", "dst") if c not in follows.columns]
    if missing:
        raise ActError(f"follows frame lacks column(s) {', '.join(missing)}")
    with store.connection() as conn:
        disabled_rows = conn.execute(
            select(accounts_enforcement.c.account).where(accounts_enforcement.c.state == "disabled")
        ).all()
        known_rows = conn.execute(select(case_members.c.account).distinct()).all()
        enforced_rows = conn.execute(select(accounts_enforcement.c.account)).all()
        case_of_rows = conn.execute(
            select(actions.c.account, actions.c.case_id).order_by(actions.c.id)
        ).all()
        taken_down = conn.execute(
            select(cases.c.id, cases.c.destinations).where(cases.c.outcome == "taken_down")
        ).all()
    disabled = pl.Series("account", [r[0] for r in disabled_rows], pl.String)
    known = pl.Series("account", [r[0] for r in known_rows] + [r[0] for r in enforced_rows], pl.String)
    case_of = {r[0]: int(r[1]) for r in case_of_rows}  # latest action's case wins
    matches: list[RecidivismMatch] = []
    if disabled.len() and follows.height:
        followers, ids = _dense_followers(follows)
        frame = pl.DataFrame({"account": ids, "i": np.arange(ids.len())})
        old = frame.filter(pl.col("account").is_in(disabled.implode())).get_column("i").to_numpy()
        new = frame.filter(~pl.col("account").is_in(known.implode())).get_column("i").to_numpy()
        m = find_evasion(followers, old, new, min_jaccard=min_jaccard, min_shared=min_shared)
        names = ids.to_numpy()
        for a, b, j, s in zip(names[m.new], names[m.old], m.jaccard, m.shared, strict=True):
            if b in case_of:
                matches.append(RecidivismMatch(
                    str(a), case_of[b], "recidivism:audience", str(b),
                    f"followers overlap disabled {b}: weighted Jaccard {float(j):.2f}, {float(s):.0f} shared",
                    float(j) * 5.0,
                ))
    if destinations is not None and destinations.height and taken_down:
        case_dests = pl.DataFrame(
            [(int(row[0]), d) for row in taken_down for d in list(row[1] or [])],
            schema={"case_id": pl.Int64, "destination": pl.String}, orient="row",
        )
        hits = (
            destinations.select("account", "destination")
            .filter(~pl.col("account").is_in(known.implode()))
            .join(case_dests, on="destination")
            .unique(["account", "case_id"], keep="first")
            .sort("account", "case_id")
        )
        for a, d, cid in hits.select("account", "destination", "case_id").iter_rows():
            matches.append(RecidivismMatch(a, cid, "recidivism:destination", d,
                                           f"shares destination {d} with a network taken down", 3.0))
    return matches


def check_recidivism(
    store: Store,
    follows: pl.DataFrame,
    evidence_version: str,
    *,
    destinations: pl.DataFrame | None = None,
    actor: str = "recidivism",
    min_jaccard: float = 0.15,
    min_shared: float = 4.0,
) -> list[RecidivismMatch]:
    """Find re-created accounts (:func:`find_recidivists`) and reopen their cases (one transaction).

    Each matched account joins its case as an ``evader`` whose evidence is the
    link; a closed case is reopened (audited ``case.reopened`` with the link)
    and queued for review. Returns the matches that were new to their case.
    """
    matches = find_recidivists(store, follows, destinations=destinations, min_jaccard=min_jaccard,
                               min_shared=min_shared)
    if not matches:
        return []
    t = now()
    applied: list[RecidivismMatch] = []
    with store.transaction() as conn:
        for m in matches:
            present = conn.execute(
                select(case_members.c.account).where(case_members.c.case_id == m.case_id,
                                                     case_members.c.account == m.account)
            ).one_or_none()
            if present is not None:
                continue
            evidence = [{"signal": m.signal, "detail": m.detail, "weight": m.weight}]
            conn.execute(case_members.insert().values(
                case_id=m.case_id, account=m.account, role="evader", risk=1.0, evidence=evidence,
                first_version=evidence_version, last_version=evidence_version, added_at=t,
            ))
            row = conn.execute(select(cases.c.state, cases.c.risk, cases.c.minors)
                               .where(cases.c.id == m.case_id)).one()
            conn.execute(update(cases).where(cases.c.id == m.case_id)
                         .values(state="open", closed_at=None, updated_at=t, evidence_version=evidence_version))
            store.append_audit_in(
                conn, actor, "case.reopened" if row.state == "closed" else "case.updated", subject_kind="case",
                subject=str(m.case_id), at=t,
                detail={"evader": m.account, "linked_to": m.linked_to, "signal": m.signal, "detail": m.detail,
                        "evidence_version": evidence_version},
            )
            enqueue_in(conn, store, "case", [str(m.case_id)], at=t, requeue_done=True,
                       boosts=[priority_boost(float(row.risk), bool(row.minors))])
            applied.append(m)
    return applied
