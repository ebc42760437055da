"""What the catalog contributes: its pages and API, two apply sections, the demo's services."""

from __future__ import annotations

from sqlalchemy.orm import Session

from takepoint.catalog import api, api_runbooks, web, web_departments, web_runbooks
from takepoint.catalog.apply import DEPARTMENTS, SERVICES
from takepoint.catalog.demo import load_demo_catalog
from takepoint.lib.registry import Demo, DomainParts, NavEntry


def _demo(session: Session, demo: Demo) -> None:
    demo.made["services"] = load_demo_catalog(
        session, now=demo.now, people=demo.made["people"], team=demo.made["team"]
    )


PARTS = DomainParts(
    name="catalog",
    routers=(
        api.router,
        api_runbooks.router,
        web.router,
        web_departments.router,
        web_runbooks.router,
    ),
    apply_sections=(DEPARTMENTS, SERVICES),
    nav=(NavEntry("Services", "/services", 50), NavEntry("Readiness", "/readiness", 60)),
    demo=_demo,
)
