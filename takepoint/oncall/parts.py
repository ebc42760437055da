"""What on-call contributes: schedules' pages and API, the schedules section, the demo rota."""

from __future__ import annotations

from sqlalchemy.orm import Session

from takepoint.lib.registry import Demo, DomainParts, NavEntry
from takepoint.oncall import api, api_oncall, web, web_admin
from takepoint.oncall.apply import SCHEDULES
from takepoint.oncall.demo import load_demo_oncall


def _demo(session: Session, demo: Demo) -> None:
    demo.made["schedule"] = load_demo_oncall(
        session, now=demo.now, people=demo.made["people"], team=demo.made["team"]
    )


PARTS = DomainParts(
    name="oncall",
    routers=(api.router, api_oncall.router, web.router, web_admin.router),
    apply_sections=(SCHEDULES,),
    nav=(NavEntry("On call", "/oncall", 30),),
    demo=_demo,
)
