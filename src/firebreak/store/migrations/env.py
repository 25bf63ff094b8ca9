"""Alembic environment for the operational store.

Normally run by :func:`firebreak.store.migrate.upgrade`, which passes an open
connection (already in a transaction, holding the migration lock) in
``config.attributes["connection"]``. Run by hand, it connects to the
``sqlalchemy.url`` option or ``FIREBREAK_DB``::

    alembic -c src/firebreak/store/alembic.ini revision -m "what changes"
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from firebreak.store.schema import metadata
from firebreak.store.url import normalize_db_url, resolve_db_url


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        render_as_batch=True,  # SQLite ALTERs go through table copies
        compare_type=True,
        **kwargs,
    )


def _url() -> str:
    explicit = context.config.get_main_option("sqlalchemy.url")
    return normalize_db_url(explicit) if explicit else resolve_db_url(None, None)


def run_offline() -> None:
    """Emit SQL text instead of touching a database (``alembic upgrade --sql``)."""
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate the connection we were given, or one opened from the URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


# Only when Alembic runs this file (importing it elsewhere must do nothing).
if hasattr(context, "config"):
    if context.is_offline_mode():
        run_offline()
    else:
        run_online()
