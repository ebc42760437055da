"""The web application, built from settings; nothing here runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from takepoint.engine.loop import Engine, EngineThread
from takepoint.lib.clock import Clock, SystemClock
from takepoint.lib.context import Context
from takepoint.lib.db import Database
from takepoint.lib.http_errors import install_error_handlers
from takepoint.lib.metrics import Metrics, MetricsMiddleware
from takepoint.lib.openapi import describe_api
from takepoint.lib.pg_wake import PgWakeSender
from takepoint.lib.registry import Registry
from takepoint.lib.security_headers import SecurityHeadersMiddleware
from takepoint.lib.settings import Settings
from takepoint.lib.templating import PACKAGE_DIR, build_templates
from takepoint.lib.wake import WakeSender, wake_dir


def create_app(
    settings: Settings,
    *,
    registry: Registry,
    clock: Clock | None = None,
    db: Database | None = None,
    run_engine: bool = False,
) -> FastAPI:
    clock = clock or SystemClock()
    database = db or Database(
        settings.effective_database_url, synchronous=settings.sqlite_synchronous
    )
    metrics = Metrics()
    # Bound to every request's and engine job's session: what services need beyond the database.
    context = Context.build(settings, registry, clock)
    engine = Engine(
        db=database,
        context=context,
        tick_seconds=settings.engine_tick_seconds,
        job_timeout_seconds=settings.job_timeout_seconds,
        metrics=metrics,
    )

    closing: list[Callable[[], None]] = []

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
            for close in closing:
                close()
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
    app.state.templates = build_templates(nav=registry.nav)
    app.state.secret_key = context.secret_key
    app.state.context = context
    app.state.registry = registry
    app.state.engine = engine
    # The engine in this process is woken directly; without one, those on this host by a
    # datagram. On PostgreSQL a NOTIFY after the commit wakes engines on every host as well.
    triggers: list[Callable[[Collection[str] | None], None]] = [
        engine.trigger if run_engine else WakeSender(wake_dir(settings.data_dir))
    ]
    if database.dialect == "postgresql":
        triggers.append(notifier := PgWakeSender(database.url))
        closing.append(notifier.close)

    def trigger_engine(lanes: Collection[str] | None = None) -> None:
        for trigger in triggers:
            trigger(lanes)

    app.state.trigger_engine = trigger_engine

    app.openapi = describe_api(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    for router in registry.routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    # Inside the metrics middleware, so requests a domain answers early are still counted.
    for middleware in registry.middleware:
        app.add_middleware(middleware.cls, *middleware.args, **middleware.kwargs)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=lambda: metrics)
    return app
