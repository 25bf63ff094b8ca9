"""Act: the operational half of Firebreak, on the store (:mod:`firebreak.store`).

Report intake that never loses a report, a leased work queue, one case per
network, reviewed decisions and network takedowns under a written policy,
appeals, recidivism checks, canary reports and operational metrics. Every
function takes an open :class:`~firebreak.store.Store`; the HTTP API and the
CLI call these, never SQL::

    from firebreak.act import submit_report, open_cases, claim, take_down, compute_metrics

    record, created = submit_report(store, "platform", {"id": "r1", "target": "acct9",
                                                        "reason": "child_safety",
                                                        "created_at": "2026-12-01T10:00:00Z"})
    sync = open_cases(store, result.scores, result.networks, "scan-2026-12-01")
    [lease] = claim(store, "case", "reviewer-ana")
    decision = take_down(store, int(lease.subject), actor="reviewer-ana", reason="...", lease=lease)

Modules: ``intake``, ``queue``, ``cases``, ``policy`` (+ ``policy.toml``),
``decisions``, ``worker``, ``recidivism``, ``canary``, ``metrics``.
"""

from __future__ import annotations

from firebreak.act.canary import Canary, get_canary, overdue_canaries, send_canary
from firebreak.act.cases import (
    Case,
    CaseDetail,
    CaseMember,
    CaseSync,
    cases_of,
    get_case,
    list_cases,
    open_cases,
)
from firebreak.act.decisions import (
    Appeal,
    AppliedAction,
    Decision,
    Escalation,
    decide,
    decide_appeal,
    escalations,
    file_appeal,
    list_appeals,
    take_down,
)
from firebreak.act.intake import (
    IntakeResult,
    ReportIn,
    ReportRecord,
    get_report,
    get_reports,
    parse_report,
    submit_report,
    submit_reports,
)
from firebreak.act.metrics import (
    CheckResult,
    Metrics,
    check,
    compute_metrics,
    prometheus_text,
)
from firebreak.act.policy import Policy, load_policy, plan_takedown
from firebreak.act.queue import (
    Lease,
    QueueStats,
    WorkItem,
    claim,
    complete,
    complete_in,
    enqueue,
    fail,
    items,
    queue_stats,
    release,
    renew,
    retry_dead,
)
from firebreak.act.recidivism import RecidivismMatch, check_recidivism, find_recidivists
from firebreak.act.worker import (
    Routed,
    WorkStats,
    queue_stored_reports,
    route_report,
    work,
)

__all__ = [
    "Appeal", "AppliedAction", "Canary", "Case", "CaseDetail", "CaseMember", "CaseSync", "CheckResult",
    "Decision", "Escalation", "IntakeResult", "Lease", "Metrics", "Policy", "QueueStats", "RecidivismMatch",
    "ReportIn", "ReportRecord", "Routed", "WorkItem", "WorkStats",
    "cases_of", "check", "check_recidivism", "claim", "complete", "complete_in", "compute_metrics", "decide",
    "decide_appeal", "enqueue", "escalations", "fail", "file_appeal", "find_recidivists", "get_canary",
    "get_case", "get_report", "get_reports", "items", "list_appeals", "list_cases", "load_policy",
    "open_cases", "overdue_canaries", "parse_report", "plan_takedown", "prometheus_text", "queue_stats",
    "queue_stored_reports", "release", "renew", "retry_dead", "route_report", "send_canary", "submit_report",
    "submit_reports", "take_down", "work",
]
