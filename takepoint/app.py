"""The web application, built from settings; nothing here runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from takepoint.accounts import api as accounts_api
from takepoint.accounts import web as accounts_web
from takepoint.catalog import api as catalog_api
from takepoint.catalog import api_runbooks as catalog_runbooks_api
from takepoint.catalog import web as catalog_web
from takepoint.catalog import web_departments as catalog_departments_web
from takepoint.catalog import web_runbooks as catalog_runbooks_web
from takepoint.engine.loop import Engine, EngineThread
from takepoint.home import web as home_web
from takepoint.incidents import action_links as incident_links
from takepoint.incidents import api as incidents_api
from takepoint.incidents import api_checklists as checklists_api
from takepoint.incidents import api_evidence as evidence_api
from takepoint.incidents import web as incidents_web
from takepoint.incidents import web_checklists as checklists_web
from takepoint.incidents import web_evidence as evidence_web
from takepoint.incidents import web_policies as policies_web
from takepoint.lib.clock import Clock, SystemClock
from takepoint.lib.db import Database
from takepoint.lib.http_errors import install_error_handlers
from takepoint.lib.metrics import Metrics, MetricsMiddleware
from takepoint.lib.templating import PACKAGE_DIR, build_templates
from takepoint.lib.wake import WakeSender, wake_dir
from takepoint.notify import api as notify_api
from takepoint.notify import web as notify_web
from takepoint.oncall import api as oncall_api
from takepoint.oncall import api_oncall as oncall_questions_api
from takepoint.oncall import web as oncall_web
from takepoint.oncall import web_admin as oncall_admin_web
from takepoint.ops import api as ops_api
from takepoint.reviews import api as reviews_api
from takepoint.reviews import api_actions as actions_api
from takepoint.reviews import api_report as report_api
from takepoint.reviews import web as reviews_web
from takepoint.reviews import web_actions as actions_web
from takepoint.reviews import web_report as report_web
from takepoint.settings import Settings
from takepoint.signals import api as signals_api
from takepoint.signals import ingest_api as signals_ingest
from takepoint.signals import web as signals_web
from takepoint.signals.ingest_asgi import IngestShortcut
from takepoint.timeline import api as timeline_api
from takepoint.timeline import web as timeline_web

# Every router, in the order routes are matched. A domain adds its api and web routers here.
ROUTERS = [
    ops_api.router,
    signals_ingest.router,
    accounts_api.router,
    accounts_web.router,
    home_web.router,
    incidents_api.router,
    incidents_web.router,
    evidence_api.router,
    evidence_web.router,
    checklists_api.router,
    checklists_web.router,
    reviews_api.router,
    report_api.router,
    actions_api.router,
    reviews_web.router,
    report_web.router,
    actions_web.router,
    timeline_api.router,
    timeline_web.router,
    incident_links.router,
    policies_web.router,
    catalog_api.router,
    catalog_runbooks_api.router,
    catalog_web.router,
    catalog_departments_web.router,
    catalog_runbooks_web.router,
    signals_api.router,
    signals_web.router,
    notify_api.router,
    notify_web.router,
    oncall_api.router,
    oncall_questions_api.router,
    oncall_web.router,
    oncall_admin_web.router,
]


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    run_engine: bool = False,
) -> FastAPI:
    clock = clock or SystemClock()
    database = db or Database(settings.effective_database_url)
    metrics = Metrics()
    # Put on every request's and engine job's session: what services need beyond the database.
    session_info: dict[str, object] = {
        "settings": settings,
        "secret_key": settings.resolved_secret_key(),
        "base_url": settings.base_url,
    }
    engine = Engine(
        db=database,
        clock=clock,
        tick_seconds=settings.engine_tick_seconds,
        job_timeout_seconds=settings.job_timeout_seconds,
        metrics=metrics,
        session_info=session_info,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = EngineThread(engine) if run_engine else None
        if runner is not None:
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            if db is None:
                database.dispose()

    app = FastAPI(
        title="Takepoint",
        version="0.1.0",
        summary="On-call, incidents and service desk for small IT teams.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
        # Takepoint exports its own Prometheus metrics; FastAPI's OpenTelemetry hooks would
        # only read the environment on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.db = database
    app.state.metrics = metrics
    app.state.templates = build_templates()
    app.state.secret_key = settings.resolved_secret_key()
    app.state.session_info = session_info
    app.state.engine = engine
    # Without an engine in this process, engines on this host are woken by a datagram; any
    # other engine finds the work at its next tick.
    app.state.trigger_engine = (
        engine.trigger if run_engine else WakeSender(wake_dir(settings.data_dir))
    )

    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    # Inside the metrics middleware, so ingest requests are still counted by route.
    app.add_middleware(IngestShortcut)
    app.add_middleware(MetricsMiddleware, metrics=lambda: metrics)
    return app
