"""What notify contributes: contact methods' pages and API, the notifications section, the
demo's contact methods."""

from __future__ import annotations

from sqlalchemy.orm import Session

from takepoint.lib.registry import Demo, DomainParts, NavEntry
from takepoint.notify import api, web
from takepoint.notify.apply import NOTIFICATIONS
from takepoint.notify.demo import load_demo_notify


def _demo(session: Session, demo: Demo) -> None:
    load_demo_notify(session, now=demo.now, people=demo.made["people"])


PARTS = DomainParts(
    name="notify",
    routers=(api.router, web.router),
    apply_sections=(NOTIFICATIONS,),
    nav=(NavEntry("Notifications", "/notifications", 70),),
    demo=_demo,
)
