"""Choosing and normalising the store's URL (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebreak.store import StoreError, normalize_db_url, resolve_db_url
from firebreak.store.url import ENV_VAR


def test_cli_value_beats_env_and_workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, "postgresql://env@db/env")
    assert resolve_db_url("postgresql://cli@db/cli", tmp_path) == "postgresql+psycopg://cli@db/cli"


def test_env_beats_workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, "postgresql://env@db/env")
    assert resolve_db_url(None, tmp_path) == "postgresql+psycopg://env@db/env"
    assert resolve_db_url("", tmp_path) == "postgresql+psycopg://env@db/env"


def test_workdir_default_is_sqlite_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_db_url(None, tmp_path) == f"sqlite:///{tmp_path.resolve() / 'firebreak.db'}"
    monkeypatch.setenv(ENV_VAR, "   ")
    assert resolve_db_url("", tmp_path) == f"sqlite:///{tmp_path.resolve() / 'firebreak.db'}"


def test_no_workdir_means_current_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_db_url(None, None) == f"sqlite:///{tmp_path.resolve() / 'firebreak.db'}"


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("postgresql://u:pw@h:5433/d", "postgresql+psycopg://u:pw@h:5433/d"),
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_normalize(given_url: str, expected: str) -> None:
    assert normalize_db_url(given_url) == expected


def test_bare_path_is_a_sqlite_file(tmp_path: Path) -> None:
    assert normalize_db_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path.resolve() / 'a.db'}"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "empty database URL"),
        ("mysql://u@h/d", "unsupported database"),
        ("nosuchdb+driver://x", "unsupported database"),
        ("postgresql://u@h:notaport/d", "bad database URL"),
    ],
)
def test_bad_urls_raise_store_error(bad: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as info:
        normalize_db_url(bad)
    assert "\n" not in str(info.value)


def test_password_never_in_error() -> None:
    with pytest.raises(StoreError) as info:
        normalize_db_url("mysql://user:s3cret@h/d")
    assert "s3cret" not in str(info.value)


names = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=12)


@given(user=names, host=names, db=names, port=st.integers(1, 65535), scheme=st.sampled_from(["postgres", "postgresql", "postgresql+psycopg"]))
def test_postgres_urls_normalise_idempotently(user: str, host: str, db: str, port: int, scheme: str) -> None:
    once = normalize_db_url(f"{scheme}://{user}@{host}:{port}/{db}")
    assert once == f"postgresql+psycopg://{user}@{host}:{port}/{db}"
    assert normalize_db_url(once) == once


@given(parts=st.lists(names, min_size=1, max_size=4))
def test_sqlite_paths_normalise_idempotently(parts: list[str]) -> None:
    path = Path("/tmp").joinpath(*parts)
    once = normalize_db_url(str(path))
    assert once == f"sqlite:///{path}"
    assert normalize_db_url(once) == once
