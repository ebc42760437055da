from __future__ import annotations

import hmac
import ipaddress
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from takepoint.engine.models import EngineHeartbeat
from takepoint.lib.deps import AppSettings, DbSession, Now
from takepoint.lib.errors import NotAuthenticated, PermissionDenied
from takepoint.lib.settings import Settings
from takepoint.ops.health import check_database, check_engine

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Health of the database and the engine")
def healthz(session: DbSession, settings: AppSettings, now: Now) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok"}
    problem = check_database(session)
    if problem:
        return JSONResponse({"status": "unhealthy", "database": problem}, status_code=503)
    body["database"] = "ok"
    engine = check_engine(
        session, now=now, stale_after=timedelta(seconds=settings.engine_stale_after_seconds)
    )
    body["engine"] = {
        "status": "ok" if engine.healthy else "unhealthy",
        "last_cycle_at": engine.last_cycle_at.isoformat() if engine.last_cycle_at else None,
        "age_seconds": round(engine.age_seconds, 3) if engine.age_seconds is not None else None,
        "live_workers": engine.workers,
        "message": engine.message,
    }
    if not engine.healthy:
        body["status"] = "unhealthy"
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)


def _may_scrape(request: Request, settings: Settings) -> None:
    """Counts and timings say what runs and how busy it is: served to the allowed networks, and
    to anyone else only with the metrics token."""
    token = settings.metrics_token
    if token is not None:
        expected = f"Bearer {token.get_secret_value()}".encode()
        if hmac.compare_digest(request.headers.get("authorization", "").encode(), expected):
            return
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and any(address in net for net in settings.metrics_networks):
        return
    if token is not None:
        raise NotAuthenticated("send the metrics token as 'Authorization: Bearer ...'")
    raise PermissionDenied(
        f"/metrics is not served to {host or 'this address'}: add its network to "
        "TAKEPOINT_METRICS_ALLOW, or set TAKEPOINT_METRICS_TOKEN and send it as a Bearer token"
    )


@router.get("/metrics", summary="Prometheus metrics")
def metrics(request: Request, session: DbSession, settings: AppSettings, now: Now) -> Response:
    _may_scrape(request, settings)
    # Engines may run in other processes, so their last cycle is read from the database.
    engines = CollectorRegistry()
    last_cycle = Gauge(
        "takepoint_engine_last_cycle_age_seconds",
        "Seconds since each engine last finished a cycle.",
        ["worker"],
        registry=engines,
    )
    cycle_ms = Gauge(
        "takepoint_engine_last_cycle_duration_seconds",
        "Duration of each engine's last cycle.",
        ["worker"],
        registry=engines,
    )
    for row in session.scalars(select(EngineHeartbeat)):
        last_cycle.labels(row.worker_id).set(max((now - row.last_cycle_at).total_seconds(), 0.0))
        cycle_ms.labels(row.worker_id).set(row.last_cycle_ms / 1000)
    body = generate_latest(request.app.state.metrics.registry) + generate_latest(engines)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
