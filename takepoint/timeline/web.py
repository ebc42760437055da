"""The record's integrity page (admins): verify every chain, download the signed digests."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from starlette.responses import Response

from takepoint.accounts.auth import Admin
from takepoint.lib.context import context_of
from takepoint.lib.deps import DbSession
from takepoint.lib.templating import render
from takepoint.timeline.chain import verify_all
from takepoint.timeline.models import TimelineHead

router = APIRouter(include_in_schema=False)


@router.get("/records")
def records_page(request: Request, principal: Admin, session: DbSession) -> Response:
    started = time.perf_counter()
    chains, breaks = verify_all(session)
    registry = context_of(session).registry
    return render(
        request,
        "timeline/records.html",
        {
            "chains": chains,
            "entries": session.scalar(select(func.coalesce(func.sum(TimelineHead.seq), 0))),
            # Each break with the page of what the chain records (`incident:42`), if any.
            "breaks": [(b, registry.subject_href(b.chain)) for b in breaks],
            "seconds": time.perf_counter() - started,
        },
    )
