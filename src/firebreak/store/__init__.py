"""The operational store: user reports and their review queue, accounts' enforcement
state, and an append-only audit log.

SQLite file by default, PostgreSQL by URL (``--db`` or ``FIREBREAK_DB``); one
SQLAlchemy 2 Core schema with Alembic migrations, applied when a store is opened::

    from firebreak.store import open_store, resolve_db_url

    with open_store(resolve_db_url(cli_db, workdir)) as store:
        new = store.upsert_reports(snapshot.reports)          # idempotent
        batch = store.claim_reports(100, worker="reviewer-1")  # queued -> in_review
        store.complete_report(batch["id"][0], "actioned", actor="reviewer-1")
        store.set_enforcement("acct9", "restricted", actor="scan", reason="seller network n3")
"""

from __future__ import annotations

from firebreak.errors import StoreError
from firebreak.store.schema import ENFORCEMENT_STATES, REPORT_OUTCOMES, REPORT_STATES
from firebreak.store.store import (
    ENFORCEMENT_ROWS,
    REPORT_ROWS,
    AuditEntry,
    Store,
    open_store,
)
from firebreak.store.url import normalize_db_url, resolve_db_url

__all__ = [
    "ENFORCEMENT_ROWS",
    "ENFORCEMENT_STATES",
    "REPORT_OUTCOMES",
    "REPORT_ROWS",
    "REPORT_STATES",
    "AuditEntry",
    "Store",
    "StoreError",
    "normalize_db_url",
    "open_store",
    "resolve_db_url",
]
