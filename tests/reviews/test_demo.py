"""The demo shows the after-the-incident part: a review, action items, evidence."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.demo import load_demo
from takepoint.incidents.record_models import Evidence, EvidenceType
from takepoint.lib.clock import FakeClock
from takepoint.lib.settings import Settings
from takepoint.reviews import actions
from takepoint.reviews.models import ActionItem, Review, ReviewState
from takepoint.timeline.chain import verify_all
from tests.reviews.helpers import signed_in


def test_it_reviews_the_0740_incident_with_actions_and_evidence(
    client: TestClient, session: Session, clock: FakeClock, settings: Settings
) -> None:
    session.info["settings"] = settings
    load_demo(session, now=clock.now())

    review = session.scalar(select(Review))
    items = list(session.scalars(select(ActionItem).order_by(ActionItem.id)))
    (evidence,) = session.scalars(select(Evidence))
    assert review is not None and review.incident_id == 1
    assert review.state is ReviewState.IN_REVIEW
    assert [i.title for i in items] == [
        "Add a disk monitor for txn-01",
        "Name a backup lead for Clinical app server",
    ]
    assert [actions.is_overdue(i, clock.now()) for i in items] == [False, True]
    assert evidence.media_type is EvidenceType.TEXT
    stored = Path(settings.data_dir) / "evidence" / evidence.sha256[:2] / evidence.sha256
    assert b"No space left on device" in stored.read_bytes()
    assert verify_all(session)[1] == []

    morgan, _ = signed_in(client, session, "morgan")
    page = morgan.get(f"/reviews/{review.id}")
    log = morgan.get(f"/incidents/1/evidence/{evidence.id}/file")
    assert "Nothing was monitoring the disk on txn-01" in page.text
    assert "Name a backup lead for Clinical app server" in page.text
    assert log.headers["content-disposition"].startswith("attachment")
    assert clock.now() - timedelta(days=3) < review.created_at
