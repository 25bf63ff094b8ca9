"""Shared set-up for the API benchmarks: a simulated platform, its scan, a store with an integration user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from firebreak.api.auth import new_token, token_hash
from firebreak.store import open_store
from firebreak.store.users import add_user


def cli(*args: str) -> None:
    """Run ``firebreak ARGS`` in a subprocess, failing loudly."""
    subprocess.run([sys.executable, "-m", "firebreak.cli", *args], check=True, capture_output=True, timeout=900)


def platform(root: Path, accounts: int, seed: int = 11) -> tuple[Path, Path]:
    """Simulate ``accounts`` accounts under ``root`` and scan them: ``(snapshot, scan)``."""
    snap, scan = root / "snap", root / "scan"
    cli("simulate", "--out", str(snap), "--accounts", str(accounts), "--seed", str(seed))
    cli("scan", str(snap), "--out", str(scan))
    return snap, scan


def store_with_token(db_url: str, role: str = "integration") -> str:
    """Create the store at ``db_url`` with one user of ``role`` holding an API token; returns the token."""
    token = new_token()
    with open_store(db_url) as store:
        add_user(store, f"bench-{role}", role, token_hash=token_hash(token))
    return token
