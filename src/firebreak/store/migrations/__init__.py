"""Alembic migrations of the operational store (run by ``firebreak.store.migrate``)."""
