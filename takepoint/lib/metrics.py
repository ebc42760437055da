from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Prometheus metrics for one app instance (a registry of its own, nothing global)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "takepoint_http_requests",
            "HTTP requests served.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "takepoint_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.engine_cycle = Histogram(
            "takepoint_engine_cycle_duration_seconds",
            "Time for one engine cycle of a lane (all its jobs).",
            ["lane"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.engine_job = Histogram(
            "takepoint_engine_job_duration_seconds",
            "Time for one engine job in one cycle.",
            ["job"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.engine_job_errors = Counter(
            "takepoint_engine_job_errors",
            "Engine jobs that raised.",
            ["job"],
            registry=self.registry,
        )


class MetricsMiddleware:
    """Counts and times requests by route template, so /incidents/7 and /incidents/8 share one."""

    def __init__(self, app: ASGIApp, metrics: Callable[[], Metrics]) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            metrics = self.metrics()
            metrics.requests.labels(scope["method"], template, str(status)).inc()
            metrics.latency.labels(scope["method"], template).observe(time.perf_counter() - started)
