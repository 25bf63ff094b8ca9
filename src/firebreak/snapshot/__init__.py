"""The snapshot format: schema, readers, validation and quarantine, writers."""

from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.schema import SCHEMAS

__all__ = ["SCHEMAS", "Snapshot"]
