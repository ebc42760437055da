"""Blameless reviews: seeded from the report, moved through their states, linted, published."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.demo import load_demo
from takepoint.lib.clock import FakeClock
from takepoint.reviews.models import Publication, Review, ReviewState
from takepoint.timeline.chain import entries, verify_chain
from takepoint.timeline.models import EntryKind
from tests.reviews.helpers import signed_in

PACS = 2  # the demo's radiology incident, resolved and not yet reviewed


def _start(client: TestClient, token: str) -> int:
    response = client.post(f"/incidents/{PACS}/review", data={"csrf_token": token})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].split("?")[0].rsplit("/", 1)[1])


def _state(client: TestClient, token: str, review_id: int, state: str) -> int:
    return client.post(
        f"/api/v1/reviews/{review_id}/state", json={"state": state}, headers={"X-CSRF-Token": token}
    ).status_code


def test_it_seeds_the_review_from_the_incident_report(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    sam, token = signed_in(client, session, "sam")

    review_id = _start(sam, token)
    again = sam.post(f"/api/v1/incidents/{PACS}/review", headers={"X-CSRF-Token": token})
    page = sam.get(f"/reviews/{review_id}")

    review = session.get(Review, review_id)
    assert review is not None and review.state is ReviewState.DRAFT
    assert "[14:20] Note by Priya Raman: Image cache volume at 97%" in review.timeline
    assert review.contributing_factors.startswith(
        "Recorded cause: Cache pruned; images open in under 2 s again."
    )
    assert again.status_code == 409
    for label in (
        "Contributing factors",
        "What went well",
        "What went badly",
        "Where we got lucky",
    ):
        assert label in page.text
    incident_chain = f"incident:{PACS}"
    assert entries(session, incident_chain)[-1].text == (
        "Sam Okafor started the post-incident review (draft)"
    )
    assert verify_chain(session, incident_chain) is None


def test_it_moves_draft_in_review_reviewed_closed_and_refuses_skips(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    sam, token = signed_in(client, session, "sam")
    review_id = _start(sam, token)
    edit = {"went_well": "The cache volume was found within 15 minutes."}

    assert _state(sam, token, review_id, "reviewed") == 409
    assert _state(sam, token, review_id, "in_review") == 200
    assert _state(sam, token, review_id, "reviewed") == 200
    locked = sam.patch(f"/api/v1/reviews/{review_id}", json=edit, headers={"X-CSRF-Token": token})
    assert _state(sam, token, review_id, "closed") == 200
    assert _state(sam, token, review_id, "in_review") == 409

    assert locked.status_code == 409
    assert locked.json()["field"] == "state"
    moves = [e.text for e in entries(session, f"incident:{PACS}") if e.kind is EntryKind.REVIEW]
    assert moves[1:] == [
        "Sam Okafor moved the review from draft to in review",
        "Sam Okafor moved the review from in review to reviewed",
        "Sam Okafor moved the review from reviewed to closed",
    ]


def test_it_shows_the_lint_while_the_review_is_being_written(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    sam, token = signed_in(client, session, "sam")
    review_id = _start(sam, token)

    findings = sam.post(
        f"/reviews/{review_id}/lint",
        data={"went_badly": "Priya should have pruned the cache weeks ago."},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    clean = sam.post(
        f"/reviews/{review_id}/lint",
        data={"went_badly": "Nothing pruned the cache, and no alert watched it."},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )

    assert findings.status_code == 200
    assert "What went badly:</strong> “should have”" in findings.text
    assert "Pruning the cache weeks ago would have helped" in findings.text
    assert "<html" not in findings.text  # a fragment for htmx, not a page
    assert "No blame language found." in clean.text


def test_it_publishes_only_without_findings_or_with_a_recorded_reason(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    sam, token = signed_in(client, session, "sam")
    review_id = _start(sam, token)
    headers = {"X-CSRF-Token": token}
    sam.patch(
        f"/api/v1/reviews/{review_id}",
        json={"went_badly": "Priya should have pruned the cache weeks ago."},
        headers=headers,
    )
    assert _state(sam, token, review_id, "in_review") == 200

    blocked = sam.post(
        f"/api/v1/reviews/{review_id}/publications", json={"audience": "team"}, headers=headers
    )
    reason = "Quoted from the department's complaint; discussed with Priya"
    kept = sam.post(
        f"/api/v1/reviews/{review_id}/publications",
        json={"audience": "team", "override_reason": reason},
        headers=headers,
    )

    assert blocked.status_code == 422
    assert blocked.json()["field"] == "lint"
    assert "'should have' in What went badly" in blocked.json()["detail"]
    assert kept.status_code == 201
    assert kept.json()["override_reason"] == reason
    assert kept.json()["findings_overridden"] == 1
    assert "Priya should have pruned" in kept.json()["markdown"]  # the team keeps names
    assert entries(session, f"incident:{PACS}")[-1].text == (
        f"Sam Okafor published the review to the team (names kept; 1 lint finding(s) kept: "
        f"{reason})"
    )


def test_it_lets_only_an_admin_or_the_point_person_publish_to_the_organisation(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    sam, sam_token = signed_in(client, session, "sam")
    dana, dana_token = signed_in(client, session, "dana")  # point person of the 07:40 incident
    review_id = session.scalar(select(Review.id).where(Review.incident_id == 1))
    assert review_id is not None
    early = dana.post(
        f"/reviews/{review_id}/publish", data={"csrf_token": dana_token, "audience": "organisation"}
    )
    assert _state(sam, sam_token, review_id, "reviewed") == 200

    by_sam = sam.post(
        f"/reviews/{review_id}/publish", data={"csrf_token": sam_token, "audience": "organisation"}
    )
    by_dana = dana.post(
        f"/reviews/{review_id}/publish", data={"csrf_token": dana_token, "audience": "organisation"}
    )

    assert early.status_code == 409  # not reviewed yet
    assert by_sam.status_code == 403
    assert by_dana.status_code == 303
    shown = dana.get(by_dana.headers["location"])
    assert "Published to the organisation" in shown.text
    assert session.scalar(select(Publication.audience)) is not None
