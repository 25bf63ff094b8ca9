"""Fixtures for the API and console tests: a small simulated platform scanned once, a fresh store per
test with one user per role, and an HTTP client on the real app."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from firebreak.api.auth import hash_password, new_token, token_hash
from firebreak.server import ServerSettings, create_app
from firebreak.store import open_store
from firebreak.store.users import add_user

ROLES = ("reviewer", "lead", "admin", "integration")
PASSWORD = "correct horse battery"


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "firebreak.cli", *args], check=True, capture_output=True, timeout=300)


@dataclass(frozen=True)
class Platform:
    """A simulated snapshot and its scan."""

    snapshot: Path
    scan: Path


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Platform:
    """A 2,500-account simulated platform (seed 5) and `firebreak scan` of it."""
    root = tmp_path_factory.mktemp("platform")
    _cli("simulate", "--out", str(root / "snap"), "--accounts", "2500", "--seed", "5")
    _cli("scan", str(root / "snap"), "--out", str(root / "scan"))
    return Platform(snapshot=root / "snap", scan=root / "scan")


def add_role_users(db_url: str) -> dict[str, str]:
    """One user per role (name = role); returns the integration token under ``"integration"``."""
    secrets: dict[str, str] = {}
    with open_store(db_url) as store:
        for role in ROLES:
            if role == "integration":
                token = new_token()
                add_user(store, role, role, token_hash=token_hash(token))
                secrets[role] = token
            else:
                add_user(store, role, role, password_hash=hash_password(PASSWORD))
    return secrets


@dataclass
class Api:
    """A client on the app, a bearer header per role, and the store URL."""

    client: TestClient
    headers: dict[str, dict[str, str]]
    db_url: str
    platform: Platform

    def login(self, name: str) -> dict[str, str]:
        """A bearer header for a fresh session of ``name``."""
        r = self.client.post("/v1/login", json={"name": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}


def _api(platform: Platform, tmp_path: Path) -> Iterator[Api]:
    db_url = f"sqlite:///{tmp_path / 'firebreak.db'}"
    secrets = add_role_users(db_url)
    from firebreak.snapshot import load_snapshot

    with open_store(db_url) as store:
        store.upsert_reports(load_snapshot(platform.snapshot).snapshot.reports, source="snapshot")
    app = create_app(
        ServerSettings(db_url=db_url, scan_dir=platform.scan, snapshot_dir=platform.snapshot, scan_check_s=0.0)
    )
    with TestClient(app) as client:
        found = Api(client=client, headers={}, db_url=db_url, platform=platform)
        found.headers["anonymous"] = {}
        found.headers["integration"] = {"Authorization": f"Bearer {secrets['integration']}"}
        for role in ("reviewer", "lead", "admin"):
            found.headers[role] = found.login(role)
        yield found


@pytest.fixture(scope="module")
def api(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The app on a SQLite store holding the snapshot's reports, with one user per role (one per test module)."""
    yield from _api(platform, tmp_path_factory.mktemp("api"))


@pytest.fixture
def fresh_api(platform: Platform, tmp_path: Path) -> Iterator[Api]:
    """Like ``api`` but on a store of this test's own."""
    yield from _api(platform, tmp_path)
