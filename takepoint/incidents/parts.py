"""What incidents contribute: their pages and API, the escalation policies section, the
timeline entry for every delivery attempt, the `incident:` chains, and the demo's incidents."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.catalog.models import Department
from takepoint.incidents import (
    action_links,
    api,
    api_checklists,
    api_evidence,
    web,
    web_checklists,
    web_evidence,
    web_policies,
)
from takepoint.incidents.alert_links import incidents_of_alerts
from takepoint.incidents.apply import ESCALATION_POLICIES
from takepoint.incidents.demo import load_demo_incidents
from takepoint.incidents.paging import record_delivery
from takepoint.lib.registry import Demo, DomainParts, NavEntry, TimelineSubject


def _demo(session: Session, demo: Demo) -> None:
    load_demo_incidents(
        session,
        now=demo.now,
        people=demo.made["people"],
        services=demo.made["services"],
        schedule=demo.made["schedule"],
        theatres=session.scalar(select(Department).where(Department.slug == "theatres")),
    )


PARTS = DomainParts(
    name="incidents",
    routers=(
        api.router,
        web.router,
        api_evidence.router,
        web_evidence.router,
        api_checklists.router,
        web_checklists.router,
        action_links.router,
        web_policies.router,
    ),
    apply_sections=(ESCALATION_POLICIES,),
    delivery_listeners=(record_delivery,),
    alert_links=(incidents_of_alerts,),
    nav=(NavEntry("Incidents", "/incidents", 10),),
    demo=_demo,
    timeline_subjects=(TimelineSubject("incident", lambda key: f"/incidents/{key}"),),
)
