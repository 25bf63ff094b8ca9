"""The snapshot format: schema, readers, validation and quarantine, writers."""

from firebreak.snapshot.model import Snapshot
from firebreak.snapshot.read import ReadResult, load_snapshot, read_snapshot
from firebreak.snapshot.schema import SCHEMAS
from firebreak.snapshot.write import write_snapshot

__all__ = ["SCHEMAS", "ReadResult", "Snapshot", "load_snapshot", "read_snapshot", "write_snapshot"]
