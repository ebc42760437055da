"""The web application, built from settings; nothing here runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from takepoint.accounts import api as accounts_api
from takepoint.accounts import web as accounts_web
from takepoint.engine.loop import Engine, EngineThread
from takepoint.home import web as home_web
from takepoint.lib.clock import Clock, SystemClock
from takepoint.lib.db import Database
from takepoint.lib.http_errors import install_error_handlers
from takepoint.lib.metrics import Metrics, MetricsMiddleware
from takepoint.lib.templating import PACKAGE_DIR, build_templates
from takepoint.ops import api as ops_api
from takepoint.settings import Settings

# Every router, in the order routes are matched. A domain adds its api and web routers here.
ROUTERS = [
    ops_api.router,
    accounts_api.router,
    accounts_web.router,
    home_web.router,
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
    engine = Engine(
        db=database,
        clock=clock,
        tick_seconds=settings.engine_tick_seconds,
        job_timeout_seconds=settings.job_timeout_seconds,
        metrics=metrics,
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
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.db = database
    app.state.metrics = metrics
    app.state.templates = build_templates()
    app.state.secret_key = settings.resolved_secret_key()
    app.state.engine = engine
    # Without an engine in this process, a trigger has nobody to wake; the tick still runs there.
    app.state.trigger_engine = engine.trigger if run_engine else (lambda: None)

    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    app.add_middleware(MetricsMiddleware, metrics=lambda: metrics)
    return app
