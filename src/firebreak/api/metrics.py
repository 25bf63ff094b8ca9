"""Prometheus metrics: operational figures from the case service, guard decisions and HTTP timings."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from firebreak.api.scanstate import ScanState
from firebreak.api.services import CaseService
from firebreak.guard.decisions import REASONS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class OperationsCollector(Collector):
    """Collects the case service's figures and the guard's refusals at scrape time."""

    def __init__(self, service: CaseService, scan: Callable[[], ScanState | None]) -> None:
        self.service = service
        self.scan = scan

    def collect(self) -> Iterator[GaugeMetricFamily]:
        m = self.service.metrics()
        reports = GaugeMetricFamily("firebreak_reports", "Reports in the store by state.", labels=["state"])
        for state, n in sorted(m.reports_by_state.items()):
            reports.add_metric([state], n)
        yield reports
        enforced = GaugeMetricFamily("firebreak_accounts_enforced", "Accounts by enforcement state.", labels=["state"])
        for state, n in sorted(m.enforced_by_state.items()):
            enforced.add_metric([state], n)
        yield enforced
        yield GaugeMetricFamily("firebreak_queue_age_seconds", "Age of the oldest queued report.", value=m.queue_age_s)
        if m.proactive_rate is not None:
            yield GaugeMetricFamily(
                "firebreak_proactive_rate", "Share of actioned accounts found before any user report.", value=m.proactive_rate
            )
        tta = GaugeMetricFamily(
            "firebreak_time_to_action_seconds", "Time from first report to action.", labels=["quantile"]
        )
        for q, v in (("0.5", m.time_to_action_p50_s), ("0.95", m.time_to_action_p95_s)):
            if v is not None:
                tta.add_metric([q], v)
        yield tta
        yield GaugeMetricFamily("firebreak_cases_open", "Open cases in the scan in force.", value=m.cases_open)
        scan_state = self.scan()
        if scan_state is not None:
            refused = GaugeMetricFamily(
                "firebreak_guard_refusals", "Candidates the guard refused since the scan loaded.", labels=["reason"]
            )
            counts = scan_state.log.counts()
            for name in REASONS[1:]:
                refused.add_metric([name], float(counts.get(name, 0)))
            yield refused
            yield GaugeMetricFamily(
                "firebreak_scan_loaded_timestamp_seconds", "When the scan in force was loaded.", value=scan_state.loaded_at.timestamp()
            )


class HttpMetrics:
    """A pure ASGI middleware timing every request under its route template.

    The labelled children of the two metrics are kept per ``(method, route, status)``, so a
    request costs two dictionary look-ups and no label resolution.
    """

    def __init__(self, app: Any, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "firebreak_http_requests", "HTTP requests.", ["method", "route", "status"], registry=registry
        )
        self.seconds = Histogram(
            "firebreak_http_request_seconds",
            "HTTP request duration.",
            ["route"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _child(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        key = (method, route, status)
        found = self._children.get(key)
        if found is None:
            found = (self.requests.labels(method, route, str(status)), self.seconds.labels(route))
            if len(self._children) < 10_000:  # methods and statuses are few; routes are templates
                self._children[key] = found
        return found

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            count, seconds = self._child(scope["method"], route, status)
            count.inc()
            seconds.observe(time.perf_counter() - start)


def registry_for(service: CaseService, scan: Callable[[], ScanState | None]) -> CollectorRegistry:
    """A fresh registry holding the operations collector (HTTP metrics register themselves on it)."""
    registry = CollectorRegistry()
    registry.register(OperationsCollector(service, scan))
    return registry


def metrics_text(registry: CollectorRegistry) -> bytes:
    """The registry in the Prometheus text exposition format."""
    return generate_latest(registry)
