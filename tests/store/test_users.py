"""Users, sessions, batch enforcement and stale-claim requeue on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from firebreak.errors import StoreError
from firebreak.store import Store
from firebreak.store.actions import requeue_stale_claims
from firebreak.store.users import (
    add_user,
    close_session,
    list_users,
    open_session,
    password_hash_of,
    session_by_hash,
    user_by_token_hash,
)


def test_users_and_sessions(store: Store) -> None:
    add_user(store, "ann", "reviewer", password_hash="$argon2id$x")
    add_user(store, "svc", "integration", token_hash="a" * 64)
    with pytest.raises(StoreError, match="already exists"):
        add_user(store, "ann", "lead", password_hash="$argon2id$y")
    with pytest.raises(StoreError, match="unknown role"):
        add_user(store, "bob", "boss", password_hash="h")
    with pytest.raises(StoreError, match="exactly one"):
        add_user(store, "bob", "lead", password_hash="h", token_hash="b" * 64)
    assert [(u.name, u.role) for u in list_users(store)] == [("ann", "reviewer"), ("svc", "integration")]
    found = password_hash_of(store, "ann")
    assert found is not None and found[1] == "$argon2id$x"
    assert password_hash_of(store, "svc") is None
    token_user = user_by_token_hash(store, "a" * 64)
    assert token_user is not None and token_user.name == "svc"
    open_session(store, "ann", "s" * 64, "csrf", datetime.now(UTC) + timedelta(hours=1))
    open_session(store, "ann", "e" * 64, "csrf2", datetime.now(UTC) - timedelta(seconds=1))
    live = session_by_hash(store, "s" * 64)
    assert live is not None and live.user.name == "ann" and live.csrf == "csrf"
    assert session_by_hash(store, "e" * 64) is None  # expired
    close_session(store, "s" * 64)
    assert session_by_hash(store, "s" * 64) is None
    assert [e.action for e in store.audit_entries(subject_kind="user")] == ["user.add", "user.add", "session.open", "session.open"]


def test_requeue_stale_claims(store: Store, reports_frame: Callable[..., pl.DataFrame]) -> None:
    store.upsert_reports(reports_frame(["r1", "r2"]))
    store.claim_reports(2, worker="w")
    assert requeue_stale_claims(store, timedelta(hours=1)) == []
    assert sorted(requeue_stale_claims(store, timedelta(seconds=-1))) == ["r1", "r2"]
    assert store.count_reports("queued") == 2
    assert len(store.audit_entries(action="report.requeued")) == 2
