from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from takepoint.accounts.auth import Viewer
from takepoint.lib.deps import AppSettings, DbSession, Now
from takepoint.lib.templating import render
from takepoint.ops.health import check_engine

router = APIRouter(include_in_schema=False)

# Panels other domains show on the home page, most urgent first (template names).
PANELS: list[str] = []


@router.get("/")
def home(
    request: Request, principal: Viewer, session: DbSession, settings: AppSettings, now: Now
) -> Response:
    engine = check_engine(
        session, now=now, stale_after=timedelta(seconds=settings.engine_stale_after_seconds)
    )
    return render(request, "home/index.html", {"engine": engine, "panels": PANELS})
