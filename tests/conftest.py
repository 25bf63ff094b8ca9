"""Shared fixtures: a database URL for SQLite and for the real PostgreSQL server.

Each test session (each xdist worker) creates its own PostgreSQL database
``firebreak_test_<random>`` through the ``postgres`` maintenance database and
drops it at the end; each test gets an empty schema of its own inside it. If
PostgreSQL is down, tests that need it fail (they do not skip): CI starts it.
Point ``FIREBREAK_TEST_PG`` at another maintenance database URL if needed.

Hypothesis: no per-example deadline (a shared 2-core machine makes timings noisy);
under CI (``CI`` set) examples are derandomised so a run is reproducible.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

PG_ADMIN_URL = os.environ.get("FIREBREAK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[URL]:
    """URL of a fresh PostgreSQL database for this test session, dropped when it ends."""
    admin_url = make_url(PG_ADMIN_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"firebreak_test_{uuid.uuid4().hex[:16]}"
    reason = None
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if reason is not None:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL is needed at {admin_url.render_as_string()} ({reason}); "
            "start it with `make postgres` (CI starts it)",
            pytrace=False,
        )
    try:
        yield admin_url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_database: URL) -> str:
    """URL of an empty schema, this test's own, in the session's PostgreSQL database."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    engine = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()
    url = pg_database.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database's URL: a SQLite file under tmp_path, then the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'firebreak.db'}"
    return str(request.getfixturevalue("pg_url"))
