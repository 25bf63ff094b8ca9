"""The reporting flow end to end against the stand-in over loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from firebreak.act.ncmec.client import CyberTiplineClient, RetryPolicy
from firebreak.act.ncmec.ledger import LeaseLost, Ledger
from firebreak.act.ncmec.media import GeneratedSquares
from firebreak.act.ncmec.service import report_cases, submit_pending
from firebreak.act.ncmec.settings import NcmecSettings
from firebreak.act.ncmec.standin import (
    CyberTiplineStandin,
    Faults,
    StandinSettings,
    running_standin,
)
from firebreak.act.ncmec.worker import Worker
from firebreak.store import open_store
from tests.act.ncmec.helpers import (
    FAST,
    REPORTER,
    check_exactly_once,
    holdings,
    make_case,
)

Standin = tuple[NcmecSettings, CyberTiplineStandin]


def test_cases_end_as_finished_reports_with_everything_kept(standin: Standin, db_url: str) -> None:
    settings, server = standin
    cases = [make_case(1, victim=True), make_case(2), make_case(3, files=0)]
    ids = report_cases(cases, db_url=db_url, settings=settings, media=GeneratedSquares(), reporter=REPORTER, retry=FAST)
    assert sorted(ids) == ["case-1", "case-2", "case-3"]
    with open_store(db_url) as store:
        assert check_exactly_once(settings, store, list(ids)) == ids
        ledger = Ledger(store, "t")
        sent = {r["report_id"]: r for r in holdings(settings)["reports"]}  # type: ignore[union-attr]
        for case in cases:
            (sub,) = ledger.submissions(case.case_id)
            assert sub.report_id == ids[case.case_id]
            assert sub.report_xml == sent[sub.report_id]["xml"]  # the XML as sent is preserved
            files = ledger.files(sub.id)
            assert [f.file_ref for f in files.values()] == [f.ref for f in case.files]
            assert {f.file_id for f in files.values()} == {f["file_id"] for f in sent[sub.report_id]["files"]}
            assert all(f.md5 == f.server_md5 and f.details_xml for f in files.values())
        actions = [e.action for e in store.audit_entries(subject_kind="ncmec_case", subject="case-2")]
    per_file = ["ncmec.upload.sending", "ncmec.upload.sent", "ncmec.fileinfo.sending", "ncmec.fileinfo.sent"]
    assert actions == [
        "ncmec.case.escalated", "ncmec.case.claimed", "ncmec.submit.sending", "ncmec.submit.sent",
        *per_file, *per_file, "ncmec.finish.sending", "ncmec.finish.sent",
    ]
    calls = dict(server.calls)
    again = report_cases(cases, db_url=db_url, settings=settings, media=GeneratedSquares(), reporter=REPORTER)
    assert again == ids
    assert server.calls == calls  # nothing sent twice


@pytest.mark.parametrize("endpoint", ["submit", "upload", "fileinfo", "finish", "retract"])
def test_faults_at_every_step_still_give_one_report_per_case(endpoint: str, tmp_path: object) -> None:
    """Slow answers, 1000 errors, connections dropped before and after handling, all at one step."""
    db_url = f"sqlite:///{tmp_path}/f.db"
    # Retracts follow lost upload answers, so the retract trial also loses uploads.
    endpoints = ("upload", "retract") if endpoint == "retract" else (endpoint,)
    # Seed 30 draws each of the four faults in the first four requests to the faulted endpoint.
    faults = Faults(slow=0.15, slow_s=0.02, error=0.2, drop=0.15, lose=0.2, endpoints=endpoints, seed=30)
    cases = [make_case(i) for i in range(2)]
    with running_standin(StandinSettings(faults=faults)) as (url, server):
        settings = NcmecSettings("test", url, "firebreak-test", "firebreak-test")
        with open_store(db_url) as store:
            ledger = Ledger(store, "w1")
            for case in cases:
                ledger.escalate(case, actor="reviewer")
            for _ in range(10):
                submit_pending(ledger, settings, GeneratedSquares(), REPORTER, retry=RetryPolicy(3, 0.001, 0.005), timeout_s=5)
                if ledger.cases("finished").height == len(cases):
                    break
            check_exactly_once(settings, store, [c.case_id for c in cases])
            assert ledger.cases("returned").height == 0
    assert all(count > 0 for count in server.injected.values()), server.injected
    if endpoint == "retract":
        assert server.calls["retract"] > 0


def test_wrong_credentials_return_the_case_to_a_lead(standin: Standin, db_url: str) -> None:
    settings, _ = standin
    wrong = NcmecSettings("test", settings.base_url, settings.username, "not-the-password")
    ids = report_cases([make_case(1)], db_url=db_url, settings=wrong, media=GeneratedSquares(), reporter=REPORTER)
    assert ids == {}
    with open_store(db_url) as store:
        (row,) = Ledger(store, "t").cases().iter_rows(named=True)
        entries = store.audit_entries(subject_kind="ncmec_case", action="ncmec.case.returned")
    assert row["state"] == "returned" and "2000" in row["last_error"]
    assert entries and "2000" in entries[0].detail["reason"]
    assert holdings(settings)["reports"] == []


class _MissingSecondFile(GeneratedSquares):
    def read(self, file_ref: str) -> bytes:
        from firebreak.act.ncmec.media import MediaError

        if file_ref.endswith("post1.png"):
            raise MediaError(f"file {file_ref} is gone from storage")
        return super().read(file_ref)


def test_a_report_that_cannot_be_completed_is_retracted_and_returned(standin: Standin, db_url: str) -> None:
    settings, _ = standin
    ids = report_cases([make_case(1)], db_url=db_url, settings=settings, media=_MissingSecondFile(), reporter=REPORTER)
    assert ids == {}
    (report,) = holdings(settings)["reports"]  # type: ignore[misc]
    assert report["state"] == "retracted"
    with open_store(db_url) as store:
        ledger = Ledger(store, "t")
        (sub,) = ledger.submissions("case-1")
        assert (sub.state, sub.report_id) == ("retracted", report["report_id"])
        (case,) = ledger.cases().iter_rows(named=True)
    assert case["state"] == "returned" and "post1.png" in case["last_error"]


def test_an_expired_open_report_is_replaced(tmp_path: object) -> None:
    db_url = f"sqlite:///{tmp_path}/f.db"
    with running_standin(StandinSettings(open_ttl_s=2.0)) as (url, _server):
        settings = NcmecSettings("test", url, "firebreak-test", "firebreak-test")
        with open_store(db_url) as store, CyberTiplineClient(url, settings.username, settings.password) as client:
            ledger = Ledger(store, "w1")
            ledger.escalate(make_case(1), actor="reviewer")
            waited: list[str] = []

            def stall(step: str) -> None:
                if step == "finish" and not waited:
                    waited.append(step)
                    time.sleep(2.6)  # the open report expires meanwhile (a long TTL: a loaded machine is slow between steps)

            summary = Worker(ledger, client, GeneratedSquares(), REPORTER, retry=FAST, hook=stall).run()
            assert list(summary.finished) == ["case-1"]
            states = [s.state for s in ledger.submissions("case-1")]
            assert states == ["expired", "finished"]
            check_exactly_once(settings, store, ["case-1"])


def test_a_leased_case_is_not_taken_until_the_lease_ends(db_url: str) -> None:
    with open_store(db_url) as store:
        first = Ledger(store, "w1", lease=timedelta(seconds=0.3))
        second = Ledger(store, "w2", lease=timedelta(seconds=0.3))
        first.escalate(make_case(1), actor="reviewer")
        assert first.claim("case-1") is not None
        assert second.claimable() == [] and second.claim("case-1") is None
        assert first.claim("case-1") is not None  # a restarted w1 resumes its own case
        time.sleep(0.4)
        assert second.claim("case-1") is not None
        with pytest.raises(LeaseLost):
            first.begin_submit("case-1", b"<report/>")


def test_the_demo_helper_reports_on_its_own_standin(tmp_path: object) -> None:
    from firebreak.act.ncmec import report_on_standin

    db_url = f"sqlite:///{tmp_path}/demo.db"
    ids = report_on_standin([make_case(1), make_case(2, files=1)], db_url=db_url)
    assert sorted(ids) == ["case-1", "case-2"] and len(set(ids.values())) == 2
    with open_store(db_url) as store:
        frame = Ledger(store, "t").cases("finished")
    assert dict(frame.select("case_id", "report_id").iter_rows()) == ids


def test_file_details_that_break_the_schema_return_the_case(standin: Standin, tmp_path: object) -> None:
    import dataclasses

    settings, _ = standin
    case = make_case(1, files=1)
    bad = dataclasses.replace(case, files=(dataclasses.replace(case.files[0], location="https://cdn.example/a b.png"),))
    ids = report_cases([bad], db_url=f"sqlite:///{tmp_path}/f.db", settings=settings, media=GeneratedSquares(), reporter=REPORTER)
    assert ids == {}
    (report,) = holdings(settings)["reports"]  # type: ignore[misc]
    assert report["state"] == "retracted"
    with open_store(f"sqlite:///{tmp_path}/f.db") as store:
        (row,) = Ledger(store, "t").cases().iter_rows(named=True)
    assert row["state"] == "returned" and "locationOfFile" in row["last_error"]
