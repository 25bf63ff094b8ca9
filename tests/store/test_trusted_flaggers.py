"""The trusted-flagger registry in the store: add, list, remove (audited), and their reports claimed first."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from firebreak.store import TRUSTED_ROWS, Store, StoreError
from tests.store.conftest import make_reports


def test_add_list_remove_are_audited(store: Store) -> None:
    rows = pl.DataFrame({"account": ["a2", "a1", "a2"], "organisation": ["Hotline", "Police", "Hotline B"], "since": [None, datetime(2024, 5, 1, tzinfo=UTC), None]})
    assert store.add_trusted_flaggers(rows, actor="op") == 2
    listed = store.trusted_flaggers()
    assert listed.schema == TRUSTED_ROWS
    assert listed.select("account", "organisation").rows() == [("a2", "Hotline B"), ("a1", "Police")]
    assert listed.filter(pl.col("account") == "a1")["since"].item() == datetime(2024, 5, 1, tzinfo=UTC)
    assert store.remove_trusted_flaggers(["a2", "nobody"], actor="op") == 1
    assert store.trusted_flaggers()["account"].to_list() == ["a1"]
    actions = [e.action for e in store.audit_entries(subject_kind="account")]
    assert actions == ["trusted_flagger.add", "trusted_flagger.add", "trusted_flagger.remove"]


def test_a_row_without_organisation_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="organisation"):
        store.add_trusted_flaggers(pl.DataFrame({"account": ["a1"], "organisation": [None]}, schema={"account": pl.String, "organisation": pl.String}), actor="op")
    assert store.trusted_flaggers().height == 0


def test_trusted_flaggers_reports_are_claimed_first(store: Store) -> None:
    store.upsert_reports(make_reports(["r1", "r2", "r3"], reason="child_safety"))  # reporters acct0, acct1, acct2
    store.add_trusted_flaggers(pl.DataFrame({"account": ["acct2"], "organisation": ["Hotline"]}), actor="op")
    assert store.claim_reports(1)["id"].to_list() == ["r3"], "the newest report, but from a trusted flagger"
    assert store.claim_reports(5)["id"].to_list() == ["r1", "r2"]
