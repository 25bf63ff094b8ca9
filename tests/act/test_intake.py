"""Report intake: idempotent on (source, id), acknowledged after commit, malformed never half-stored."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebreak.act import items, parse_report, submit_report, submit_reports
from firebreak.act.intake import get_report
from firebreak.errors import ReportError
from firebreak.store import Store, open_store
from tests.act.conftest import report


def test_submit_is_idempotent_and_queues_once(store: Store) -> None:
    record, created = submit_report(store, "platform", report("r1", "acct1", text="hello"))
    assert created and record.state == "queued" and record.target == "acct1" and record.text == "hello"
    again, created_again = submit_report(store, "platform", report("r1", "acct1", text="changed"))
    assert not created_again
    assert again == record  # the stored record, unchanged
    assert [(i.kind, i.subject) for i in items(store)] == [("report", "platform\x1fr1")]


def test_same_id_from_two_sources_are_two_reports(store: Store) -> None:
    submit_report(store, "snap-a", report("r1", "acct1"))
    _, created = submit_report(store, "snap-b", report("r1", "acct2"))
    assert created
    a, b = get_report(store, "snap-a", "r1"), get_report(store, "snap-b", "r1")
    assert a is not None and b is not None and (a.target, b.target) == ("acct1", "acct2")


def test_acknowledged_report_is_visible_to_a_fresh_connection(store: Store, db_url: str) -> None:
    submit_report(store, "platform", report("r1", "acct1"))
    with open_store(db_url) as other:
        assert get_report(other, "platform", "r1") is not None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"target": "a", "reason": "spam", "created_at": "2026-01-01T00:00:00Z"}, "field id"),
        (report("r1", ""), "field target"),
        (report("r1", "a", reason="bad-reason"), "field reason"),
        ({**report("r1", "a"), "created_at": "2026-01-01T00:00:00"}, "field created_at"),
        ({**report("r1", "a"), "created_at": "yesterday"}, "field created_at"),
        (report("r1", "a", colour="red"), "field colour"),
        (report("r1", "a", target_kind="group"), "field target_kind"),
    ],
)
def test_malformed_report_names_the_field_and_stores_nothing(store: Store, payload: dict, field: str) -> None:
    with pytest.raises(ReportError, match=field):
        submit_report(store, "platform", payload)
    assert store.count_reports() == 0
    assert items(store) == []


def test_batch_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(ReportError, match=r"report #2: field reason"):
        submit_reports(store, "platform", [report("r1", "a"), report("r2", "b"), report("r3", "c", reason="?")])
    assert store.count_reports() == 0
    result = submit_reports(store, "platform", [report("r1", "a"), report("r2", "b"), report("r1", "z")])
    assert result.new == ["r1", "r2"] and result.existing == []
    again = submit_reports(store, "platform", [report("r2", "b"), report("r3", "c")])
    assert again.new == ["r3"] and again.existing == ["r2"]
    assert store.count_reports() == 3 and len(items(store, kind="report")) == 3


def test_source_is_required(store: Store) -> None:
    with pytest.raises(ReportError, match="field source"):
        submit_report(store, " ", report("r1", "a"))


FIELDS = ["id", "target", "reason", "created_at", "reporter", "text", "target_kind", "extra"]


@given(
    st.dictionaries(
        st.sampled_from(FIELDS),
        st.one_of(st.none(), st.text(string.printable, max_size=8), st.integers(), st.sampled_from(
            ["spam", "child_safety", "2026-01-01T00:00:00Z", "account", "post"])),
    )
)
def test_parse_report_accepts_or_names_a_field(payload: dict) -> None:
    try:
        parsed = parse_report(payload)
    except ReportError as exc:
        message = str(exc)
        assert message.startswith("report: field ")
        assert any(f"field {name}" in message for name in FIELDS)
        return
    assert parsed.id == payload["id"].strip() and parsed.target == payload["target"].strip()
    assert parsed.reason == payload["reason"] and "extra" not in payload
