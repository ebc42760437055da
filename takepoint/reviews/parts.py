"""What reviews contribute: reports, reviews and action items, the open-actions note on the
readiness audit, and the demo's review."""

from __future__ import annotations

from sqlalchemy.orm import Session

from takepoint.lib.registry import Demo, DomainParts, NavEntry
from takepoint.reviews import api, api_actions, api_report, web, web_actions, web_report
from takepoint.reviews.demo import load_demo_reviews
from takepoint.reviews.readiness import open_action_notes


def _demo(session: Session, demo: Demo) -> None:
    load_demo_reviews(
        session,
        now=demo.now,
        people=demo.made["people"],
        services=demo.made["services"],
        evidence_root=demo.data_dir / "evidence",
    )


PARTS = DomainParts(
    name="reviews",
    routers=(
        api.router,
        api_report.router,
        api_actions.router,
        web.router,
        web_report.router,
        web_actions.router,
    ),
    readiness_notes=(open_action_notes,),
    nav=(NavEntry("Reviews", "/reviews", 20),),
    demo=_demo,
)
