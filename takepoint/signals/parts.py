"""What signals contribute: ingest and its pages, the integrations section, the readiness
checks that need a monitor or a backup heartbeat, and the demo's alerts."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.middleware import Middleware

from takepoint.lib.registry import Demo, DomainParts, NavEntry, ReadinessProbe
from takepoint.signals import api, ingest_api, web
from takepoint.signals.apply import INTEGRATIONS
from takepoint.signals.demo import load_demo_signals
from takepoint.signals.ingest_asgi import IngestShortcut
from takepoint.signals.readiness import services_with_backup_heartbeats, services_with_monitors


def _demo(session: Session, demo: Demo) -> None:
    load_demo_signals(session, now=demo.now)


PARTS = DomainParts(
    name="signals",
    # Ingest first: monitors' requests are the most frequent.
    routers=(ingest_api.router, api.router, web.router),
    apply_sections=(INTEGRATIONS,),
    readiness_probes=(
        ReadinessProbe(
            "monitor",
            services_with_monitors,
            passing="a monitor or integration sends its signals",
            failing="no monitor or integration sends signals for it",
        ),
        ReadinessProbe(
            "backup_heartbeat",
            services_with_backup_heartbeats,
            passing="a backup heartbeat watches its data",
            failing="it stores data, but no backup heartbeat watches it",
            only_if_stores_data=True,
        ),
    ),
    nav=(NavEntry("Alerts", "/alerts", 40),),
    # Answers monitors' webhooks before the router, for throughput.
    middleware=(Middleware(IngestShortcut),),
    demo=_demo,
)
