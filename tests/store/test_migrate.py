"""Migrations: a fresh database reaches head, the schema matches the metadata, opening verifies."""

from __future__ import annotations

import threading
from collections.abc import Callable

import polars as pl
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from firebreak.store import StoreError, open_store
from firebreak.store.migrate import MIGRATIONS, head_revision
from firebreak.store.schema import metadata


def test_open_migrates_fresh_database_to_head(db_url: str) -> None:
    with open_store(db_url) as store:
        assert store.revision() == head_revision()
        tables = set(inspect(store.engine).get_table_names())
    assert {"reports", "accounts_enforcement", "audit_log", "alembic_version"} <= tables


def test_migrations_match_schema_metadata(db_url: str) -> None:
    with open_store(db_url) as store, store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_reopen_keeps_data_and_revision(db_url: str, reports_frame: Callable[..., pl.DataFrame]) -> None:
    with open_store(db_url) as store:
        store.upsert_reports(reports_frame(["r1", "r2"]))
    with open_store(db_url) as again:
        assert again.revision() == head_revision()
        assert again.upgrade() == head_revision()
        assert again.count_reports() == 2


def test_verify_only_refuses_unmigrated_database(db_url: str) -> None:
    needs = rf"schema revision none, this Firebreak needs {head_revision()}: open_store\(url\) migrates it"
    with pytest.raises(StoreError, match=needs):
        open_store(db_url, upgrade=False)
    open_store(db_url).close()
    open_store(db_url, upgrade=False).close()


def test_unknown_newer_revision_is_refused(db_url: str) -> None:
    open_store(db_url).close()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this Firebreak knows"):
        open_store(db_url)


def test_concurrent_first_opens_migrate_once(db_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def opener() -> None:
        try:
            start.wait()
            open_store(db_url).close()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(db_url) as store:
        assert store.revision() == head_revision()


def test_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "script.py.mako").is_file()
    assert sorted(p.name for p in (MIGRATIONS / "versions").glob("0*.py"))[0] == "0001_initial.py"
