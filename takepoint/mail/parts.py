"""What desk mail contributes: its pages and API, the jobs that fetch, import and send desk
mail, and the delivery listener that records mail the requester's server refused.

Fetching does network work and so runs in the delivery lane, never delaying an escalation;
importing and queueing replies only touch the database and run in the paging lane, import
first, so an acknowledgement is queued in the same turn as its ticket.
"""

from __future__ import annotations

from takepoint.lib.registry import DomainParts, Job, Lane
from takepoint.mail import api, fetch, jobs, outgoing, web

PARTS = DomainParts(
    name="mail",
    routers=(api.router, web.router),
    jobs=(
        Job(
            "mail_import", Lane.PAGING, jobs.run_once, jobs.next_due, on_wake=True, batch=jobs.BATCH
        ),
        Job("mail_outgoing", Lane.PAGING, outgoing.run_once, on_wake=True, batch=outgoing.BATCH),
        Job("mail_fetch", Lane.DELIVERY, fetch.run_once, batch=fetch.BATCH),
    ),
    delivery_listeners=(outgoing.record_failure,),
)
