"""Running the store's Alembic migrations from code (works from an installed package).

The Alembic config is built here, pointing at the ``migrations`` folder beside
this file; no ``alembic.ini`` is read. Migrations run inside one transaction
that first takes a migration lock (an advisory lock on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite), so two processes opening a fresh database at once do
not both create it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: arbitrary constant key for ``pg_advisory_xact_lock`` (ASCII "firebrk").
PG_MIGRATION_LOCK = 0x6669726562726B


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic :class:`Config` for the store's migrations, optionally bound to ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest migration revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def known_revisions() -> set[str]:
    """Every migration revision this code knows."""
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    """The revision the database behind ``connection`` is at (``None``: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


def lock_for_migration(connection: Connection) -> None:
    """Hold the migration lock until ``connection``'s transaction ends (PostgreSQL only;
    SQLite write transactions are already exclusive)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Migrate the database behind ``connection`` (already in a transaction) to ``revision``."""
    command.upgrade(alembic_config(connection), revision)
