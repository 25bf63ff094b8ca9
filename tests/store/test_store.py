"""The Store on SQLite and on the real PostgreSQL: report queue, enforcement, audit log, errors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

import firebreak.store
from firebreak.snapshot.schema import REPORTS
from firebreak.store import REPORT_ROWS, Store, StoreError, open_store

ReportsFactory = Callable[..., pl.DataFrame]


# -- reports: idempotent upsert --------------------------------------------------
def test_upsert_is_idempotent(store: Store, reports_frame: ReportsFactory) -> None:
    frame = reports_frame([f"r{i}" for i in range(12)])
    assert store.upsert_reports(frame, source="snap-1", batch_size=5) == 12
    assert store.upsert_reports(frame, source="snap-1", batch_size=5) == 0
    assert store.count_reports() == 12
    assert store.count_reports("queued") == 12


def test_upsert_inserts_only_new_ids_and_keeps_old_rows(store: Store, reports_frame: ReportsFactory) -> None:
    store.upsert_reports(reports_frame(["a", "b"]), source="first")
    changed = reports_frame(["b", "c", "c"], reason="spam")
    assert store.upsert_reports(changed, source="first") == 1
    stored = store.reports().sort("id")
    assert stored["id"].to_list() == ["a", "b", "c"]
    assert stored["source"].to_list() == ["first", "first", "first"]


def test_same_id_from_two_sources_is_two_reports(store: Store, reports_frame: ReportsFactory) -> None:
    # Two snapshots numbering their reports from r1 must not silently collide.
    assert store.upsert_reports(reports_frame(["r1", "r2"]), source="snap-a") == 2
    assert store.upsert_reports(reports_frame(["r1", "r2"], reason="child_safety"), source="snap-b") == 2
    stored = store.reports().sort("source", "id")
    assert stored.select("source", "id", "reason").rows() == [
        ("snap-a", "r1", "spam"), ("snap-a", "r2", "spam"),
        ("snap-b", "r1", "child_safety"), ("snap-b", "r2", "child_safety"),
    ]
    store.claim_reports(4, worker="w")
    with pytest.raises(StoreError, match="several sources"):
        store.complete_report("r1", "actioned", "mod")
    store.complete_report("r1", "actioned", "mod", source="snap-b")
    assert store.reports(state="actioned").select("source", "id").rows() == [("snap-b", "r1")]


def test_upsert_round_trips_fields(store: Store, reports_frame: ReportsFactory) -> None:
    frame = reports_frame(["r1", "r2"])
    store.upsert_reports(frame)
    stored = store.reports()
    assert stored.schema == REPORT_ROWS
    assert stored.select(list(REPORTS)).sort("id").equals(frame.sort("id"))
    assert stored["attempts"].to_list() == [0, 0]


def test_upsert_keeps_awkward_text_exactly(store: Store, reports_frame: ReportsFactory) -> None:
    awkward = ["", None, 'a "quoted", comma', "two\nlines\r\n", "\\N", "NULL", "émoji 🍕 ß", "tab\there"]
    frame = reports_frame([f"r{i}" for i in range(len(awkward))]).with_columns(
        pl.Series("text", awkward, pl.String), pl.Series("reporter", awkward, pl.String)
    )
    assert store.upsert_reports(frame) == len(awkward)
    stored = store.reports().sort("id")
    assert stored["text"].to_list() == frame.sort("id")["text"].to_list()
    assert stored["reporter"].to_list() == frame.sort("id")["reporter"].to_list()


def test_upsert_accepts_minimal_frame_and_ignores_extra_columns(store: Store) -> None:
    frame = pl.DataFrame({"id": ["x"], "target": ["acct1"], "extra": [1]})
    assert store.upsert_reports(frame) == 1
    assert store.reports()["target"].to_list() == ["acct1"]


def test_upsert_empty_frame(store: Store) -> None:
    assert store.upsert_reports(pl.DataFrame(schema=REPORTS)) == 0


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"id": ["x"]}), "lacks required column.*target"),
        (pl.DataFrame({"id": [None, "y"], "target": ["t", "t"]}, schema={"id": pl.String, "target": pl.String}), "1 report row"),
        (pl.DataFrame({"id": ["x"], "target": ["t"], "created_at": ["not a time"]}), "does not match the reports schema"),
    ],
)
def test_upsert_rejects_bad_frames(store: Store, frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        store.upsert_reports(frame)
    assert store.count_reports() == 0


def test_failed_upsert_stores_nothing(store: Store, db_url: str, reports_frame: ReportsFactory) -> None:
    store.upsert_reports(reports_frame(["r1"]))
    _break_inserts(db_url, store.dialect, "reports")
    with pytest.raises(StoreError, match="storing reports failed on .*reports down"):
        store.upsert_reports(reports_frame(["r2", "r3"]))
    assert store.reports()["id"].to_list() == ["r1"]


def test_upsert_is_durable_across_connections(db_url: str, reports_frame: ReportsFactory) -> None:
    with open_store(db_url) as writer:
        writer.upsert_reports(reports_frame(["r1", "r2", "r3"]))
    with open_store(db_url) as reader:
        assert reader.count_reports("queued") == 3


# -- reports: claim / complete / fail ------------------------------------------
def test_claim_takes_oldest_queued_and_marks_in_review(store: Store, reports_frame: ReportsFactory) -> None:
    store.upsert_reports(reports_frame(["r1", "r2", "r3"]))
    claimed = store.claim_reports(2, worker="w1")
    assert claimed["id"].to_list() == ["r1", "r2"]
    assert claimed["state"].to_list() == ["in_review", "in_review"]
    assert claimed["claimed_by"].to_list() == ["w1", "w1"]
    assert store.count_reports("in_review") == 2
    assert store.count_reports("queued") == 1
    assert store.claim_reports(5)["id"].to_list() == ["r3"]
    assert store.claim_reports(5).height == 0
    assert store.claim_reports(0).height == 0


def test_complete_closes_report_and_audits(store: Store, reports_frame: ReportsFactory) -> None:
    store.upsert_reports(reports_frame(["r1", "r2"]))
    store.claim_reports(2)
    store.complete_report("r1", "actioned", "mod-ana", note="network n1")
    store.complete_report("r2", "dismissed", "mod-ben")
    assert store.count_reports("actioned") == 1
    assert store.count_reports("dismissed") == 1
    entries = store.audit_entries(subject_kind="report")
    assert [(e.subject, e.action, e.actor) for e in entries] == [
        ("r1", "report.actioned", "mod-ana"),
        ("r2", "report.dismissed", "mod-ben"),
    ]
    assert entries[0].detail["note"] == "network n1"
    assert entries[0].detail["target"] == "target_r1"


def test_complete_requires_a_claim_and_a_valid_outcome(store: Store, reports_frame: ReportsFactory) -> None:
    store.upsert_reports(reports_frame(["r1"]))
    with pytest.raises(StoreError, match="'r1' is queued, not in_review"):
        store.complete_report("r1", "actioned", "mod")
    with pytest.raises(StoreError, match="no report 'nope'"):
        store.complete_report("nope", "actioned", "mod")
    store.claim_reports(1)
    with pytest.raises(StoreError, match="not 'queued'"):
        store.complete_report("r1", "queued", "mod")
    assert store.audit_entries() == []


def test_failed_report_is_requeued_never_lost(store: Store, reports_frame: ReportsFactory) -> None:
    store.upsert_reports(reports_frame(["r1"]))
    for attempt in (1, 2, 3):
        (claimed,) = store.claim_reports(1)["id"].to_list()
        assert claimed == "r1"
        assert store.fail_report("r1", f"classifier timeout {attempt}") == "queued"
    row = store.reports(ids=["r1"]).row(0, named=True)
    assert (row["state"], row["attempts"], row["last_error"]) == ("queued", 3, "classifier timeout 3")
    assert row["claimed_by"] is None
    assert store.count_reports() == 1


def test_retry_limit_parks_report_as_failed_with_audit(store: Store, reports_frame: ReportsFactory) -> None:
    store.upsert_reports(reports_frame(["r1"]))
    store.claim_reports(1)
    assert store.fail_report("r1", "boom", max_attempts=2) == "queued"
    store.claim_reports(1)
    assert store.fail_report("r1", "boom again", max_attempts=2) == "failed"
    assert store.count_reports("failed") == 1
    assert store.claim_reports(1).height == 0
    (entry,) = store.audit_entries(action="report.failed")
    assert entry.detail == {"attempts": 2, "error": "boom again"}
    with pytest.raises(StoreError, match="is failed, not in_review"):
        store.fail_report("r1", "again")


def test_stale_claims_return_to_queue(store: Store, reports_frame: ReportsFactory) -> None:
    store.upsert_reports(reports_frame(["r1", "r2"]))
    store.claim_reports(2, worker="crashed")
    assert store.requeue_stale(timedelta(hours=1)) == 0
    assert store.requeue_stale(timedelta(0)) == 2
    queued = store.reports(state="queued")
    assert queued["attempts"].to_list() == [1, 1]
    assert queued["last_error"].to_list() == ["claim expired", "claim expired"]


def test_unknown_state_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown report state 'lost'"):
        store.count_reports("lost")


def test_concurrent_claims_never_share_a_report(db_url: str, reports_frame: ReportsFactory) -> None:
    ids = [f"r{i:03d}" for i in range(120)]
    with open_store(db_url) as setup:
        setup.upsert_reports(reports_frame(ids))
    stores = [open_store(db_url), open_store(db_url)]
    claimed: list[list[str]] = [[], []]
    start = threading.Barrier(2)

    def worker(k: int) -> None:
        start.wait()
        while batch := stores[k].claim_reports(7, worker=f"w{k}")["id"].to_list():
            claimed[k].extend(batch)

    threads = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for opened in stores:
        opened.close()
    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == ids


@pytest.mark.postgres
def test_skip_locked_hands_out_other_reports_while_a_claim_is_open(pg_url: str, reports_frame: ReportsFactory) -> None:
    """A transaction holding claimed rows does not block or duplicate a second claimer."""
    with open_store(pg_url) as store:
        store.upsert_reports(reports_frame(["r1", "r2", "r3"]))
        engine = create_engine(pg_url)
        with engine.begin() as holder:
            held = holder.execute(
                text("SELECT id FROM reports WHERE state = 'queued' ORDER BY id LIMIT 2 FOR UPDATE")
            ).scalars().all()
            assert held == ["r1", "r2"]
            assert store.claim_reports(3)["id"].to_list() == ["r3"]
        engine.dispose()
        assert store.claim_reports(3)["id"].to_list() == ["r1", "r2"]


# -- enforcement -------------------------------------------------------------------
def test_enforcement_is_set_and_audited(store: Store) -> None:
    assert store.enforcement("acct1") == "none"
    assert store.set_enforcement("acct1", "under_review", actor="scan", reason="score 0.91") == "none"
    assert store.set_enforcement("acct1", "disabled", actor="mod", reason="seller", network="n7") == "under_review"
    assert store.enforcement("acct1") == "disabled"
    frame = store.enforcements()
    assert frame.row(0, named=True) | {"updated_at": None} == {
        "account": "acct1",
        "state": "disabled",
        "network": "n7",
        "reason": "seller",
        "updated_by": "mod",
        "updated_at": None,
    }
    entries = store.audit_entries(subject="acct1")
    assert [e.detail for e in entries] == [
        {"from": "none", "to": "under_review", "reason": "score 0.91", "network": None},
        {"from": "under_review", "to": "disabled", "reason": "seller", "network": "n7"},
    ]
    assert entries[-1].at == frame["updated_at"][0]
    assert store.enforcements("restricted").height == 0
    with pytest.raises(StoreError, match="unknown enforcement state 'banned'"):
        store.set_enforcement("acct1", "banned", actor="mod", reason="x")


def _break_inserts(url: str, dialect: str, table: str) -> None:
    """Install a real trigger that makes every insert into ``table`` fail with '<table> down'."""
    engine = create_engine(url)
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.execute(text(
                f"CREATE FUNCTION {table}_down() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{table} down'; END $$"
            ))
            conn.execute(text(
                f"CREATE TRIGGER {table}_down BEFORE INSERT ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_down()"
            ))
        else:
            conn.execute(text(
                f"CREATE TRIGGER {table}_down BEFORE INSERT ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} down'); END"
            ))
    engine.dispose()


def test_enforcement_and_audit_share_one_transaction(store: Store, db_url: str, reports_frame: ReportsFactory) -> None:
    store.set_enforcement("acct1", "restricted", actor="scan", reason="first")
    _break_inserts(db_url, store.dialect, "audit_log")
    with pytest.raises(StoreError, match="audit_log down"):
        store.set_enforcement("acct1", "disabled", actor="mod", reason="second")
    assert store.enforcement("acct1") == "restricted"
    assert store.enforcements()["reason"].to_list() == ["first"]
    store.upsert_reports(reports_frame(["r1"]))
    store.claim_reports(1)
    with pytest.raises(StoreError, match="audit_log down"):
        store.complete_report("r1", "actioned", "mod")
    assert store.count_reports("in_review") == 1


# -- audit log -----------------------------------------------------------------------
def test_append_and_filter_audit(store: Store) -> None:
    first = store.append_audit("guard", "recommendation.blocked", subject_kind="account", subject="a1", detail={"n": 1})
    second = store.append_audit("guard", "search.blocked", subject_kind="query", subject="q", detail={"terms": ["x"]})
    store.append_audit("mod", "recommendation.blocked", subject_kind="account", subject="a2")
    assert second.id > first.id
    assert [e.subject for e in store.audit_entries(action="recommendation.blocked")] == ["a1", "a2"]
    assert [e.subject for e in store.audit_entries(actor="guard")] == ["a1", "q"]
    assert [e.subject for e in store.audit_entries(after_id=first.id, limit=1)] == ["q"]
    assert store.audit_entries(subject_kind="query")[0].detail == {"terms": ["x"]}
    assert store.audit_entries(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert store.audit_entries()[0] == first


def test_unserialisable_detail_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="audit detail for y k 's' is not JSON"):
        store.append_audit("x", "y", subject_kind="k", subject="s", detail={"when": object()})
    assert store.audit_entries() == []


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"],
)
def test_audit_log_rejects_update_and_delete(store: Store, db_url: str, statement: str) -> None:
    store.append_audit("mod", "enforcement.set", subject_kind="account", subject="a1", detail={"to": "disabled"})
    engine = create_engine(db_url)
    with pytest.raises(DBAPIError, match="audit_log is append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()
    (entry,) = store.audit_entries()
    assert entry.actor == "mod"


@pytest.mark.postgres
def test_audit_log_rejects_truncate_on_postgres(pg_url: str) -> None:
    with open_store(pg_url) as store:
        store.append_audit("mod", "x", subject_kind="account", subject="a1")
        engine = create_engine(pg_url)
        with pytest.raises(DBAPIError, match="TRUNCATE rejected"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
        engine.dispose()
        assert len(store.audit_entries()) == 1


# -- SQLite settings ---------------------------------------------------------------
def test_sqlite_runs_wal_with_full_sync(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'f.db'}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


# -- errors ----------------------------------------------------------------------------
def test_unreachable_postgres_is_a_one_line_store_error() -> None:
    with pytest.raises(StoreError, match=r"cannot open database postgresql\+psycopg://u:\*\*\*@127.0.0.1:1/x") as info:
        open_store("postgresql://u:secret@127.0.0.1:1/x")
    assert "\n" not in str(info.value)
    assert "secret" not in str(info.value)


@pytest.mark.postgres
def test_missing_postgres_database_is_a_store_error(pg_database: URL) -> None:
    url = pg_database.set(database="firebreak_no_such_db").render_as_string(hide_password=False)
    with pytest.raises(StoreError, match='database "firebreak_no_such_db" does not exist'):
        open_store(url)


def test_missing_sqlite_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        open_store(f"sqlite:///{tmp_path / 'nope' / 'f.db'}")


def test_not_a_database_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(StoreError, match="file is not a database") as info:
        open_store(str(path))
    assert "\n" not in str(info.value)


def test_bad_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        open_store("oracle://scott@db/x")


def test_public_api_is_pinned() -> None:
    assert set(firebreak.store.__all__) == {
        "ENFORCEMENT_ROWS",
        "ENFORCEMENT_STATES",
        "REPORT_OUTCOMES",
        "REPORT_ROWS",
        "REPORT_STATES",
        "TRUSTED_ROWS",
        "AuditEntry",
        "Store",
        "StoreError",
        "normalize_db_url",
        "open_store",
        "resolve_db_url",
    }
