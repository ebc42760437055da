from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from takepoint.accounts.auth import Principal, Viewer
from takepoint.incidents import panels as incidents_panels
from takepoint.lib.deps import AppSettings, DbSession, Now
from takepoint.lib.templating import render
from takepoint.oncall import panels as oncall_panels
from takepoint.ops.health import check_engine
from takepoint.signals import panels as signals_panels

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Panel:
    """A panel whose template needs data: `context` returns its variables, which share the
    page's namespace, so prefix their names with the domain."""

    template: str
    context: Callable[[Session, Principal, datetime], dict[str, Any]]


# Panels other domains show on the home page, most urgent first (template names, or Panels).
PANELS: list[str | Panel] = [
    Panel("incidents/panel_mine.html", incidents_panels.mine_panel),
    Panel("signals/panel_alerts.html", signals_panels.alerts_panel),
    Panel("oncall/panel_now.html", oncall_panels.now_panel),
    "catalog/panel_readiness.html",
]


@router.get("/")
def home(
    request: Request, principal: Viewer, session: DbSession, settings: AppSettings, now: Now
) -> Response:
    engine = check_engine(
        session, now=now, stale_after=timedelta(seconds=settings.engine_stale_after_seconds)
    )
    context: dict[str, Any] = {"engine": engine, "panels": []}
    for panel in PANELS:
        if isinstance(panel, Panel):
            context.update(panel.context(session, principal, now))
        context["panels"].append(panel.template if isinstance(panel, Panel) else panel)
    return render(request, "home/index.html", context)
