"""What the service desk contributes: its pages, the requester portal and the API, the SLA
job, its apply sections, the card of linked tickets on incident pages, the demo desk and the
`ticket:` chains."""

from __future__ import annotations

from takepoint.desk import (
    api,
    api_admin,
    api_files,
    jobs,
    links,
    web,
    web_admin,
    web_admin_edit,
    web_admin_extras,
    web_files,
    web_portal,
    web_ticket,
)
from takepoint.desk.apply import DESK_CALENDARS, DESK_CATEGORIES
from takepoint.desk.apply_extras import DESK_CANNED_REPLIES, DESK_PRIORITY_MATRIX
from takepoint.desk.apply_rules import DESK_SLA_RULES
from takepoint.desk.demo import load_demo_desk
from takepoint.lib.registry import (
    DomainParts,
    IncidentSection,
    Job,
    Lane,
    NavEntry,
    TimelineSubject,
)

PARTS = DomainParts(
    name="desk",
    routers=(
        api.router,
        api_admin.router,
        api_files.router,
        web.router,
        web_ticket.router,
        web_admin.router,
        web_admin_edit.router,
        web_admin_extras.router,
        web_files.router,
        web_portal.router,
    ),
    jobs=(
        Job("desk_sla", Lane.PAGING, jobs.run_once, jobs.next_due, on_wake=True, batch=jobs.BATCH),
    ),
    incident_listeners=(links.tell_linked_requesters,),
    incident_sections=(
        IncidentSection("desk-tickets", "Service desk tickets", web_ticket.INCIDENT_TICKETS),
    ),
    apply_sections=(
        DESK_CATEGORIES,
        DESK_CALENDARS,
        DESK_SLA_RULES,
        DESK_PRIORITY_MATRIX,
        DESK_CANNED_REPLIES,
    ),
    nav=(NavEntry("Desk", "/desk", 15),),
    demo=load_demo_desk,
    timeline_subjects=(TimelineSubject("ticket", lambda key: f"/desk/tickets/{key}"),),
)
