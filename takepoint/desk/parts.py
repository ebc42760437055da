"""What the service desk contributes: its pages and API, the SLA job, the `ticket:` chains."""

from __future__ import annotations

from takepoint.desk import api, jobs, web
from takepoint.desk.demo import load_demo_desk
from takepoint.lib.registry import DomainParts, Job, Lane, NavEntry, TimelineSubject

PARTS = DomainParts(
    name="desk",
    routers=(api.router, web.router),
    jobs=(
        Job("desk_sla", Lane.PAGING, jobs.run_once, jobs.next_due, on_wake=True, batch=jobs.BATCH),
    ),
    nav=(NavEntry("Desk", "/desk", 15),),
    demo=load_demo_desk,
    timeline_subjects=(TimelineSubject("ticket", "Ticket", lambda key: f"/desk/tickets/{key}"),),
)
